/** Upper bounds (seconds) of the join-latency histogram: from a `join` arriving to `joined` going out. */
export const JOIN_LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

/** A Prometheus histogram: cumulative counts per upper bound, plus sum and count. */
class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) this.counts[i]!++;
  }

  render(name: string): string[] {
    return [
      ...this.bounds.map((le, i) => `${name}_bucket{le="${le}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

/** Counters the server exposes at /metrics in Prometheus text format. */
export class Metrics {
  private readonly receivedByType = new Map<string, number>();
  private readonly relayedByType = new Map<string, number>();
  private readonly rejectedByReason = new Map<string, number>();
  private readonly joinLatency = new Histogram(JOIN_LATENCY_BUCKETS_SECONDS);

  constructor(private readonly gauges: () => { sockets: number; rooms: number; sessions: number }) {}

  received(type: string): void {
    bump(this.receivedByType, type);
  }

  /** A message passed from one member of a room to another (`description`, `candidate`, `peer-media`, …). */
  relayed(type: string): void {
    bump(this.relayedByType, type);
  }

  /** Something refused: an error code sent back, or a socket or upgrade refused (`bad-origin`, `binary-frame`, …). */
  rejected(reason: string): void {
    bump(this.rejectedByReason, reason);
  }

  joined(seconds: number): void {
    this.joinLatency.observe(seconds);
  }

  render(): string {
    const { sockets, rooms, sessions } = this.gauges();
    const lines = [
      '# HELP videoapp_sockets Open signaling WebSockets.',
      '# TYPE videoapp_sockets gauge',
      `videoapp_sockets ${sockets}`,
      '# HELP videoapp_rooms Rooms held by this process.',
      '# TYPE videoapp_rooms gauge',
      `videoapp_rooms ${rooms}`,
      '# HELP videoapp_sessions People in rooms, including those awaiting a resume.',
      '# TYPE videoapp_sessions gauge',
      `videoapp_sessions ${sessions}`,
      '# HELP videoapp_messages_relayed_total Messages passed from one member of a room to another, by type.',
      '# TYPE videoapp_messages_relayed_total counter',
      ...labelled('videoapp_messages_relayed_total', 'type', this.relayedByType),
      '# HELP videoapp_messages_received_total Valid messages received, by type.',
      '# TYPE videoapp_messages_received_total counter',
      ...labelled('videoapp_messages_received_total', 'type', this.receivedByType),
      '# HELP videoapp_messages_rejected_total Messages, sockets and upgrades refused, by reason.',
      '# TYPE videoapp_messages_rejected_total counter',
      ...labelled('videoapp_messages_rejected_total', 'reason', this.rejectedByReason),
      '# HELP videoapp_join_duration_seconds Time from a join arriving to the joined answer, passcode check included.',
      '# TYPE videoapp_join_duration_seconds histogram',
      ...this.joinLatency.render('videoapp_join_duration_seconds'),
    ];
    return `${lines.join('\n')}\n`;
  }
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Label values come from our own code (message types, error codes), never from clients. */
function labelled(name: string, label: string, counts: Map<string, number>): string[] {
  return [...counts].map(([value, n]) => `${name}{${label}="${value}"} ${n}`);
}
