import { randomBytes } from 'node:crypto';
import {
  assertNever,
  ClientMessage,
  MAX_ERROR_MESSAGE_CHARS,
  MESSAGE_BURST_PER_SOCKET,
  MESSAGES_PER_SECOND_PER_SOCKET,
  parse,
  PROTOCOL_VERSION,
  type ErrorCode,
  type MessageOf,
  type ServerMessage,
} from '@videoapp/protocol';
import { roomTag } from '../log.ts';
import { TokenBucket } from '../rate-limit.ts';
import type { ProtocolProblem, Socket, SocketHandler } from '../websocket/socket.ts';
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
  superseded: 4004,
} as const;

const JOIN_REFUSALS: Record<'room-not-found' | 'room-full' | 'room-locked', string> = {
  'room-not-found': 'no such room, or it has expired',
  'room-full': 'this room already has as many people as a call can hold',
  'room-locked': 'the host has locked this room',
};

type Msg<T extends ClientMessage['type']> = MessageOf<ClientMessage, T>;
/** Messages that act on the sender's room, numbered so they survive a dropped socket. */
type RoomMessage = Msg<'description' | 'candidate' | 'media' | 'leave' | 'lock'>;

/** A socket's lifecycle: greeted with `hello`, then at most one room at a time. */
type ConnectionState =
  | { kind: 'greeting' }
  | { kind: 'ready' }
  | { kind: 'joining' }
  | { kind: 'in-room'; session: Session }
  | { kind: 'closed' };

/** One signaling WebSocket: validates what arrives and dispatches it, one small handler per message type. */
export class Connection implements SocketHandler {
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

  sendFrame(frame: string | Buffer): void {
    this.socket.send(frame);
  }

  terminate(): void {
    this.socket.terminate();
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  /** One text message from the socket: rate-limited, parsed, validated, dispatched. */
  onText(frame: string): void {
    this.lastHeardAt = Date.now();
    if (!this.bucket.take(this.lastHeardAt)) return this.refuseFlood();
    let data: unknown;
    try {
      data = JSON.parse(frame);
    } catch {
      return this.fail('bad-message', 'not valid JSON');
    }
    const result = parse(ClientMessage, data);
    if (!result.ok) return this.fail('bad-message', result.problem, aboutOf(data));
    this.hub.metrics.received(result.value.type);
    const outcome = this.dispatch(result.value, frame);
    if (outcome) outcome.catch((err: unknown) => this.hub.internalError(this, err));
  }

  /** `frame` is the text `msg` was parsed from: relayed messages are cut from it rather than serialized again. */
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
        return this.onLeave(msg);
      case 'lock':
        return this.onLock(msg);
      case 'pong':
        return this.onPong(msg);
      case 'ack':
        return this.onAck(msg);
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
    if (msg.resume !== undefined) await this.resume(msg.resume, msg.lastSeq ?? 0);
  }

  private async resume(token: string, lastSeq: number): Promise<void> {
    this.state = { kind: 'joining' };
    const reclaimed = await this.hub.reclaimSession(token, this);
    if (this.state.kind !== 'joining') {
      // This socket closed while the session was being reclaimed: it is away again.
      if (reclaimed) this.hub.sessionAway(reclaimed.session, this);
      return;
    }
    if (!reclaimed) {
      this.state = { kind: 'ready' };
      return this.fail('session-expired', 'that session has ended; join again', 'hello');
    }
    const { session } = reclaimed;
    this.state = { kind: 'in-room', session };
    const resendFrom = session.resume(this, lastSeq);
    const peers = (await this.hub.registry.members(session.roomId)).filter((p) => p.id !== session.id);
    this.send({ type: 'resumed', roomId: session.roomId, selfId: session.id, peers, iceServers: this.hub.iceServersFor(session.id), received: session.receivedSeq, resendFrom });
    session.resend(resendFrom);
    this.hub.broadcast(session, { type: 'peer-presence', peerId: session.id, presence: 'back' });
  }

  private async onJoin(msg: Msg<'join'>): Promise<void> {
    if (this.state.kind !== 'ready') return this.fail('out-of-order', this.state.kind === 'greeting' ? 'send hello first' : 'already in a room', 'join');
    if (!this.hub.joinLimit.take(this.address)) return this.fail('rate-limited', 'too many join attempts; wait a minute', 'join');
    const startedAt = performance.now();
    this.state = { kind: 'joining' };
    const admission = await this.hub.admission.admit(msg.roomId, msg, this.address);
    if (this.state.kind !== 'joining') return;
    if (!admission.ok) {
      this.state = { kind: 'ready' };
      this.hub.log.info('join-refused', { room: roomTag(msg.roomId), code: admission.code, address: this.address });
      return this.fail(admission.code, admission.message, 'join');
    }
    const peerId = randomBytes(8).toString('hex');
    const session = new Session(peerId, msg.name, msg.roomId, this, admission.host);
    const outcome = await this.hub.registry.join(msg.roomId, session, { host: admission.host });
    if (this.state.kind !== 'joining') {
      // The socket closed while the registry answered: undo the join.
      if (outcome.ok) await this.hub.registry.leave(msg.roomId, peerId);
      return;
    }
    if (!outcome.ok) {
      this.state = { kind: 'ready' };
      this.hub.log.info('join-refused', { room: roomTag(msg.roomId), code: outcome.code, address: this.address });
      return this.fail(outcome.code, JOIN_REFUSALS[outcome.code], 'join');
    }
    this.state = { kind: 'in-room', session };
    this.hub.addSession(session);
    const locked = (await this.hub.registry.status(msg.roomId))?.locked ?? false;
    this.send({ type: 'joined', roomId: msg.roomId, selfId: peerId, peers: outcome.others, resumeToken: this.hub.newResumeToken(msg.roomId, peerId, msg.name, admission.host), iceServers: this.hub.iceServersFor(peerId), host: admission.host, locked });
    const seconds = (performance.now() - startedAt) / 1000;
    this.hub.metrics.joined(seconds);
    this.hub.log.info('joined', { room: roomTag(msg.roomId), peer: peerId, host: admission.host, ms: Math.round(seconds * 1000) });
    this.hub.broadcast(session, { type: 'peer-joined', peer: { id: peerId, name: msg.name } });
  }

  private onPong(msg: Msg<'pong'>): void {
    if (this.state.kind === 'in-room' && msg.ack !== undefined) this.state.session.acknowledge(msg.ack);
  }

  /** Outside a room there is nothing to acknowledge: a late one (sent as the session ended) is dropped. */
  private onAck(msg: Msg<'ack'>): void {
    if (this.state.kind === 'in-room') this.state.session.acknowledge(msg.seq);
  }

  private onDescription(msg: Msg<'description'>, frame: string): void {
    const session = this.sessionFor(msg);
    if (!session) return;
    session.resetCandidates(msg.to);
    const relayed = relayedFrame(frame, 'description', msg, session.id) ?? JSON.stringify({ type: 'description', from: session.id, description: msg.description } satisfies ServerMessage);
    this.relay(session, msg.to, 'description', relayed);
  }

  private onCandidate(msg: Msg<'candidate'>, frame: string): void {
    const session = this.sessionFor(msg);
    if (!session) return;
    if (!session.countCandidate(msg.to)) return this.fail('too-many-candidates', 'candidate limit reached for this negotiation', 'candidate');
    const relayed = relayedFrame(frame, 'candidate', msg, session.id) ?? JSON.stringify({ type: 'candidate', from: session.id, candidate: msg.candidate } satisfies ServerMessage);
    this.relay(session, msg.to, 'candidate', relayed);
  }

  private onMedia(msg: Msg<'media'>): void {
    const session = this.sessionFor(msg);
    if (!session) return;
    this.hub.broadcast(session, { type: 'peer-media', peerId: session.id, media: msg.media });
    this.hub.metrics.relayed('peer-media');
  }

  private async onLock(msg: Msg<'lock'>): Promise<void> {
    const session = this.sessionFor(msg);
    if (!session) return;
    if (!session.host) return this.fail('not-room-host', 'only the person who created the room can lock it', 'lock');
    await this.hub.registry.setLocked(session.roomId, msg.locked);
    this.hub.log.info('room-lock', { room: roomTag(session.roomId), locked: msg.locked });
    const notice: ServerMessage = { type: 'room-lock', locked: msg.locked };
    this.send(notice);
    this.hub.broadcast(session, notice);
  }

  private async onLeave(msg: Msg<'leave'>): Promise<void> {
    const session = this.sessionFor(msg);
    if (!session) return;
    this.state = { kind: 'ready' };
    await this.hub.endSession(session, msg.reason === 'hang-up' ? 'hung-up' : 'left');
  }

  onBinary(): void {
    this.hub.metrics.rejected('binary-frame');
    this.close(CLOSE.policy, 'binary frames are not part of the protocol');
  }

  /** The socket is already closing with the code the peer earned; only the count is ours to keep. */
  onProtocolError(problem: ProtocolProblem, detail: string): void {
    this.hub.metrics.rejected(problem);
    this.hub.log.debug('protocol-error', { problem, detail, address: this.address });
  }

  onFailure(err: unknown): void {
    this.hub.metrics.rejected('internal');
    this.hub.log.error('handler-failed', { message: err instanceof Error ? err.message : String(err), address: this.address });
  }

  /** The socket closed: a member keeps its place for the grace period (unless a newer socket already took it). */
  onClose(): void {
    this.hub.forget(this);
    const previous = this.state;
    this.state = { kind: 'closed' };
    if (previous.kind === 'in-room' && previous.session.isAttachedTo(this)) this.hub.sessionAway(previous.session, this);
  }

  /** A newer socket resumed this connection's session (the client reconnected before this one was seen dead). */
  supersede(): void {
    this.state = { kind: 'ready' };
    this.close(CLOSE.superseded, 'session resumed on another socket');
  }

  private relay(session: Session, to: string, type: 'description' | 'candidate', frame: string): void {
    if (to === session.id || !this.hub.registry.sendTo(session.roomId, to, frame)) {
      return this.fail('peer-not-found', 'that peer is not in your room', type);
    }
    this.hub.metrics.relayed(type);
  }

  /**
   * The session a room message acts on, after taking the acknowledgement it
   * carries; undefined (after an error) outside a room, or silently for a
   * re-sent duplicate.
   */
  private sessionFor(msg: RoomMessage): Session | undefined {
    if (this.state.kind !== 'in-room') {
      this.fail('out-of-order', 'join a room first', msg.type);
      return undefined;
    }
    const session = this.state.session;
    if (msg.ack !== undefined) session.acknowledge(msg.ack);
    return session.accept(msg.seq) ? session : undefined;
  }

  private refuseFlood(): void {
    this.hub.metrics.rejected('rate-limited');
    if (++this.floodStrikes >= FLOOD_STRIKES_BEFORE_CLOSE) {
      this.hub.log.warn('flood-closed', { address: this.address });
      return this.close(CLOSE.flood, 'message rate exceeded');
    }
    this.send({ type: 'error', code: 'rate-limited', message: 'too many messages; slow down' });
  }

  private fail(code: ErrorCode, message: string, about?: string): void {
    this.hub.metrics.rejected(code);
    this.send({ type: 'error', code, message: message.slice(0, MAX_ERROR_MESSAGE_CHARS), about });
  }
}

/** The `type` a bad message claimed, when it looks like one: echoed back as `about`, so it must stay short and plain. */
function aboutOf(data: unknown): string | undefined {
  const type = typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined;
  return typeof type === 'string' && /^[a-z-]{1,32}$/.test(type) ? type : undefined;
}

