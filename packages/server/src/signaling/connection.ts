import { randomBytes } from 'node:crypto';
import {
  ClientMessage,
  MESSAGE_BURST_PER_SOCKET,
  MESSAGES_PER_SECOND_PER_SOCKET,
  parse,
  PROTOCOL_VERSION,
  type ErrorCode,
  type MessageOf,
  type ServerMessage,
} from '@videoapp/protocol';
import { TokenBucket } from '../rate-limit.ts';
import type { SignalingHub } from './hub.ts';
import { relayedFrame } from './relayed-frame.ts';
import { Session } from './session.ts';

/** Rate-limited messages a socket may send before it is closed as a flood. */
export const FLOOD_STRIKES_BEFORE_CLOSE = 100;
/** WebSocket close codes we use (4000–4999 are the application's own). */
export const CLOSE = {
  policy: 1008,
  restarting: 1012,
  unsupportedVersion: 4001,
  flood: 4002,
  handshakeTimeout: 4003,
} as const;

/** The narrow view of a WebSocket a connection needs, so it can be tested without one. */
export interface Socket {
  send(frame: string): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

/** A socket's lifecycle: greeted with `hello`, then at most one room at a time. */
type ConnectionState =
  | { kind: 'greeting' }
  | { kind: 'ready' }
  | { kind: 'joining' }
  | { kind: 'in-room'; session: Session }
  | { kind: 'closed' };

type Msg<T extends ClientMessage['type']> = MessageOf<ClientMessage, T>;

/** One signaling WebSocket: validates what arrives and dispatches it, one small handler per message type. */
export class Connection {
  private state: ConnectionState = { kind: 'greeting' };
  private readonly bucket = new TokenBucket(MESSAGES_PER_SECOND_PER_SOCKET, MESSAGE_BURST_PER_SOCKET);
  private floodStrikes = 0;
  lastHeardAt = Date.now();
  readonly openedAt = Date.now();

  constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly hub: SignalingHub,
  ) {}

  get greeted(): boolean {
    return this.state.kind !== 'greeting';
  }

  send(message: ServerMessage): void {
    this.socket.send(JSON.stringify(message));
  }

  sendFrame(frame: string): void {
    this.socket.send(frame);
  }

  terminate(): void {
    this.socket.terminate();
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  /** One frame from the socket: rate-limited, parsed, validated, dispatched. */
  receive(frame: string): void {
    this.lastHeardAt = Date.now();
    if (!this.bucket.take(this.lastHeardAt)) return this.refuseFlood();
    let data: unknown;
    try {
      data = JSON.parse(frame);
    } catch {
      return this.fail('bad-message', 'not valid JSON');
    }
    const result = parse(ClientMessage, data);
    if (!result.ok) return this.fail('bad-message', result.problem, typeof (data as { type?: unknown })?.type === 'string' ? (data as { type: string }).type : undefined);
    this.hub.metrics.received(result.value.type);
    const outcome = this.dispatch(result.value, frame);
    if (outcome) outcome.catch((err: unknown) => this.hub.internalError(this, err));
  }

  /** Handlers are methods rather than per-instance arrow functions: a server holds one Connection per socket. */
  private dispatch(msg: ClientMessage, frame: string): void | Promise<void> {
    switch (msg.type) {
      case 'hello':
        return this.onHello(msg);
      case 'join':
        return this.onJoin(msg);
      case 'description':
        return this.onDescription(msg, frame);
      case 'candidate':
        return this.onCandidate(msg, frame);
      case 'media':
        return this.onMedia(msg);
      case 'leave':
        return this.onLeave();
      case 'pong':
        return;
      default:
        return assertNever(msg);
    }
  }

  private async onHello(msg: Msg<'hello'>): Promise<void> {
    if (this.state.kind !== 'greeting') return this.fail('out-of-order', 'hello was already received', 'hello');
    if (msg.version !== PROTOCOL_VERSION) {
      this.fail('unsupported-version', `server speaks version ${PROTOCOL_VERSION}`, 'hello');
      return this.close(CLOSE.unsupportedVersion, 'unsupported version');
    }
    this.state = { kind: 'ready' };
    this.send({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs: this.hub.config.heartbeatIntervalMs });
    if (msg.resume !== undefined) await this.resume(msg.resume);
  }

  private async resume(token: string): Promise<void> {
    const session = this.hub.takeOverSession(token, this);
    if (!session) return this.fail('session-expired', 'that session has ended; join again', 'hello');
    this.state = { kind: 'in-room', session };
    const peers = (await this.hub.registry.members(session.roomId)).filter((p) => p.id !== session.peerId);
    this.send({ type: 'resumed', roomId: session.roomId, selfId: session.peerId, peers });
    this.hub.broadcast(session, { type: 'peer-presence', peerId: session.peerId, presence: 'back' });
  }

  private async onJoin(msg: Msg<'join'>): Promise<void> {
    if (this.state.kind !== 'ready') return this.fail('out-of-order', this.state.kind === 'greeting' ? 'send hello first' : 'already in a room', 'join');
    if (!this.hub.joinLimit.take(this.address)) return this.fail('rate-limited', 'too many join attempts; wait a minute', 'join');
    this.state = { kind: 'joining' };
    const peerId = randomBytes(8).toString('hex');
    const session = new Session(peerId, msg.name, msg.roomId, randomBytes(18).toString('base64url'), this);
    const outcome = await this.hub.registry.join(msg.roomId, { id: peerId, name: msg.name }, session.deliver);
    if (this.state.kind !== 'joining') {
      // The socket closed while the registry answered: undo the join.
      if (outcome.ok) await this.hub.registry.leave(msg.roomId, peerId);
      return;
    }
    if (!outcome.ok) {
      this.state = { kind: 'ready' };
      return this.fail(outcome.code, outcome.code === 'room-full' ? 'this room already has its two people' : 'no such room, or it has expired', 'join');
    }
    this.state = { kind: 'in-room', session };
    this.hub.addSession(session);
    this.send({ type: 'joined', roomId: msg.roomId, selfId: peerId, peers: outcome.others, resumeToken: session.resumeToken, iceServers: this.hub.iceServersFor(peerId) });
    this.hub.broadcast(session, { type: 'peer-joined', peer: { id: peerId, name: msg.name } });
  }

  private onDescription(msg: Msg<'description'>, frame: string): void {
    const session = this.sessionFor('description');
    if (!session) return;
    session.resetCandidates(msg.to);
    const relayed = relayedFrame(frame, 'description', msg.to, session.peerId) ?? JSON.stringify({ type: 'description', from: session.peerId, description: msg.description } satisfies ServerMessage);
    this.relay(session, msg.to, 'description', relayed);
  }

  private onCandidate(msg: Msg<'candidate'>, frame: string): void {
    const session = this.sessionFor('candidate');
    if (!session) return;
    if (!session.countCandidate(msg.to)) return this.fail('too-many-candidates', 'candidate limit reached for this negotiation', 'candidate');
    const relayed = relayedFrame(frame, 'candidate', msg.to, session.peerId) ?? JSON.stringify({ type: 'candidate', from: session.peerId, candidate: msg.candidate } satisfies ServerMessage);
    this.relay(session, msg.to, 'candidate', relayed);
  }

  private onMedia(msg: Msg<'media'>): void {
    const session = this.sessionFor('media');
    if (session) this.hub.broadcast(session, { type: 'peer-media', peerId: session.peerId, media: msg.media });
  }

  private async onLeave(): Promise<void> {
    const session = this.sessionFor('leave');
    if (!session) return;
    this.state = { kind: 'ready' };
    await this.hub.endSession(session, 'left');
  }

  /** The socket closed: a member keeps its place for the grace period. */
  onClosed(): void {
    const previous = this.state;
    this.state = { kind: 'closed' };
    if (previous.kind === 'in-room') this.hub.sessionAway(previous.session, this);
  }

  private relay(session: Session, to: string, type: 'description' | 'candidate', frame: string): void {
    if (to === session.peerId || !this.hub.registry.sendTo(session.roomId, to, frame)) {
      return this.fail('peer-not-found', 'that peer is not in your room', type);
    }
    this.hub.metrics.relayed();
  }

  private sessionFor(about: ClientMessage['type']): Session | undefined {
    if (this.state.kind === 'in-room') return this.state.session;
    this.fail('out-of-order', 'join a room first', about);
    return undefined;
  }

  private refuseFlood(): void {
    this.hub.metrics.rejected('rate-limited');
    if (++this.floodStrikes >= FLOOD_STRIKES_BEFORE_CLOSE) return this.close(CLOSE.flood, 'message rate exceeded');
    this.send({ type: 'error', code: 'rate-limited', message: 'too many messages; slow down' });
  }

  private fail(code: ErrorCode, message: string, about?: string): void {
    this.hub.metrics.rejected(code);
    this.send({ type: 'error', code, message, about });
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled message ${JSON.stringify(value)}`);
}
