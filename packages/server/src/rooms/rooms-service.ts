import { randomBytes } from 'node:crypto';
import { CHAT_LINES_PER_MINUTE, type DepartureReason, type ErrorCode, type IceServer, type MediaRoute, type MediaState, type ServerMessage } from '@videoapp/protocol';
import type { Addressee, FrameSink, SignalBus } from '../bus/signal-bus.ts';
import type { ServerConfig } from '../config.ts';
import { type Logger, roomTag } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { PerMinuteLimit } from '../rate-limit.ts';
import { readResumeToken, signResumeToken } from '../resume-token.ts';
import type { SfuAdapter } from '../sfu/sfu-adapter.ts';
import type { MemberAddress, RoomStore } from '../store/room-store.ts';
import { issueTurnCredentials, turnRefreshIntervalMs } from '../turn-credentials.ts';
import { admit } from './admission.ts';
import { type E2eeRequest, e2eeDelivery } from './e2ee-relay.ts';
import type { EndedSessionLog } from './ended-sessions.ts';
import { RoomHands } from './hands.ts';
import { KnockDoor } from './knock-door.ts';
import { RoomRoutes } from './media-route.ts';
import { Member } from './member.ts';
import type { RateLimits } from './rate-limits.ts';
import { type SfuRequest, SfuRooms } from './sfu-rooms.ts';

/** How often each process renews its lease, ends members whose grace ran out, and adopts those of processes that died. */
export const ROOMS_SWEEP_MS = 1_000;

/** What the rooms service needs of a socket: a way to send, and the client address it counts limits against. */
export interface MemberSocket extends FrameSink {
  readonly address: string;
  send(message: ServerMessage): void;
  /**
   * The socket is now `member`'s, told so just before it is sent `joined` or
   * `resumed`: what the client sends in answer must find the socket in the room.
   */
  admitted(member: Member): void;
}

/** Why a request was refused, as the error the client is sent. */
export interface Refusal {
  code: ErrorCode;
  message: string;
}

export const isRefusal = (value: Member | Refusal | undefined): value is Refusal => value !== undefined && !(value instanceof Member);

const JOIN_REFUSALS: Record<'room-not-found' | 'room-full' | 'room-locked', string> = {
  'room-not-found': 'no such room, or it has expired',
  'room-full': 'this room already has as many people as a call can hold',
  'room-locked': 'the host has locked this room',
};
const SESSION_ENDED: Refusal = { code: 'session-expired', message: 'that session has ended; join again' };
const NO_SFU: Refusal = { code: 'out-of-order', message: 'this server has no SFU: every room is a mesh' };

export interface RoomsDeps {
  config: ServerConfig;
  store: RoomStore;
  bus: SignalBus;
  limits: RateLimits;
  ended: EndedSessionLog;
  log: Logger;
  metrics: Metrics;
  /** This process's name in the store: who holds which member's socket. */
  processId: string;
  /** The SFU bigger rooms move to, if the server has one. */
  sfu?: SfuAdapter | undefined;
}

/**
 * The rooms: who may join, who may do what, and where each message goes.
 * Pure room logic over the store and the bus; it never sees a socket beyond
 * `MemberSocket`, and never holds another process's objects, so the same
 * code runs alone in memory or as one of several processes over Redis.
 */
export class RoomsService {
  /** Members whose socket this process holds (or held last, while they are away), and that socket. */
  private readonly held = new Map<string, { member: Member; socket: MemberSocket }>();
  private readonly sweeper: NodeJS.Timeout;
  private sweeping = false;
  private readonly routes: RoomRoutes;
  private readonly sfuRooms: SfuRooms | undefined;
  /** Chat lines each member held here has sent this minute. */
  private readonly chatLines = new PerMinuteLimit(CHAT_LINES_PER_MINUTE);
  /** Raised hands and reactions. */
  readonly hands: RoomHands;
  /** "Ask to join": the knockers at this server's rooms, and the host's answers. */
  readonly door: KnockDoor;

  constructor(private readonly deps: RoomsDeps) {
    const { config } = deps;
    if (config.resumeTokenLifetimeMs <= config.resumeTokenRenewMs + config.resumeGraceMs) {
      throw new Error('resume tokens must outlive a renewal interval plus the grace period, or a session could outlive its token');
    }
    this.sweeper = setInterval(() => void this.sweep(), Math.min(ROOMS_SWEEP_MS, config.resumeGraceMs / 4));
    this.sweeper.unref();
    deps.bus.onTakenOver((peerId) => this.release(peerId));
    const { sfu, store, log } = deps;
    this.hands = new RoomHands({ store, bus: deps.bus, metrics: deps.metrics });
    this.door = new KnockDoor({ store, bus: deps.bus, limits: deps.limits, log, graceMs: config.resumeGraceMs });
    this.sfuRooms = sfu && new SfuRooms({ sfu, store, log, sendTo: (roomId, peerId, message) => this.sendTo(roomId, peerId, message), localMembers: (roomId) => this.localMembers(roomId) });
    this.routes = new RoomRoutes({
      store,
      hasSfu: sfu !== undefined,
      announce: (roomId, route, except) => this.announceRoute(roomId, route, except),
      failed: (err) => log.warn('route-move-failed', { message: err instanceof Error ? err.message : String(err) }),
    });
  }

  get memberCount(): number {
    return this.held.size;
  }

  /** Rooms with someone held by this process. */
  get roomCount(): number {
    return new Set(Array.from(this.held.values(), ({ member }) => member.roomId)).size;
  }

  async join(socket: MemberSocket, request: { roomId: string; name: string; passcode?: string; hostKey?: string; knock?: string; rejoin?: string }): Promise<Member | Refusal> {
    const { store, bus, limits, log, metrics, config } = this.deps;
    const startedAt = performance.now();
    if (!(await limits.take('join', socket.address))) return { code: 'rate-limited', message: 'too many join attempts; wait a minute' };
    const was = request.rejoin === undefined ? undefined : readResumeToken(config.resumeSecret, request.rejoin, Date.now());
    const access = was?.roomId === request.roomId ? await store.access(request.roomId) : undefined;
    const returning = access !== undefined && was?.roomLife === access.life;
    const admission = await admit(store, limits, request.roomId, { ...request, returning }, socket.address);
    if (!admission.ok) {
      log.info('join-refused', { room: roomTag(request.roomId), code: admission.code, address: socket.address });
      return admission;
    }
    const member = new Member(randomBytes(8).toString('hex'), request.name, request.roomId, admission.life, admission.host);
    const outcome = await store.join(member.roomId, member.roomLife, member);
    if (!outcome.ok) {
      log.info('join-refused', { room: roomTag(request.roomId), code: outcome.code, address: socket.address });
      return { code: outcome.code, message: JOIN_REFUSALS[outcome.code] };
    }
    this.hold(member, socket);
    if (admission.knockId !== undefined) await this.door.spent(member.roomId, admission.knockId);
    const { locked, askToJoin } = admission;
    const route = await this.routes.settle(member.roomId, outcome.others.length + 1, member.id);
    await bus.attach(member.address, socket, 0, () => {
      socket.admitted(member);
      socket.send({
        type: 'joined',
        roomId: member.roomId,
        selfId: member.id,
        peers: outcome.others,
        resumeToken: this.newResumeToken(member),
        iceServers: this.iceServersFor(member.id),
        host: member.host,
        locked,
        route,
        askToJoin,
      });
    });
    const seconds = (performance.now() - startedAt) / 1000;
    metrics.joined(seconds);
    log.info('joined', { room: roomTag(member.roomId), peer: member.id, host: member.host, ms: Math.round(seconds * 1000) });
    await this.tellOthers(member, { type: 'peer-joined', peer: { id: member.id, name: member.name } });
    await this.hands.tell(member);
    // A host (back after a reload, or joining late) sees who is already waiting.
    if (member.host) await this.door.tellHosts(member.roomId, member.id);
    return member;
  }

  /**
   * A new socket presents a resume token: the member's place, wherever it was
   * held before (this process, another one, or one that restarted), under the
   * same peer id; refused when the session ended, the token expired, or it is
   * not ours.
   */
  async resume(socket: MemberSocket, token: string, lastSeq: number): Promise<Member | Refusal> {
    const { config, store, bus, ended } = this.deps;
    const claims = readResumeToken(config.resumeSecret, token, Date.now());
    if (!claims || (await ended.has(claims.peerId))) return SESSION_ENDED;
    const previous = this.held.get(claims.peerId)?.member;
    if (previous && (previous.roomId !== claims.roomId || previous.roomLife !== claims.roomLife)) return SESSION_ENDED;
    const member = previous ?? new Member(claims.peerId, claims.name, claims.roomId, claims.roomLife, claims.host);
    const outcome = await store.restore(member.roomId, member.roomLife, member);
    if (!outcome.ok) return SESSION_ENDED;
    this.hold(member, socket);
    await store.markBack(member.address);
    // A room rebuilt after a restart starts on the mesh: its route is decided again.
    const route = await this.routes.settle(member.roomId, outcome.others.length + 1, member.id);
    await bus.attach(member.address, socket, lastSeq, ({ resendFrom, receivedSeq }) => {
      socket.admitted(member);
      socket.send({
        type: 'resumed',
        roomId: member.roomId,
        selfId: member.id,
        resumeToken: this.newResumeToken(member),
        peers: outcome.others,
        iceServers: this.iceServersFor(member.id),
        received: receivedSeq,
        resendFrom,
        route,
      });
    });
    // Its SFU connections may belong to another process, or have been lost with this one: it publishes anew.
    if (route === 'sfu') await this.sfuRooms?.resumed(member);
    await this.tellOthers(member, { type: 'peer-presence', peerId: member.id, presence: 'back' });
    await this.hands.tell(member);
    if (member.host) await this.door.tellHosts(member.roomId, member.id);
    return member;
  }

  /** The member's socket closed: they keep their place for the grace period (unless a newer socket already took it). */
  async away(member: Member, socket: MemberSocket): Promise<void> {
    if (this.held.get(member.id)?.socket !== socket) return;
    this.deps.bus.detach(member.id, socket);
    await this.deps.store.markAway(member.address, Date.now() + this.deps.config.resumeGraceMs);
    await this.tellOthers(member, { type: 'peer-presence', peerId: member.id, presence: 'away' });
    this.deps.log.debug('session-away', { room: roomTag(member.roomId), peer: member.id, address: socket.address });
  }

  /** Another process took this member over: this one lets go of it (its timers, its record), without a departure. */
  release(peerId: string): void {
    const member = this.held.get(peerId)?.member;
    if (!member) return;
    member.end();
    this.held.delete(peerId);
    this.sfuRooms?.end(member.roomId, peerId).catch((err: unknown) => this.deps.log.warn('sfu-end-failed', { message: err instanceof Error ? err.message : String(err) }));
  }

  async leave(member: Member, reason: 'hang-up' | 'page-exit'): Promise<void> {
    await this.end(member.address, reason === 'hang-up' ? 'hung-up' : 'left');
  }

  /** Relays a `description` or `candidate` (already cut to its relayed frame) to one member of the sender's room. */
  async relay(member: Member, type: 'description' | 'candidate', to: string, frame: string, seq: number | undefined): Promise<Refusal | undefined> {
    const outcome = to === member.id ? 'not-member' : await this.send(member, { to }, frame, seq);
    if (outcome === 'not-member') return { code: 'peer-not-found', message: 'that peer is not in your room' };
    if (outcome === 'sent') this.deps.metrics.relayed(type);
    return undefined;
  }

  async media(member: Member, media: MediaState, seq: number | undefined): Promise<void> {
    const outcome = await this.send(member, { allBut: member.id }, JSON.stringify({ type: 'peer-media', peerId: member.id, media } satisfies ServerMessage), seq);
    if (outcome === 'sent') this.deps.metrics.relayed('peer-media');
  }

  async lock(member: Member, socket: MemberSocket, locked: boolean, seq: number | undefined): Promise<Refusal | undefined> {
    if (!member.host) return { code: 'not-room-host', message: 'only the person who created the room can lock it' };
    await this.deps.store.setLocked(member.roomId, locked);
    this.deps.log.info('room-lock', { room: roomTag(member.roomId), locked });
    await this.announceSetting(member, socket, { type: 'room-lock', locked }, seq);
    return undefined;
  }

  /** A room setting the host changed, to the host at once and to everyone else in order with the room's other messages. */
  private async announceSetting(member: Member, socket: MemberSocket, notice: ServerMessage, seq: number | undefined): Promise<void> {
    socket.send(notice);
    await this.send(member, { allBut: member.id }, JSON.stringify(notice), seq);
  }

  /** The host turns "Ask to join" on or off; everyone in the room hears it (turned off, whoever waits is let in). */
  async askToJoin(member: Member, socket: MemberSocket, on: boolean, seq: number | undefined): Promise<Refusal | undefined> {
    if (!member.host) return { code: 'not-room-host', message: 'only the person who created the room can ask newcomers to knock' };
    await this.deps.store.setAskToJoin(member.roomId, on);
    this.deps.log.info('room-ask-to-join', { room: roomTag(member.roomId), on });
    await this.announceSetting(member, socket, { type: 'room-ask-to-join', on }, seq);
    if (!on) await this.door.admitEveryone(member.roomId);
    return undefined;
  }

  /** An SFU request; refused when the server has no SFU. A re-sent one (after a resume) is ignored. */
  async sfu(member: Member, request: SfuRequest): Promise<Refusal | undefined> {
    if (!this.sfuRooms) return NO_SFU;
    if (request.seq !== undefined && !(await this.deps.bus.take(member.id, request.seq))) return undefined;
    return this.sfuRooms.handle(member, request);
  }

  /** A chat line to everyone else in the room, relayed whatever the route (the mesh's data channel may not be up yet). Never logged. */
  async chat(member: Member, text: string, seq: number | undefined): Promise<Refusal | undefined> {
    if (!this.chatLines.take(member.id)) return { code: 'rate-limited', message: `at most ${CHAT_LINES_PER_MINUTE} chat lines a minute` };
    const outcome = await this.send(member, { allBut: member.id }, JSON.stringify({ type: 'chat', from: member.id, text } satisfies ServerMessage), seq);
    if (outcome === 'sent') this.deps.metrics.relayed('chat');
    return undefined;
  }

  /** An end-to-end key message, relayed within the sender's room only; never logged. */
  async e2ee(member: Member, request: E2eeRequest): Promise<Refusal | undefined> {
    const { addressee, message } = e2eeDelivery(member.id, request);
    const outcome = 'to' in addressee && addressee.to === member.id ? 'not-member' : await this.send(member, addressee, JSON.stringify(message), request.seq);
    if (outcome === 'not-member') return { code: 'peer-not-found', message: 'that peer is not in your room' };
    if (outcome === 'sent') this.deps.metrics.relayed(request.type);
    return undefined;
  }

  acknowledge(member: Member, seq: number): void {
    this.deps.bus.acknowledge(member.id, seq);
  }

  iceServersFor(peerId: string): IceServer[] {
    const { stunUrls, turn } = this.deps.config;
    const servers: IceServer[] = [];
    if (stunUrls.length > 0) servers.push({ urls: stunUrls });
    if (turn) servers.push(issueTurnCredentials(turn, peerId));
    return servers;
  }

  /**
   * Stops this process's timers; the members' places stay in the store for
   * whoever they resume with. Resolves once this process has left the SFU
   * rooms (before the SFU adapter closes).
   */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.routes.close();
    this.door.close();
    const sfuClosed = this.sfuRooms?.close();
    for (const { member } of this.held.values()) member.end();
    this.held.clear();
    this.deps.ended.close();
    await sfuClosed;
  }

  private hold(member: Member, socket: MemberSocket): void {
    const { config } = this.deps;
    const wasHeld = this.held.has(member.id);
    this.held.set(member.id, { member, socket });
    if (wasHeld) return;
    // Resume tokens expire, so the client is kept supplied with a fresh one for as long as the session lives.
    member.every(config.resumeTokenRenewMs, () => void this.sendToSelf(member, { type: 'resume-token', resumeToken: this.newResumeToken(member) }));
    // Credentials issued at join expire; a long call still needs valid ones for ICE restarts and late joiners.
    if (config.turn) member.every(turnRefreshIntervalMs(config.turn), () => void this.sendToSelf(member, { type: 'ice-servers', iceServers: this.iceServersFor(member.id) }));
  }

  private newResumeToken(member: Member): string {
    const { roomId, roomLife, id: peerId, name, host } = member;
    const claims = { roomId, roomLife, peerId, name, host, expiresAt: Date.now() + this.deps.config.resumeTokenLifetimeMs };
    return signResumeToken(this.deps.config.resumeSecret, claims, randomBytes(9).toString('base64url'));
  }

  /** Ends a member's session for good, once, whichever process or timer gets there first. */
  private async end({ roomId, peerId }: MemberAddress, reason: DepartureReason): Promise<void> {
    const { store, bus, ended, log } = this.deps;
    this.release(peerId);
    // Remembered before the place is given up, so no resume can slip in between.
    await ended.end(peerId);
    if (!(await store.leave(roomId, peerId))) return;
    await bus.forget(peerId);
    log.info('left', { room: roomTag(roomId), peer: peerId, reason });
    await this.deps.bus.send({ roomId, addressee: { allBut: peerId }, frame: JSON.stringify({ type: 'peer-left', peerId, reason } satisfies ServerMessage) });
    await this.routes.settle(roomId, (await store.members(roomId)).length);
    // A page exit may be the host reloading: knockers keep waiting for them.
    if (reason !== 'left') await this.door.hostMayBeGone(roomId);
  }

  /** Tells the room its media moved (all but `except`, who hears it in `joined` or `resumed`). */
  private async announceRoute(roomId: string, route: MediaRoute, except: string | undefined): Promise<void> {
    this.deps.log.info('media-route', { room: roomTag(roomId), route });
    this.sfuRooms?.routeMoved(roomId, route);
    // No member has the empty id: `allBut: ''` is everyone.
    await this.deps.bus.send({ roomId, addressee: { allBut: except ?? '' }, frame: JSON.stringify({ type: 'media-route', route } satisfies ServerMessage) });
  }

  private localMembers(roomId: string): string[] {
    return [...this.held.values()].flatMap(({ member }) => (member.roomId === roomId ? [member.id] : []));
  }

  private async sendTo(roomId: string, peerId: string, message: ServerMessage): Promise<void> {
    await this.deps.bus.send({ roomId, addressee: { to: peerId }, frame: JSON.stringify(message) });
  }

  private send(member: Member, addressee: Addressee, frame: string, seq: number | undefined) {
    return this.deps.bus.send({ roomId: member.roomId, addressee, frame, cause: seq === undefined ? undefined : { peerId: member.id, seq } });
  }

  private tellOthers(member: Member, message: ServerMessage) {
    return this.deps.bus.send({ roomId: member.roomId, addressee: { allBut: member.id }, frame: JSON.stringify(message) });
  }

  private sendToSelf(member: Member, message: ServerMessage) {
    return this.deps.bus.send({ roomId: member.roomId, addressee: { to: member.id }, frame: JSON.stringify(message) });
  }

  /** Renews this process's lease, ends those whose grace ran out, and counts the grace of those whose process died. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    const { store, config, log } = this.deps;
    try {
      await store.renewLease(this.deps.processId);
      const now = Date.now();
      for (const address of await store.takeExpired(now)) await this.end(address, 'lost');
      for (const orphan of await store.takeOrphans()) {
        await store.markAway(orphan, now + config.resumeGraceMs);
        await this.deps.bus.send({
          roomId: orphan.roomId,
          addressee: { allBut: orphan.peerId },
          frame: JSON.stringify({ type: 'peer-presence', peerId: orphan.peerId, presence: 'away' } satisfies ServerMessage),
        });
        log.info('orphan-adopted', { room: roomTag(orphan.roomId), peer: orphan.peerId });
      }
    } catch (err) {
      log.warn('rooms-sweep-failed', { message: err instanceof Error ? err.message : String(err) });
    } finally {
      this.sweeping = false;
    }
  }
}
