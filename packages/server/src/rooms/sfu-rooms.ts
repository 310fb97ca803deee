import type { ClientMessage, MediaRoute, MessageOf, ServerMessage } from '@videoapp/protocol';
import { type Logger, roomTag } from '../log.ts';
import { type FeedId, type SfuAdapter, SfuError, type SfuEvent, type SfuRoom } from '../sfu/sfu-adapter.ts';
import type { RoomStore } from '../store/room-store.ts';
import type { Member } from './member.ts';
import type { Refusal } from './rooms-service.ts';
import { readPublisherName, SessionRefusal, SfuSession } from './sfu-session.ts';

/** The client messages about the SFU (chat aside). */
export type SfuRequest = MessageOf<ClientMessage, 'sfu-publish' | 'sfu-subscribe-answer' | 'sfu-subscribe-restart' | 'sfu-candidate' | 'sfu-view' | 'sfu-leave'>;

/**
 * How long an SFU room is kept after its room returned to the mesh, for the
 * clients to finish moving (they send `sfu-leave` once the mesh carries their
 * media; the room goes as soon as nobody publishes in it).
 */
export const SFU_ROOM_DRAIN_MS = 15_000;
/**
 * Tries at entering a room's SFU room. Each try past the first follows a
 * recorded SFU room found gone (Janus restarted, or the room was destroyed
 * as it returned to the mesh) and makes a new one; more than two in a row
 * means the SFU keeps losing rooms, which a later `sfu-up` or request retries.
 */
export const SFU_ROOM_ENTRY_ATTEMPTS = 3;

/** This process's way into the room's SFU room (the one recorded in the store, shared by every process). */
type SfuLink = { state: 'none' } | { state: 'opening'; ready: Promise<SfuRoom> } | { state: 'open'; room: SfuRoom };

/** A publication in the SFU room: whose, and since when (see `publisherName`). */
export interface FeedOwner {
  peerId: string;
  since: number;
}

interface LocalRoom {
  link: SfuLink;
  /** The members held here who publish or subscribe. */
  sessions: Map<string, SfuSession>;
  /** Every publication announced in the SFU room, whoever's process made it. */
  feeds: Map<FeedId, FeedOwner>;
}

export interface SfuRoomsDeps {
  sfu: SfuAdapter;
  store: RoomStore;
  log: Logger;
  /** A numbered message to one member. */
  sendTo(roomId: string, peerId: string, message: ServerMessage): Promise<void>;
  /** The members of `roomId` whose socket this process holds. */
  localMembers(roomId: string): string[];
}

/**
 * The SFU side of rooms in this process. A room on the SFU has one SFU room,
 * shared by every server process: recorded in the room store by whichever
 * process made it first (a process that lost that race destroys its own), and
 * destroyed once, by the process the store lets release it. Each process with
 * members publishing or subscribing there enters it (the adapter's listener
 * hears who publishes and who talks), keeps one session per such member, and
 * turns the SFU's events into messages for the members it holds.
 */
export class SfuRooms {
  private readonly rooms = new Map<string, LocalRoom>();
  /** Rooms this process moved back to the mesh, and when their SFU room goes regardless. */
  private readonly drains = new Map<string, NodeJS.Timeout>();
  private readonly stopListening: () => void;

  constructor(private readonly deps: SfuRoomsDeps) {
    this.stopListening = deps.sfu.onEvent((event) => this.onEvent(event));
  }

  /** One SFU request from a member; a refusal is what the client is told. */
  async handle(member: Member, request: SfuRequest): Promise<Refusal | undefined> {
    try {
      await this.dispatch(member, request);
      return undefined;
    } catch (err) {
      return this.refusalOf(member, request.type, err);
    }
  }

  private async dispatch(member: Member, request: SfuRequest): Promise<void> {
    switch (request.type) {
      case 'sfu-publish':
        return this.publish(member, request.sdp);
      case 'sfu-subscribe-answer':
        return this.sessionOf(member).answer(request.sdp);
      case 'sfu-subscribe-restart':
        return this.sessionOf(member).restartIce();
      case 'sfu-candidate':
        // A publisher's first candidates may overtake its offer: its session is made for them.
        return (request.connection === 'publish' ? this.sessionFor(member) : this.sessionOf(member)).trickle(request.connection, request.candidate);
      case 'sfu-view':
        return this.view(member, request.feeds);
      case 'sfu-leave':
        return this.leave(member);
    }
  }

  private async publish(member: Member, sdp: string): Promise<void> {
    const session = this.sessionFor(member);
    if ((await this.deps.store.route(member.roomId)) !== 'sfu') throw new SessionRefusal("this room's media goes peer to peer now, not through the SFU");
    await session.publish(sdp);
  }

  private sessionFor(member: Member): SfuSession {
    const local = this.local(member.roomId);
    let session = local.sessions.get(member.id);
    if (!session) {
      session = this.newSession(member.roomId, member.id);
      local.sessions.set(member.id, session);
    }
    return session;
  }

  private async view(member: Member, feeds: MessageOf<ClientMessage, 'sfu-view'>['feeds']): Promise<void> {
    const members = new Set((await this.deps.store.members(member.roomId)).map((peer) => peer.id));
    const stranger = feeds.find((feed) => !members.has(feed.peerId) || feed.peerId === member.id);
    if (stranger) throw new SessionRefusal(`${stranger.peerId} is not someone else in your room`);
    await this.sessionOf(member).view(feeds);
  }

  /** The member needs the SFU no more: its connections close, and the SFU room with the last of them once the room is on the mesh. */
  private async leave(member: Member): Promise<void> {
    await this.end(member.roomId, member.id);
  }

  /** The member left the room (or this process let go of it: it resumed on another). */
  async end(roomId: string, peerId: string): Promise<void> {
    const local = this.rooms.get(roomId);
    const session = local?.sessions.get(peerId);
    if (!local || !session) return;
    local.sessions.delete(peerId);
    await session.close();
    await this.settle(roomId);
  }

  /** The member resumed (maybe on another process, or after a restart): it publishes anew, and its old connections go once the new ones are up. */
  async resumed(member: Member): Promise<void> {
    await this.rooms.get(member.roomId)?.sessions.get(member.id)?.reset();
    await this.deps.sendTo(member.roomId, member.id, { type: 'sfu-reset' });
  }

  /** The room's route moved (this process moved it). */
  routeMoved(roomId: string, route: MediaRoute): void {
    clearTimeout(this.drains.get(roomId));
    this.drains.delete(roomId);
    if (route === 'sfu') {
      // Entered now rather than at the first publish, which then finds it ready.
      void this.room(roomId).catch((err: unknown) => this.warn('sfu-room-failed', roomId, err));
      return;
    }
    const drain = setTimeout(() => {
      this.drains.delete(roomId);
      void this.drained(roomId).catch((err: unknown) => this.warn('sfu-room-destroy-failed', roomId, err));
    }, SFU_ROOM_DRAIN_MS);
    drain.unref();
    this.drains.set(roomId, drain);
  }

  /**
   * This process stops: it leaves every SFU room. With rooms in memory
   * nobody else can use them, so they are destroyed; with a shared store
   * the others go on in them (their people, and ours once resumed there).
   */
  async close(): Promise<void> {
    this.stopListening();
    for (const drain of this.drains.values()) clearTimeout(drain);
    this.drains.clear();
    const roomIds = [...this.rooms.keys()];
    await Promise.allSettled(roomIds.map((roomId) => this.closeLocal(roomId)));
    if (!this.deps.store.shared) await Promise.allSettled(roomIds.map((roomId) => this.destroyShared(roomId, 'always')));
  }

  /** Back on the mesh for SFU_ROOM_DRAIN_MS: the SFU room goes, whoever still holds connections in it. */
  private async drained(roomId: string): Promise<void> {
    if ((await this.deps.store.route(roomId)) !== 'mesh') return;
    await this.closeLocal(roomId);
    await this.destroyShared(roomId, 'always');
  }

  /**
   * A session here ended: once none here holds anything in the SFU room, this
   * process leaves it (unless members here are about to publish), and a room
   * back on the mesh has its SFU room destroyed once nobody publishes there.
   */
  private async settle(roomId: string): Promise<void> {
    const local = this.rooms.get(roomId);
    if (!local) return;
    const route = await this.deps.store.route(roomId);
    // Checked after the store answered: a session that began meanwhile keeps the room.
    if (this.rooms.get(roomId) !== local || [...local.sessions.values()].some((session) => session.active)) return;
    if (route === 'sfu' && local.sessions.size > 0) return;
    await this.closeLocal(roomId);
    if (route === 'mesh') await this.destroyShared(roomId, 'when-unused').catch((err: unknown) => this.warn('sfu-room-destroy-failed', roomId, err));
  }

  /** This process leaves the SFU room: its sessions' connections and its listener go; the room itself stays for other processes. */
  private async closeLocal(roomId: string): Promise<void> {
    const local = this.rooms.get(roomId);
    if (!local) return;
    this.rooms.delete(roomId);
    await Promise.allSettled([...local.sessions.values()].map((session) => session.close()));
    const room = await opened(local.link);
    if (room) await this.deps.sfu.closeRoom(room).catch((err: unknown) => this.warn('sfu-room-close-failed', roomId, err));
  }

  /**
   * Destroys the room's SFU room, once across processes: the store lets one
   * release it. `when-unused` spares a room someone still publishes in (a
   * person on another process still moving to the mesh).
   */
  private async destroyShared(roomId: string, when: 'always' | 'when-unused'): Promise<void> {
    const { store, sfu } = this.deps;
    const key = await store.sfuRoom(roomId);
    if (!key) return;
    if (when === 'when-unused' && (await sfu.inUse(key))) return;
    if (!(await store.releaseSfuRoom(roomId, key))) return;
    await sfu.destroyRoom(key);
  }

  private local(roomId: string): LocalRoom {
    let local = this.rooms.get(roomId);
    if (!local) {
      local = { link: { state: 'none' }, sessions: new Map(), feeds: new Map() };
      this.rooms.set(roomId, local);
    }
    return local;
  }

  private sessionOf(member: Member): SfuSession {
    const session = this.rooms.get(member.roomId)?.sessions.get(member.id);
    if (!session) throw new SessionRefusal('publish to the SFU first (sfu-publish)');
    return session;
  }

  /** This process's way into the room's SFU room: entered once, whoever asks first; asked again after a failure. */
  private room(roomId: string): Promise<SfuRoom> {
    const local = this.local(roomId);
    if (local.link.state === 'open') return Promise.resolve(local.link.room);
    if (local.link.state === 'opening') return local.link.ready;
    const ready = this.enter(roomId);
    const link: SfuLink = { state: 'opening', ready };
    local.link = link;
    ready.then(
      (room) => {
        if (this.rooms.get(roomId) === local && local.link === link) local.link = { state: 'open', room };
        else void this.deps.sfu.closeRoom(room).catch(() => undefined); // given up meanwhile
      },
      () => {
        if (local.link === link) local.link = { state: 'none' };
      },
    );
    return ready;
  }

  /**
   * Enters the SFU room recorded for the room, or makes one and records it:
   * of processes racing to make it, the store keeps one and the others destroy
   * theirs. A recorded room the SFU no longer has is forgotten and replaced.
   */
  private async enter(roomId: string): Promise<SfuRoom> {
    const { sfu, store } = this.deps;
    for (let attempt = 1; ; attempt++) {
      let key = await store.sfuRoom(roomId);
      if (!key) {
        const made = await sfu.createRoom(roomId);
        key = await store.claimSfuRoom(roomId, made);
        if (key?.sfuRoomId !== made.sfuRoomId) await sfu.destroyRoom(made).catch((err: unknown) => this.warn('sfu-room-destroy-failed', roomId, err));
        if (!key) throw new SessionRefusal('this room no longer exists');
      }
      try {
        return await sfu.openRoom(roomId, key);
      } catch (err) {
        if (!(err instanceof SfuError && err.code === 'room-gone') || attempt >= SFU_ROOM_ENTRY_ATTEMPTS) throw err;
        await store.releaseSfuRoom(roomId, key);
      }
    }
  }

  private newSession(roomId: string, peerId: string): SfuSession {
    const local = this.local(roomId);
    const session = new SfuSession(peerId, {
      sfu: this.deps.sfu,
      room: () => this.room(roomId),
      feedsFor: (subscriber) => latestFeeds(local.feeds, subscriber),
      peerOfFeed: (feedId) => local.feeds.get(feedId)?.peerId,
      send: (message) => this.deps.sendTo(roomId, peerId, message),
    });
    return session;
  }

  private onEvent(event: SfuEvent): void {
    switch (event.type) {
      case 'publisher-joined':
      case 'publisher-changed': {
        const owner = readPublisherName(event.publisher.displayName);
        // A name we did not give is nobody in our room: never offered.
        if (!owner) return;
        return this.publishersChanged(event.roomId, (feeds) => feeds.set(event.publisher.feedId, owner));
      }
      case 'publisher-left':
        return this.publishersChanged(event.roomId, (feeds) => feeds.delete(event.feedId));
      case 'publisher-talking':
        return this.talking(event.roomId, event.feedId, event.talking);
      case 'room-lost':
        return this.lost(event.roomId);
      case 'sfu-down':
        return;
      case 'sfu-up':
        for (const roomId of this.rooms.keys()) void this.recover(roomId);
        return;
    }
  }

  private publishersChanged(roomId: string, change: (feeds: Map<FeedId, FeedOwner>) => void): void {
    const local = this.rooms.get(roomId);
    if (!local) return;
    change(local.feeds);
    for (const session of local.sessions.values()) {
      session.refresh().catch((err: unknown) => this.deps.log.warn('sfu-subscription-failed', { room: roomTag(roomId), peer: session.peerId, message: (err as Error).message }));
    }
  }

  /** Every process in the SFU room hears the same talking events, and tells the members it holds. */
  private talking(roomId: string, feedId: FeedId, talking: boolean): void {
    const peerId = this.rooms.get(roomId)?.feeds.get(feedId)?.peerId;
    if (peerId === undefined) return;
    for (const member of this.deps.localMembers(roomId)) void this.deps.sendTo(roomId, member, { type: 'talking', peerId, talking }).catch(() => undefined);
  }

  /** This process lost its way into the SFU room (its connection to Janus dropped, Janus restarted, or the room was destroyed): its sessions with it. */
  private lost(roomId: string): void {
    const local = this.rooms.get(roomId);
    if (!local) return;
    local.link = { state: 'none' };
    local.feeds.clear();
    for (const session of local.sessions.values()) session.lost();
    local.sessions.clear();
    // When the SFU itself is down, `sfu-up` recovers the room; a room destroyed under a live SFU is entered (or made) again now.
    void this.recover(roomId);
  }

  /**
   * A room still on the SFU is entered again (the recorded SFU room if it
   * survived, else a new one that one process makes), and its members here
   * are told to publish again: each process tells its own, so each member
   * hears it once.
   */
  private async recover(roomId: string): Promise<void> {
    try {
      if ((await this.deps.store.route(roomId)) !== 'sfu') {
        await this.closeLocal(roomId);
        return await this.destroyShared(roomId, 'when-unused');
      }
      await this.room(roomId);
      for (const peerId of this.deps.localMembers(roomId)) await this.deps.sendTo(roomId, peerId, { type: 'sfu-reset' });
      this.deps.log.info('sfu-room-recovered', { room: roomTag(roomId) });
    } catch (err) {
      // Still down: `sfu-up` tries again.
      this.warn('sfu-room-recovery-failed', roomId, err);
    }
  }

  private warn(event: string, roomId: string, err: unknown): void {
    this.deps.log.warn(event, { room: roomTag(roomId), message: err instanceof Error ? err.message : String(err) });
  }

  private refusalOf(member: Member, about: string, err: unknown): Refusal {
    if (err instanceof SessionRefusal) return { code: 'out-of-order', message: err.message };
    if (err instanceof SfuError && err.code === 'bad-sdp') return { code: 'bad-message', message: 'the SFU could not use that SDP' };
    if (err instanceof SfuError) {
      this.deps.log.warn('sfu-request-failed', { room: roomTag(member.roomId), peer: member.id, about, code: err.code, message: err.message });
      return { code: 'internal', message: err.code === 'sfu-unavailable' ? 'the SFU is unavailable; wait for sfu-reset' : 'the SFU refused that request' };
    }
    throw err;
  }
}

/** This process's SFU room behind `link`, once it is (or failed to be) entered. */
async function opened(link: SfuLink): Promise<SfuRoom | undefined> {
  if (link.state === 'open') return link.room;
  if (link.state === 'opening') return link.ready.catch(() => undefined);
  return undefined;
}

/**
 * The newest feed of each person but `subscriber`: a person who republished
 * (after a reset, or a resume on another process) may have an older one in
 * the SFU until the SFU notices its connection gone.
 */
export function latestFeeds(feeds: ReadonlyMap<FeedId, FeedOwner>, subscriber: string): Map<FeedId, string> {
  const newest = new Map<string, { feedId: FeedId; since: number }>();
  for (const [feedId, { peerId, since }] of feeds) {
    if (peerId === subscriber) continue;
    const known = newest.get(peerId);
    // Equal times: the one announced later is the newer.
    if (!known || since >= known.since) newest.set(peerId, { feedId, since });
  }
  return new Map([...newest].map(([peerId, { feedId }]) => [feedId, peerId]));
}
