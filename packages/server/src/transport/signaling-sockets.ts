import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerMessage } from '@videoapp/protocol';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { RoomsService } from '../rooms/rooms-service.ts';
import { refuseUpgrade, type UpgradeRefusal, WebSocketUpgrades } from '../websocket/upgrade.ts';
import { CLOSE, Connection } from './connection.ts';
import { IntakeGate } from './intake-gate.ts';

/**
 * The heartbeat visits one of this many groups of sockets per tick, so each
 * socket is still pinged once an interval but never all at once: pinging
 * thousands of sockets in one go stalled relaying for milliseconds (it doubled
 * the benchmark's p99 relay latency at 2,000 sockets).
 */
export const HEARTBEAT_SLICES = 10;
/** At most one "handler failed" log line this often; the lines between are counted in the next. */
export const HANDLER_FAILURE_LOG_INTERVAL_MS = 1_000;

/**
 * Every open signaling socket of this process: upgrades (origin and
 * per-address limits), heartbeats that notice dead sockets, and shutdown.
 */
export class SignalingSockets {
  /** Every open connection, in HEARTBEAT_SLICES groups the heartbeat visits in turn. */
  private readonly slices: Set<Connection>[] = Array.from({ length: HEARTBEAT_SLICES }, () => new Set());
  private nextSlice = 0;
  private beatCount = 0;
  private readonly socketsPerAddress = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly upgrades: WebSocketUpgrades;
  private readonly gate = new IntakeGate(() => this.slices.flatMap((slice) => [...slice]));
  private handlerFailures = { lastLoggedAt: 0, unlogged: 0 };

  constructor(
    private readonly config: ServerConfig,
    private readonly rooms: RoomsService,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.heartbeat = setInterval(() => this.beat(), config.heartbeatIntervalMs / HEARTBEAT_SLICES);
    this.heartbeat.unref();
    this.upgrades = new WebSocketUpgrades(() => this.metrics.rejected('bad-handshake'));
  }

  /** Completes a WebSocket upgrade on `/ws`, or refuses it with an HTTP status. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, address: string): void {
    const refusal = this.refusalFor(req, address);
    if (refusal) {
      this.metrics.rejected(refusal.reason);
      return refuseUpgrade(socket, refusal);
    }
    this.upgrades.accept(req, socket, head, (webSocket) => {
      const connection = new Connection(webSocket, address, {
        rooms: this.rooms,
        metrics: this.metrics,
        log: this.log,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        gate: this.gate,
        handlerFailed: (message) => this.handlerFailed(message),
        forget: (closed) => this.forget(closed),
      });
      this.gate.admit(connection);
      this.slices[this.nextSlice++ % HEARTBEAT_SLICES]!.add(connection);
      this.socketsPerAddress.set(address, (this.socketsPerAddress.get(address) ?? 0) + 1);
      return connection;
    });
  }

  get count(): number {
    return this.slices.reduce((sum, slice) => sum + slice.size, 0);
  }

  /** Tells every client to come back after `retryMs`, then closes the sockets. */
  shutdown(retryMs: number): void {
    clearInterval(this.heartbeat);
    for (const slice of this.slices) {
      for (const connection of [...slice]) {
        connection.send({ type: 'goodbye', retryMs });
        connection.close(CLOSE.restarting, 'server restarting');
      }
    }
  }

  private refusalFor(req: IncomingMessage, address: string): (UpgradeRefusal & { reason: string }) | undefined {
    const origin = req.headers.origin;
    if (origin !== undefined && !this.isAllowedOrigin(origin, req.headers.host)) return { status: '403 Forbidden', reason: 'bad-origin' };
    if ((this.socketsPerAddress.get(address) ?? 0) >= this.config.socketsPerAddress) return { status: '429 Too Many Requests', reason: 'too-many-sockets' };
    return undefined;
  }

  /** Browsers always send Origin: only our own page, or one the operator allowed, may open a socket. */
  private isAllowedOrigin(origin: string, host: string | undefined): boolean {
    if (this.config.allowedOrigins.includes(origin)) return true;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  /** Whether the sockets are being read now, and how often reading was paused (see IntakeGate). */
  get intake(): { reading: boolean; pauses: number; inFlight: number } {
    return { reading: this.gate.reading, pauses: this.gate.pauses, inFlight: this.gate.messagesInFlight };
  }

  private handlerFailed(message: string): void {
    const now = Date.now();
    if (now - this.handlerFailures.lastLoggedAt < HANDLER_FAILURE_LOG_INTERVAL_MS) {
      this.handlerFailures.unlogged++;
      return;
    }
    this.log.error('handler-failed', { message, alsoFailedSinceLastLine: this.handlerFailures.unlogged });
    this.handlerFailures = { lastLoggedAt: now, unlogged: 0 };
  }

  private forget(connection: Connection): void {
    for (const slice of this.slices) if (slice.delete(connection)) break;
    const left = (this.socketsPerAddress.get(connection.address) ?? 1) - 1;
    if (left === 0) this.socketsPerAddress.delete(connection.address);
    else this.socketsPerAddress.set(connection.address, left);
  }

  /** Sends one group of sockets a ping, drops those silent too long and those that never said hello. */
  private beat(): void {
    const now = Date.now();
    const ping = JSON.stringify({ type: 'ping' } satisfies ServerMessage);
    // While reading is paused (see IntakeGate) a silence is ours, not the peer's.
    const listening = this.gate.reading;
    for (const connection of this.slices[this.beatCount++ % HEARTBEAT_SLICES]!) {
      // A silent peer's network may be gone, so no closing handshake would complete: drop it at once.
      if (listening && now - connection.lastHeardAt > this.config.heartbeatTimeoutMs) connection.terminate();
      else if (!connection.greeted && now - connection.openedAt > this.config.helloTimeoutMs) connection.close(CLOSE.handshakeTimeout, 'no hello');
      else connection.sendFrame(ping);
    }
  }
}
