import type { ClientMessage, MediaRoute, MessageOf, ServerMessage } from '@videoapp/protocol';
import { type Logger, roomTag } from '../log.ts';
import { type FeedId, type SfuAdapter, SfuError, type SfuEvent, type SfuRoom } from '../sfu/sfu-adapter.ts';
import type { RoomStore } from '../store/room-store.ts';
import type { Member } from './member.ts';
import type { Refusal } from './rooms-service.ts';
import { SessionRefusal, SfuSession } from './sfu-session.ts';

/** The client messages about the SFU (chat aside). */
export type SfuRequest = MessageOf<ClientMessage, 'sfu-publish' | 'sfu-subscribe-answer' | 'sfu-subscribe-restart' | 'sfu-candidate' | 'sfu-view' | 'sfu-leave'>;

/**
 * How long an SFU room is kept after its room returned to the mesh, for the
 * clients to finish moving (they send `sfu-leave` once the mesh carries their
 * media; the room goes as soon as everyone has).
 */
export const SFU_ROOM_DRAIN_MS = 15_000;

/** The SFU room of one of our rooms, in this process. */
type SfuLink = { state: 'none' } | { state: 'opening'; ready: Promise<SfuRoom> } | { state: 'open'; room: SfuRoom };

interface LocalRoom {
  link: SfuLink;
  sessions: Map<string, SfuSession>;
  /** Every publisher announced in the SFU room, oldest first, and whose it is (Janus's display name is our peer id). */
  feeds: Map<FeedId, string>;
  drain: NodeJS.Timeout | undefined;
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
 * The SFU side of rooms in this process: one SFU room per room on the SFU
 * (made on demand, destroyed once unused), one session per member, and the
 * SFU's events turned into our messages for the members held here.
 */
export class SfuRooms {
  private readonly rooms = new Map<string, LocalRoom>();
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

  /** The member left the room (or this process let go of it). */
  async end(roomId: string, peerId: string): Promise<void> {
    const local = this.rooms.get(roomId);
    const session = local?.sessions.get(peerId);
    if (!local || !session) return;
    local.sessions.delete(peerId);
    await session.close();
    if ((await this.deps.store.route(roomId)) === 'mesh' && ![...local.sessions.values()].some((s) => s.active)) await this.destroy(roomId);
  }

  /** The member resumed (maybe on another process, or after a restart): it publishes anew, and its old connections go once the new ones are up. */
  async resumed(member: Member): Promise<void> {
    await this.rooms.get(member.roomId)?.sessions.get(member.id)?.reset();
    await this.deps.sendTo(member.roomId, member.id, { type: 'sfu-reset' });
  }

  /** The room's route moved (this process moved it). */
  routeMoved(roomId: string, route: MediaRoute): void {
    const local = this.local(roomId);
    clearTimeout(local.drain);
    local.drain = undefined;
    if (route === 'sfu') {
      // Made now rather than at the first publish, which then finds it ready.
      void this.room(roomId).catch((err: unknown) => this.deps.log.warn('sfu-room-failed', { room: roomTag(roomId), message: (err as Error).message }));
      return;
    }
    local.drain = setTimeout(() => void this.drained(roomId), SFU_ROOM_DRAIN_MS);
    local.drain.unref();
  }

  async close(): Promise<void> {
    this.stopListening();
    for (const local of this.rooms.values()) clearTimeout(local.drain);
    await Promise.allSettled([...this.rooms.keys()].map((roomId) => this.destroy(roomId)));
  }

  private async drained(roomId: string): Promise<void> {
    if ((await this.deps.store.route(roomId)) === 'mesh') await this.destroy(roomId);
  }

  /** Ends the SFU room and every session in it. */
  private async destroy(roomId: string): Promise<void> {
    const local = this.rooms.get(roomId);
    if (!local) return;
    this.rooms.delete(roomId);
    clearTimeout(local.drain);
    await Promise.allSettled([...local.sessions.values()].map((session) => session.close()));
    const link = local.link;
    const room = link.state === 'open' ? link.room : link.state === 'opening' ? await link.ready.catch(() => undefined) : undefined;
    if (room) await this.deps.sfu.destroyRoom(room).catch((err: unknown) => this.deps.log.warn('sfu-room-destroy-failed', { room: roomTag(roomId), message: (err as Error).message }));
  }

  private local(roomId: string): LocalRoom {
    let local = this.rooms.get(roomId);
    if (!local) {
      local = { link: { state: 'none' }, sessions: new Map(), feeds: new Map(), drain: undefined };
      this.rooms.set(roomId, local);
    }
    return local;
  }

  private sessionOf(member: Member): SfuSession {
    const session = this.rooms.get(member.roomId)?.sessions.get(member.id);
    if (!session) throw new SessionRefusal('publish to the SFU first (sfu-publish)');
    return session;
  }

  /** The room's SFU room: made once, whoever asks first; asked again after a failure. */
  private room(roomId: string): Promise<SfuRoom> {
    const local = this.local(roomId);
    if (local.link.state === 'open') return Promise.resolve(local.link.room);
    if (local.link.state === 'opening') return local.link.ready;
    const ready = this.deps.sfu.createRoom(roomId);
    const link: SfuLink = { state: 'opening', ready };
    local.link = link;
    ready.then(
      (room) => {
        if (local.link === link) local.link = { state: 'open', room };
        else void this.deps.sfu.destroyRoom(room).catch(() => undefined); // the room was given up meanwhile
      },
      () => {
        if (local.link === link) local.link = { state: 'none' };
      },
    );
    return ready;
  }

  private newSession(roomId: string, peerId: string): SfuSession {
    const local = this.local(roomId);
    const session = new SfuSession(peerId, {
      sfu: this.deps.sfu,
      room: () => this.room(roomId),
      feedsFor: (subscriber) => latestFeeds(local.feeds, subscriber),
      peerOfFeed: (feedId) => local.feeds.get(feedId),
      send: (message) => this.deps.sendTo(roomId, peerId, message),
    });
    return session;
  }

  private onEvent(event: SfuEvent): void {
    switch (event.type) {
      case 'publisher-joined':
      case 'publisher-changed':
        return this.publishersChanged(event.roomId, (feeds) => feeds.set(event.publisher.feedId, event.publisher.displayName));
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

  private publishersChanged(roomId: string, change: (feeds: Map<FeedId, string>) => void): void {
    const local = this.rooms.get(roomId);
    if (!local) return;
    change(local.feeds);
    for (const session of local.sessions.values()) {
      session.refresh().catch((err: unknown) => this.deps.log.warn('sfu-subscription-failed', { room: roomTag(roomId), peer: session.peerId, message: (err as Error).message }));
    }
  }

  private talking(roomId: string, feedId: FeedId, talking: boolean): void {
    const peerId = this.rooms.get(roomId)?.feeds.get(feedId);
    if (peerId === undefined) return;
    for (const member of this.deps.localMembers(roomId)) void this.deps.sendTo(roomId, member, { type: 'talking', peerId, talking }).catch(() => undefined);
  }

  /** The SFU room is gone (Janus restarted, or it was destroyed from outside): its sessions with it. */
  private lost(roomId: string): void {
    const local = this.rooms.get(roomId);
    if (!local) return;
    local.link = { state: 'none' };
    local.feeds.clear();
    for (const session of local.sessions.values()) session.lost();
    local.sessions.clear();
    // When the SFU itself is down, `sfu-up` recovers the room; a room destroyed under a live SFU is made again now.
    void this.recover(roomId);
  }

  /** A room still on the SFU gets a new SFU room, and its members here are told to publish again. */
  private async recover(roomId: string): Promise<void> {
    try {
      if ((await this.deps.store.route(roomId)) !== 'sfu') return void (await this.destroy(roomId));
      await this.room(roomId);
      for (const peerId of this.deps.localMembers(roomId)) await this.deps.sendTo(roomId, peerId, { type: 'sfu-reset' });
      this.deps.log.info('sfu-room-recovered', { room: roomTag(roomId) });
    } catch (err) {
      // Still down: `sfu-up` tries again.
      this.deps.log.warn('sfu-room-recovery-failed', { room: roomTag(roomId), message: (err as Error).message });
    }
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

/** The newest feed of each person but `subscriber` (a person who republished after a reset has an older one for a moment). */
function latestFeeds(feeds: Map<FeedId, string>, subscriber: string): Map<FeedId, string> {
  const byPeer = new Map<string, FeedId>();
  for (const [feedId, peerId] of feeds) if (peerId !== subscriber) byPeer.set(peerId, feedId);
  return new Map([...byPeer].map(([peerId, feedId]) => [feedId, peerId]));
}
