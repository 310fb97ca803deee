/** Counters the server exposes at /metrics in Prometheus text format. */
export class Metrics {
  private readonly receivedByType = new Map<string, number>();
  private readonly rejectedByReason = new Map<string, number>();
  private relayedCount = 0;

  constructor(private readonly gauges: () => { sockets: number; rooms: number; sessions: number }) {}

  received(type: string): void {
    this.receivedByType.set(type, (this.receivedByType.get(type) ?? 0) + 1);
  }

  relayed(): void {
    this.relayedCount++;
  }

  rejected(reason: string): void {
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1);
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
      '# HELP videoapp_messages_relayed_total Descriptions and candidates relayed between peers.',
      '# TYPE videoapp_messages_relayed_total counter',
      `videoapp_messages_relayed_total ${this.relayedCount}`,
      '# HELP videoapp_messages_received_total Valid messages received, by type.',
      '# TYPE videoapp_messages_received_total counter',
      ...[...this.receivedByType].map(([type, n]) => `videoapp_messages_received_total{type="${type}"} ${n}`),
      '# HELP videoapp_messages_rejected_total Messages refused, by error code.',
      '# TYPE videoapp_messages_rejected_total counter',
      ...[...this.rejectedByReason].map(([reason, n]) => `videoapp_messages_rejected_total{reason="${reason}"} ${n}`),
    ];
    return `${lines.join('\n')}\n`;
  }
}
