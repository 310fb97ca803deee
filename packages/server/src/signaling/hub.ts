import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type DepartureReason, type IceServer, type ServerMessage } from '@videoapp/protocol';
import type { ServerConfig } from '../config.ts';
import { roomTag, type Logger } from '../log.ts';
import { Metrics } from '../metrics.ts';
import { PerMinuteLimit } from '../rate-limit.ts';
import type { RoomRegistry } from '../registry/room-registry.ts';
import { readResumeToken, signResumeToken } from '../resume-token.ts';
import { issueTurnCredentials, turnRefreshIntervalMs } from '../turn-credentials.ts';
import { refuseUpgrade, WebSocketUpgrades, type UpgradeRefusal } from '../websocket/upgrade.ts';
import { RoomAdmission } from './admission.ts';
import { CLOSE, Connection } from './connection.ts';
import { Session } from './session.ts';

/**
 * The heartbeat visits one of this many groups of sockets per tick, so each
 * socket is still pinged once an interval but never all at once: pinging
 * thousands of sockets in one go stalled relaying for milliseconds (it doubled
 * the benchmark's p99 relay latency at 2,000 sockets).
 */
export const HEARTBEAT_SLICES = 10;
/** Ended sessions whose tokens are refused; older ones are forgotten (their tokens could then rebuild an empty seat, never take a live one). */
export const MAX_REMEMBERED_ENDED_SESSIONS = 100_000;

/**
 * Everything the connections share: the registry, the sessions awaiting a
 * resume, limits, metrics, and the heartbeat that notices dead sockets.
 */
export class SignalingHub {
  readonly metrics: Metrics;
  readonly joinLimit: PerMinuteLimit;
  readonly admission: RoomAdmission;
  /** Every open connection, in HEARTBEAT_SLICES groups the heartbeat visits in turn. */
  private readonly slices: Set<Connection>[] = Array.from({ length: HEARTBEAT_SLICES }, () => new Set());
  private nextSlice = 0;
  private beatCount = 0;
  /** Sessions by peer id. Resume tokens are not kept: a token is checked by its signature, then names its peer. */
  private readonly sessions = new Map<string, Session>();
  private readonly socketsPerAddress = new Map<string, number>();
  /** Peer ids of sessions that ended, whose tokens must not bring them back. */
  private readonly endedSessions = new Set<string>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly upgrades = new WebSocketUpgrades(() => this.metrics.rejected('bad-handshake'));

  constructor(
    readonly config: ServerConfig,
    readonly registry: RoomRegistry,
    readonly log: Logger,
  ) {
    this.metrics = new Metrics(() => ({ sockets: this.socketCount, rooms: registry.roomCount(), sessions: this.sessions.size }));
    this.joinLimit = new PerMinuteLimit(config.joinsPerMinutePerAddress);
    this.admission = new RoomAdmission(registry, config);
    this.heartbeat = setInterval(() => this.beat(), config.heartbeatIntervalMs / HEARTBEAT_SLICES);
    this.heartbeat.unref();
  }

  /** Completes a WebSocket upgrade on `/ws`, or refuses it with an HTTP status. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, address: string): void {
    const refusal = this.refusalFor(req, address);
    if (refusal) {
      this.metrics.rejected(refusal.reason);
      return refuseUpgrade(socket, refusal);
    }
    this.upgrades.accept(req, socket, head, (webSocket) => {
      const connection = new Connection(webSocket, address, this);
      this.slices[this.nextSlice++ % HEARTBEAT_SLICES]!.add(connection);
      this.socketsPerAddress.set(address, (this.socketsPerAddress.get(address) ?? 0) + 1);
      return connection;
    });
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

  /** A connection's socket closed: it no longer counts against its address or gets heartbeats. */
  forget(connection: Connection): void {
    for (const slice of this.slices) if (slice.delete(connection)) break;
    const left = (this.socketsPerAddress.get(connection.address) ?? 1) - 1;
    if (left === 0) this.socketsPerAddress.delete(connection.address);
    else this.socketsPerAddress.set(connection.address, left);
  }

  iceServersFor(peerId: string): IceServer[] {
    const servers: IceServer[] = [];
    if (this.config.stunUrls.length > 0) servers.push({ urls: this.config.stunUrls });
    if (this.config.turn) servers.push(issueTurnCredentials(this.config.turn, peerId));
    return servers;
  }

  addSession(session: Session): void {
    this.sessions.set(session.id, session);
    // Credentials issued at join expire; a long call still needs valid ones for ICE restarts and late joiners.
    const turn = this.config.turn;
    if (turn) session.repeatDelivery(turnRefreshIntervalMs(turn), () => JSON.stringify({ type: 'ice-servers', iceServers: this.iceServersFor(session.id) } satisfies ServerMessage));
  }

  /**
   * A new socket presents a resume token: the session if this process still
   * holds it, or else (after a restart, or from another process) one rebuilt
   * from the token's signed claims under the same peer id. Undefined when the
   * session ended for good or the token is not ours.
   */
  async reclaimSession(token: string, connection: Connection): Promise<{ session: Session; rebuilt: boolean } | undefined> {
    const claims = readResumeToken(this.config.resumeSecret, token);
    if (!claims || this.endedSessions.has(claims.peerId)) return undefined;
    const held = this.sessions.get(claims.peerId);
    if (held) {
      if (held.roomId !== claims.roomId) return undefined;
      for (const other of this.allConnections()) if (other !== connection && held.isAttachedTo(other)) other.supersede();
      return { session: held, rebuilt: false };
    }
    const session = new Session(claims.peerId, claims.name, claims.roomId, connection, claims.host);
    const outcome = await this.registry.restore(claims.roomId, session);
    if (!outcome.ok) return undefined;
    this.addSession(session);
    return { session, rebuilt: true };
  }

  newResumeToken(roomId: string, peerId: string, name: string, host: boolean): string {
    return signResumeToken(this.config.resumeSecret, { roomId, peerId, name, host }, randomBytes(9).toString('base64url'));
  }

  sessionAway(session: Session, connection: Connection): void {
    session.awaitResume(this.config.resumeGraceMs, () => void this.endSession(session, 'lost'));
    this.broadcast(session, { type: 'peer-presence', peerId: session.id, presence: 'away' });
    this.log.debug('session-away', { room: roomTag(session.roomId), peer: session.id, address: connection.address });
  }

  async endSession(session: Session, reason: DepartureReason): Promise<void> {
    if (!this.sessions.delete(session.id)) return;
    this.rememberEnded(session.id);
    this.log.info('left', { room: roomTag(session.roomId), peer: session.id, reason });
    session.end();
    await this.registry.leave(session.roomId, session.id);
    this.broadcast(session, { type: 'peer-left', peerId: session.id, reason });
  }

  /** A token whose session ended must not bring it back; the memory is bounded, oldest forgotten first. */
  private rememberEnded(peerId: string): void {
    this.endedSessions.add(peerId);
    if (this.endedSessions.size > MAX_REMEMBERED_ENDED_SESSIONS) this.endedSessions.delete(this.endedSessions.values().next().value!);
  }

  broadcast(from: Session, message: ServerMessage): void {
    this.registry.broadcast(from.roomId, from.id, JSON.stringify(message));
  }

  internalError(connection: Connection, err: unknown): void {
    this.log.error('handler-failed', { message: err instanceof Error ? err.message : String(err) });
    connection.send({ type: 'error', code: 'internal', message: 'the server could not handle that message' });
  }

  get socketCount(): number {
    return this.slices.reduce((sum, slice) => sum + slice.size, 0);
  }

  private *allConnections(): Iterable<Connection> {
    for (const slice of this.slices) yield* slice;
  }

  /** Sends one group of sockets a ping, drops those silent too long and those that never said hello. */
  private beat(): void {
    const now = Date.now();
    const ping = JSON.stringify({ type: 'ping' } satisfies ServerMessage);
    for (const connection of this.slices[this.beatCount++ % HEARTBEAT_SLICES]!) {
      // A silent peer's network may be gone, so no closing handshake would complete: drop it at once.
      if (now - connection.lastHeardAt > this.config.heartbeatTimeoutMs) connection.terminate();
      else if (!connection.greeted && now - connection.openedAt > this.config.helloTimeoutMs) connection.close(CLOSE.handshakeTimeout, 'no hello');
      else connection.sendFrame(ping);
    }
  }

  /** Tells every client to come back after `retryMs`, then closes the sockets. */
  async shutdown(retryMs: number): Promise<void> {
    clearInterval(this.heartbeat);
    for (const connection of [...this.allConnections()]) {
      connection.send({ type: 'goodbye', retryMs });
      connection.close(CLOSE.restarting, 'server restarting');
    }
    for (const session of this.sessions.values()) session.end();
  }
}
