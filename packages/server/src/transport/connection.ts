import {
  assertNever,
  ClientMessage,
  type ErrorCode,
  MAX_ERROR_MESSAGE_CHARS,
  MESSAGE_BURST_PER_SOCKET,
  MESSAGES_PER_SECOND_PER_SOCKET,
  type MessageOf,
  PROTOCOL_VERSION,
  parse,
  type ServerMessage,
} from '@videoapp/protocol';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { TokenBucket } from '../rate-limit.ts';
import type { E2eeRequest } from '../rooms/e2ee-relay.ts';
import type { KnockAddress, KnockerSocket } from '../rooms/knock-door.ts';
import type { Member } from '../rooms/member.ts';
import { isRefusal, type MemberSocket, type Refusal, type RoomsService } from '../rooms/rooms-service.ts';
import type { SfuRequest } from '../rooms/sfu-rooms.ts';
import type { ProtocolProblem, Socket, SocketHandler } from '../websocket/socket.ts';
import type { IntakeGate } from './intake-gate.ts';
import { relayedFrame } from './relayed-frame.ts';

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

/** What a connection needs from the server around it. */
export interface ConnectionDeps {
  rooms: RoomsService;
  metrics: Metrics;
  log: Logger;
  heartbeatIntervalMs: number;
  /** Counts each message until it is handled, and holds every socket back while too many are. */
  gate: IntakeGate;
  /** A handler failed: logged, at most once in a while however many fail (an overload fails thousands at once). */
  handlerFailed(message: string): void;
  /** The socket closed: it no longer counts against its address or gets heartbeats. */
  forget(connection: Connection): void;
}

type Msg<T extends ClientMessage['type']> = MessageOf<ClientMessage, T>;

/** A socket's lifecycle: greeted with `hello`, then at most one room at a time, or waiting at one's door (`knocking`). */
type ConnectionState = { kind: 'greeting' } | { kind: 'ready' } | { kind: 'joining' } | { kind: 'in-room'; member: Member } | { kind: 'knocking'; knock: KnockAddress } | { kind: 'closed' };

/**
 * One signaling WebSocket: rate-limits, parses and validates what arrives,
 * and hands each message to the rooms service, one small handler per type.
 * It knows no room rules.
 */
export class Connection implements SocketHandler, MemberSocket, KnockerSocket {
  private state: ConnectionState = { kind: 'greeting' };
  private readonly bucket = new TokenBucket(MESSAGES_PER_SECOND_PER_SOCKET, MESSAGE_BURST_PER_SOCKET);
  private floodStrikes = 0;
  /** Set once the rooms service gave this socket a member, so a close in the middle of a join is handled once. */
  private admittedMember: Member | undefined;
  lastHeardAt = Date.now();
  readonly openedAt = Date.now();

  constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly deps: ConnectionDeps,
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

  /** Stops reading this socket (see IntakeGate). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    // Silence while we were not reading is ours, not the peer's.
    this.lastHeardAt = Date.now();
    this.socket.resume();
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
    this.deps.metrics.received(result.value.type);
    const before = this.state;
    const outcome = this.dispatch(result.value, frame);
    if (!outcome) return;
    this.deps.gate.track(outcome);
    outcome.catch((err: unknown) => {
      // A handler that failed half-way must not leave the socket stuck in a transition (e.g. `joining`).
      if (this.state.kind === 'joining') this.state = before;
      this.deps.handlerFailed(err instanceof Error ? err.message : String(err));
      this.fail('internal', 'the server could not handle that message', result.value.type);
    });
  }

  /** `frame` is the text `msg` was parsed from: relayed messages are cut from it rather than serialized again. */
  private dispatch(msg: ClientMessage, frame: string): void | Promise<void> {
    switch (msg.type) {
      case 'hello':
        return this.onHello(msg);
      case 'join':
        return this.onJoin(msg);
      case 'description':
      case 'candidate':
        return this.onSignal(msg, frame);
      case 'media':
        return this.inRoom(msg, async (member) => {
          await this.deps.rooms.media(member, msg.media, msg.seq);
          return undefined;
        });
      case 'leave':
        return this.onLeave(msg);
      case 'lock':
        return this.inRoom(msg, (member) => this.deps.rooms.lock(member, this, msg.locked, msg.seq));
      case 'pong':
        if (this.state.kind === 'in-room' && msg.ack !== undefined) this.deps.rooms.acknowledge(this.state.member, msg.ack);
        return;
      case 'ping':
        return this.send({ type: 'pong' });
      case 'ack':
        // Outside a room there is nothing to acknowledge: a late one (sent as the session ended) is dropped.
        if (this.state.kind === 'in-room') this.deps.rooms.acknowledge(this.state.member, msg.seq);
        return;
      case 'sfu-publish':
      case 'sfu-subscribe-answer':
      case 'sfu-candidate':
      case 'sfu-view':
      case 'sfu-subscribe-restart':
      case 'sfu-leave':
        return this.inRoom(msg, (member) => this.deps.rooms.sfu(member, msg));
      case 'chat':
        return this.inRoom(msg, (member) => this.deps.rooms.chat(member, msg.text, msg.seq));
      case 'hand':
        return this.inRoom(msg, (member) => this.deps.rooms.hands.own(member, msg.raised, msg.seq));
      case 'lower-hand':
        return this.inRoom(msg, (member) => this.deps.rooms.hands.lowerOther(member, msg.peerId, msg.seq));
      case 'reaction':
        return this.inRoom(msg, (member) => this.deps.rooms.hands.react(member, msg.emoji, msg.seq));
      case 'e2ee-key':
      case 'e2ee-media-key':
        return this.inRoom(msg, (member) => this.deps.rooms.e2ee(member, msg));
      case 'knock':
        return this.onKnock(msg);
      case 'knock-cancel':
        return this.onKnockCancel();
      case 'admit':
      case 'deny':
        return this.inRoom(msg, (member) => this.deps.rooms.door.answer(member, msg.knockId, msg.type === 'admit' ? 'admitted' : 'denied'));
      case 'ask-to-join':
        return this.inRoom(msg, (member) => this.deps.rooms.askToJoin(member, this, msg.on, msg.seq));
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
    this.send({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs: this.deps.heartbeatIntervalMs });
    if (msg.resume !== undefined) await this.enter('hello', () => this.deps.rooms.resume(this, msg.resume!, msg.lastSeq ?? 0));
  }

  private async onJoin(msg: Msg<'join'>): Promise<void> {
    if (this.state.kind !== 'ready') return this.fail('out-of-order', this.state.kind === 'greeting' ? 'send hello first' : 'already in a room', 'join');
    await this.enter('join', () => this.deps.rooms.join(this, msg));
  }

  /** Joins or resumes: `ready` → `joining` → `in-room` (see `admitted`), or back to `ready` with the refusal. */
  private async enter(about: 'hello' | 'join', request: () => Promise<Member | Refusal>): Promise<void> {
    this.state = { kind: 'joining' };
    const outcome = await request();
    // The state may have moved while the rooms service worked (admitted, or the socket closed).
    const now = this.state as ConnectionState;
    if (isRefusal(outcome)) {
      if (now.kind === 'joining') this.state = { kind: 'ready' };
      return this.fail(outcome.code, outcome.message, about);
    }
    // Closed before the rooms service could greet it: the member it was getting is away.
    if (now.kind === 'closed' && !this.admittedMember) await this.deps.rooms.away(outcome, this);
  }

  /** Knocks: `ready` → `joining` → `knocking` (see `knocking`), or back to `ready` with the refusal. */
  private async onKnock(msg: Msg<'knock'>): Promise<void> {
    if (this.state.kind !== 'ready') return this.fail('out-of-order', this.state.kind === 'greeting' ? 'send hello first' : 'already in a room or knocking', 'knock');
    this.state = { kind: 'joining' };
    const refusal = await this.deps.rooms.door.knock(this, msg);
    if (this.state.kind === 'joining') this.state = { kind: 'ready' };
    if (refusal) this.fail(refusal.code, refusal.message, 'knock');
  }

  private async onKnockCancel(): Promise<void> {
    if (this.state.kind !== 'knocking') return this.fail('out-of-order', 'not knocking', 'knock-cancel');
    const { knock } = this.state;
    this.state = { kind: 'ready' };
    await this.deps.rooms.door.cancel(knock, this);
  }

  knocking(knock: KnockAddress): void {
    if (this.state.kind === 'joining') this.state = { kind: 'knocking', knock };
    // Closed while the door let it wait: the knocker is away (their place kept for the grace period).
    else if (this.state.kind === 'closed') this.deps.rooms.door.away(knock, this);
  }

  knockAnswered(): void {
    if (this.state.kind === 'knocking') this.state = { kind: 'ready' };
  }

  admitted(member: Member): void {
    this.admittedMember = member;
    if (this.state.kind === 'joining') this.state = { kind: 'in-room', member };
  }

  private async onSignal(msg: Msg<'description' | 'candidate'>, frame: string): Promise<void> {
    const member = this.memberFor(msg);
    if (!member) return;
    if (msg.type === 'description') member.resetCandidates(msg.to);
    else if (!member.countCandidate(msg.to)) return this.fail('too-many-candidates', 'candidate limit reached for this negotiation', 'candidate');
    const relayed =
      relayedFrame(frame, msg.type, msg, member.id) ??
      JSON.stringify(
        msg.type === 'description'
          ? ({ type: 'description', from: member.id, description: msg.description } satisfies ServerMessage)
          : ({ type: 'candidate', from: member.id, candidate: msg.candidate } satisfies ServerMessage),
      );
    const refusal = await this.deps.rooms.relay(member, msg.type, msg.to, relayed, msg.seq);
    if (refusal) this.fail(refusal.code, refusal.message, msg.type);
  }

  private async onLeave(msg: Msg<'leave'>): Promise<void> {
    const member = this.memberFor(msg);
    if (!member) return;
    this.state = { kind: 'ready' };
    await this.deps.rooms.leave(member, msg.reason);
  }

  private async inRoom(
    msg: Msg<'media' | 'lock' | SfuRequest['type'] | 'chat' | 'hand' | 'lower-hand' | 'reaction' | E2eeRequest['type'] | 'admit' | 'deny' | 'ask-to-join'>,
    act: (member: Member) => Promise<Refusal | undefined>,
  ): Promise<void> {
    const member = this.memberFor(msg);
    if (!member) return;
    const refusal = await act(member);
    if (refusal) this.fail(refusal.code, refusal.message, msg.type);
  }

  /** The member a room message acts on, after taking the acknowledgement it carries; undefined (after an error) outside a room. */
  private memberFor(msg: { type: string; ack?: number }): Member | undefined {
    if (this.state.kind !== 'in-room') {
      this.fail('out-of-order', 'join a room first', msg.type);
      return undefined;
    }
    if (msg.ack !== undefined) this.deps.rooms.acknowledge(this.state.member, msg.ack);
    return this.state.member;
  }

  onBinary(): void {
    this.deps.metrics.rejected('binary-frame');
    this.close(CLOSE.policy, 'binary frames are not part of the protocol');
  }

  /** The socket is already closing with the code the peer earned; only the count is ours to keep. */
  onProtocolError(problem: ProtocolProblem, detail: string): void {
    this.deps.metrics.rejected(problem);
    this.deps.log.debug('protocol-error', { problem, detail, address: this.address });
  }

  onFailure(err: unknown): void {
    this.deps.metrics.rejected('internal');
    this.deps.log.error('handler-failed', { message: err instanceof Error ? err.message : String(err), address: this.address });
  }

  /** The socket closed: a member keeps its place for the grace period (unless a newer socket already took it). */
  onClose(): void {
    this.deps.forget(this);
    const previous = this.state;
    this.state = { kind: 'closed' };
    if (previous.kind === 'knocking') this.deps.rooms.door.away(previous.knock, this);
    if (previous.kind === 'in-room') {
      this.deps.rooms.away(previous.member, this).catch((err: unknown) => this.deps.log.error('away-failed', { message: err instanceof Error ? err.message : String(err) }));
    }
  }

  /** A newer socket resumed this connection's member (the client reconnected before this one was seen dead). */
  supersede(): void {
    this.state = { kind: 'ready' };
    this.close(CLOSE.superseded, 'session resumed on another socket');
  }

  private refuseFlood(): void {
    this.deps.metrics.rejected('rate-limited');
    if (++this.floodStrikes >= FLOOD_STRIKES_BEFORE_CLOSE) {
      this.deps.log.warn('flood-closed', { address: this.address });
      return this.close(CLOSE.flood, 'message rate exceeded');
    }
    this.send({ type: 'error', code: 'rate-limited', message: 'too many messages; slow down' });
  }

  private fail(code: ErrorCode, message: string, about?: string): void {
    this.deps.metrics.rejected(code);
    this.send({ type: 'error', code, message: message.slice(0, MAX_ERROR_MESSAGE_CHARS), about });
  }
}

/** The `type` a bad message claimed, when it looks like one: echoed back as `about`, so it must stay short and plain. */
function aboutOf(data: unknown): string | undefined {
  const type = typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined;
  return typeof type === 'string' && /^[a-z-]{1,32}$/.test(type) ? type : undefined;
}
