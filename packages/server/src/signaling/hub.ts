import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_MESSAGE_BYTES, type IceServer, type ServerMessage } from '@videoapp/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { Metrics } from '../metrics.ts';
import { PerMinuteLimit } from '../rate-limit.ts';
import type { RoomRegistry } from '../registry/room-registry.ts';
import { issueTurnCredentials } from '../turn-credentials.ts';
import { CLOSE, Connection } from './connection.ts';
import type { Session } from './session.ts';

/** How long a socket may stay open without sending `hello`. */
export const HELLO_TIMEOUT_MS = 5_000;
/**
 * The heartbeat visits one of this many groups of sockets per tick, so each
 * socket is still pinged once an interval but never all at once: pinging
 * thousands of sockets in one go stalled relaying for milliseconds (it doubled
 * the benchmark's p99 relay latency at 2,000 sockets).
 */
export const HEARTBEAT_SLICES = 10;

/**
 * Everything the connections share: the registry, the sessions awaiting a
 * resume, limits, metrics, and the heartbeat that notices dead sockets.
 */
export class SignalingHub {
  readonly metrics: Metrics;
  readonly joinLimit: PerMinuteLimit;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  /** Every open connection, in HEARTBEAT_SLICES groups the heartbeat visits in turn. */
  private readonly slices: Set<Connection>[] = Array.from({ length: HEARTBEAT_SLICES }, () => new Set());
  private nextSlice = 0;
  private beatCount = 0;
  private readonly sessionsByToken = new Map<string, Session>();
  private readonly socketsPerAddress = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    readonly config: ServerConfig,
    readonly registry: RoomRegistry,
    readonly log: Logger,
  ) {
    this.metrics = new Metrics(() => ({ sockets: this.socketCount, rooms: registry.roomCount(), sessions: this.sessionsByToken.size }));
    this.joinLimit = new PerMinuteLimit(config.joinsPerMinutePerAddress);
    this.heartbeat = setInterval(() => this.beat(), config.heartbeatIntervalMs / HEARTBEAT_SLICES);
    this.heartbeat.unref();
  }

  /** Completes a WebSocket upgrade on `/ws`, or refuses it with an HTTP status. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, address: string): void {
    const refusal = this.refusalFor(req, address);
    if (refusal) {
      this.metrics.rejected(refusal.reason);
      socket.end(`HTTP/1.1 ${refusal.status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, address));
  }

  private refusalFor(req: IncomingMessage, address: string): { status: string; reason: string } | undefined {
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

  private accept(ws: WebSocket, address: string): void {
    const connection = new Connection(ws, address, this);
    const slice = this.slices[this.nextSlice++ % HEARTBEAT_SLICES]!;
    slice.add(connection);
    this.socketsPerAddress.set(address, (this.socketsPerAddress.get(address) ?? 0) + 1);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return connection.close(CLOSE.policy, 'binary frames are not part of the protocol');
      connection.receive(data.toString());
    });
    ws.on('close', () => {
      slice.delete(connection);
      const left = (this.socketsPerAddress.get(address) ?? 1) - 1;
      if (left === 0) this.socketsPerAddress.delete(address);
      else this.socketsPerAddress.set(address, left);
      connection.onClosed();
    });
    ws.on('error', (err) => this.log.debug('socket-error', { message: err.message }));
  }

  iceServersFor(peerId: string): IceServer[] {
    const servers: IceServer[] = [];
    if (this.config.stunUrls.length > 0) servers.push({ urls: this.config.stunUrls });
    if (this.config.turn) servers.push(issueTurnCredentials(this.config.turn, peerId));
    return servers;
  }

  addSession(session: Session): void {
    this.sessionsByToken.set(session.resumeToken, session);
  }

  /** A new socket presents a resume token: hand it the session if it is still held. */
  takeOverSession(token: string, connection: Connection): Session | undefined {
    const session = this.sessionsByToken.get(token);
    if (!session) return undefined;
    session.resume(connection);
    return session;
  }

  sessionAway(session: Session, connection: Connection): void {
    session.awaitResume(this.config.resumeGraceMs, () => void this.endSession(session, 'lost'));
    this.broadcast(session, { type: 'peer-presence', peerId: session.peerId, presence: 'away' });
    this.log.debug('session-away', { room: session.roomId, peer: session.peerId, address: connection.address });
  }

  async endSession(session: Session, reason: 'left' | 'lost'): Promise<void> {
    if (!this.sessionsByToken.delete(session.resumeToken)) return;
    session.end();
    await this.registry.leave(session.roomId, session.peerId);
    this.broadcast(session, { type: 'peer-left', peerId: session.peerId, reason });
  }

  broadcast(from: Session, message: ServerMessage): void {
    this.registry.broadcast(from.roomId, from.peerId, JSON.stringify(message));
  }

  internalError(connection: Connection, err: unknown): void {
    this.log.error('handler-failed', { message: err instanceof Error ? err.message : String(err) });
    connection.send({ type: 'error', code: 'internal', message: 'the server could not handle that message' });
  }

  get socketCount(): number {
    return this.slices.reduce((sum, slice) => sum + slice.size, 0);
  }

  /** Sends one group of sockets a ping, drops those silent too long and those that never said hello. */
  private beat(): void {
    const now = Date.now();
    const ping = JSON.stringify({ type: 'ping' } satisfies ServerMessage);
    for (const connection of this.slices[this.beatCount++ % HEARTBEAT_SLICES]!) {
      // A silent peer's network may be gone, so no closing handshake would complete: drop it at once.
      if (now - connection.lastHeardAt > this.config.heartbeatTimeoutMs) connection.terminate();
      else if (!connection.greeted && now - connection.openedAt > HELLO_TIMEOUT_MS) connection.close(CLOSE.handshakeTimeout, 'no hello');
      else connection.sendFrame(ping);
    }
  }

  /** Tells every client to come back after `retryMs`, then closes the sockets. */
  async shutdown(retryMs: number): Promise<void> {
    clearInterval(this.heartbeat);
    for (const connection of this.slices.flatMap((slice) => [...slice])) {
      connection.send({ type: 'goodbye', retryMs });
      connection.close(CLOSE.restarting, 'server restarting');
    }
    for (const session of this.sessionsByToken.values()) session.end();
    this.wss.close();
  }
}
