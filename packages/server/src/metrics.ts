import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Upper bounds (seconds) of the join-latency histogram: from a `join` arriving to `joined` going out. */
export const JOIN_LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Resolution of the event-loop delay percentiles among the process figures. */
export const EVENT_LOOP_MONITORING_MS = 10;

/**
 * The process's own figures (resident memory, heap, event-loop delay p50/p99,
 * GC time, open file descriptors, start time), under prom-client's
 * conventional names. One per process, however many servers it runs (tests
 * start dozens): they describe the process, not a server.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_MS });
    new Gauge({
      name: 'process_uptime_seconds',
      help: 'Seconds since the process started.',
      registers: [processRegistry],
      collect() {
        this.set(process.uptime());
      },
    });
  }
  return processRegistry;
}

/** What the server counts and exposes at /metrics in Prometheus text format, beside the process figures. */
export class Metrics {
  private readonly registry = new Registry();
  private readonly receivedByType = new Counter({ name: 'videoapp_messages_received_total', help: 'Valid messages received, by type.', labelNames: ['type'], registers: [this.registry] });
  private readonly relayedByType = new Counter({
    name: 'videoapp_messages_relayed_total',
    help: 'Messages passed from one member of a room to another, by type.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly rejectedByReason = new Counter({
    name: 'videoapp_messages_rejected_total',
    help: 'Messages, sockets and upgrades refused, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly joinLatency = new Histogram({
    name: 'videoapp_join_duration_seconds',
    help: 'Time from a join arriving to the joined answer, passcode check included.',
    buckets: JOIN_LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  constructor(gauges: () => { sockets: number; rooms: number; sessions: number }) {
    const gauge = (name: string, help: string, read: (g: ReturnType<typeof gauges>) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(gauges()));
        },
      });
    gauge('videoapp_sockets', 'Open signaling WebSockets.', (g) => g.sockets);
    gauge('videoapp_rooms', 'Rooms held by this process.', (g) => g.rooms);
    gauge('videoapp_sessions', 'People in rooms, including those awaiting a resume.', (g) => g.sessions);
  }

  received(type: string): void {
    this.receivedByType.inc({ type });
  }

  /** A message passed from one member of a room to another (`description`, `candidate`, `peer-media`, …). Label values come from our code, never from clients. */
  relayed(type: string): void {
    this.relayedByType.inc({ type });
  }

  /** Something refused: an error code sent back, or a socket or upgrade refused (`bad-origin`, `binary-frame`, …). */
  rejected(reason: string): void {
    this.rejectedByReason.inc({ reason });
  }

  joined(seconds: number): void {
    this.joinLatency.observe(seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }
}
