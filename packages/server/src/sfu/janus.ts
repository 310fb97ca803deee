import { randomBytes } from 'node:crypto';
import { MAX_SFU_ROOM_PEERS } from '@videoapp/protocol';
import Janode, { type Connection, type Handle, type Session } from 'janode';
import VideoRoomPlugin, { type JanusStream, type PublisherInfo, type SubscribedStream, type VideoRoomHandle } from 'janode/plugins/videoroom';
import { type Logger, roomTag } from '../log.ts';
import {
  type FeedId,
  type SfuAdapter,
  type SfuCandidate,
  SfuError,
  type SfuErrorCode,
  type SfuEvent,
  type SfuPublication,
  type SfuPublisher,
  type SfuRoom,
  type SfuRoomKey,
  type SfuStream,
  type SfuStreamChoice,
  type SfuSubscribedStream,
  type SfuSubscription,
} from './sfu-adapter.ts';

/** Where Janus's WebSocket API is and the secrets it asks for (JANUS_URL, JANUS_API_SECRET, JANUS_ADMIN_KEY). */
export interface JanusSettings {
  url: string;
  apiSecret: string;
  adminKey: string;
}

/** Longest any one request to Janus may take; janode itself waits forever. */
export const JANUS_REQUEST_TIMEOUT_MS = 10_000;
/** Longest connecting to Janus (WebSocket, session, management handle) may take. */
export const JANUS_CONNECT_TIMEOUT_MS = 10_000;
/** How often our session tells Janus it is alive: well inside Janus's 60 s session timeout. */
export const JANUS_KEEPALIVE_SECONDS = 15;
/** Pauses between attempts to reach Janus again after losing it: doubling from the first to the last. */
export const JANUS_RECONNECT_FIRST_MS = 500;
export const JANUS_RECONNECT_MAX_MS = 10_000;
/**
 * Upload each publisher is asked to stay under (Janus sends it as REMB).
 * Room for three simulcast layers of a 720p camera (about 1.2 Mbit/s, 350 and
 * 100 kbit/s) plus audio.
 */
export const SFU_PUBLISHER_BITRATE_BPS = 2_000_000;
/**
 * Janus asks each publisher for a key frame this often, so a subscriber that
 * joins or changes simulcast layer starts decoding within this many seconds
 * even if its own key-frame request is lost.
 */
export const SFU_KEYFRAME_INTERVAL_S = 10;
/** Bytes of randomness in each SFU room's secret (needed to destroy or change the room). */
const ROOM_SECRET_BYTES = 24;
/** How the server's own listener in each room (see JanusRoom.observer) names itself to Janus. */
const OBSERVER_DISPLAY = 'videoapp-server';

/** VideoRoom and Janus core error numbers we tell apart (janus_videoroom.c, apierror.h). */
const JANUS_ERRORS: Record<number, SfuErrorCode> = {
  403: 'sfu-refused', // unauthorized: wrong API secret
  426: 'room-gone', // no such room
  428: 'feed-gone', // no such feed
  431: 'bad-sdp', // invalid SDP type
  432: 'room-full', // too many publishers
  437: 'bad-sdp', // invalid SDP
  458: 'sfu-unavailable', // session not found (Janus forgot us)
  459: 'sfu-unavailable', // handle not found
  464: 'bad-sdp', // JSEP of unknown type
  465: 'bad-sdp', // SDP Janus could not parse
};

// janode prints to the console in its own format, and its verbose level prints
// its configuration with the API secret: our own log says what matters instead.
Janode.Logger.setLevel('none');

/** The connection to Janus, as one explicit state. */
type Link = { state: 'up'; connection: Connection; session: Session; manager: VideoRoomHandle } | { state: 'down'; reason: string; retry: NodeJS.Timeout; attempt: number } | { state: 'closed' };

/** What the adapter keeps for one SFU room; none of it leaves the adapter. */
interface JanusRoom {
  janusId: number;
  /**
   * A participant of this process's own that joins as a publisher and never
   * publishes: Janus tells it of every publisher that comes, changes and goes,
   * and who is talking, which is how room events reach this process without a
   * browser in between. Each process with people in the room has its own.
   */
  observer: VideoRoomHandle;
  /** Publishers whose media is up, as last announced. */
  publishers: Map<FeedId, SfuPublisher>;
  /** Every handle opened for this room (publications and subscriptions), detached with it. */
  handles: Set<Handle>;
}

/**
 * The SFU adapter over Janus's VideoRoom plugin, through Meetecho's janode.
 * One WebSocket and one Janus session carry every room; each publication and
 * subscription is a handle of that session. When the connection is lost, every
 * room is reported lost and the adapter reconnects on its own, holding no rooms.
 */
export class JanusAdapter implements SfuAdapter {
  private link: Link;
  private readonly rooms = new Map<SfuRoom, JanusRoom>();
  private readonly listeners = new Set<(event: SfuEvent) => void>();

  private constructor(
    private readonly settings: JanusSettings,
    private readonly log: Logger,
    up: Extract<Link, { state: 'up' }>,
  ) {
    this.link = up;
    this.watch(up);
  }

  /** Connects, or fails with a message that says why (a wrong JANUS_URL or secret should stop the server at start). */
  static async connect(settings: JanusSettings, log: Logger): Promise<JanusAdapter> {
    const up = await openLink(settings);
    log.info('sfu-connected', { url: safeUrl(settings.url) });
    return new JanusAdapter(settings, log, up);
  }

  onEvent(listener: (event: SfuEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async createRoom(roomId: string): Promise<SfuRoomKey> {
    const { manager } = this.up();
    const secret = randomBytes(ROOM_SECRET_BYTES).toString('base64url');
    const created = await timed(
      'create-room',
      manager.create({
        description: `videoapp ${roomTag(roomId)}`,
        max_publishers: MAX_SFU_ROOM_PEERS,
        is_private: true,
        permanent: false,
        secret,
        admin_key: this.settings.adminKey,
        bitrate: SFU_PUBLISHER_BITRATE_BPS,
        fir_freq: SFU_KEYFRAME_INTERVAL_S,
        audiocodec: 'opus',
        // VP8 is the codec every browser simulcasts.
        videocodec: 'vp8',
        talking_events: true,
        notify_joining: false,
      }),
    );
    const key: SfuRoomKey = Object.freeze({ sfuRoomId: safeId(created.room, 'room'), secret });
    this.log.info('sfu-room-created', { room: roomTag(roomId) });
    return key;
  }

  async openRoom(roomId: string, key: SfuRoomKey): Promise<SfuRoom> {
    const { session } = this.up();
    const observer = await timed('attach', session.attach<VideoRoomHandle>(VideoRoomPlugin));
    const room: SfuRoom = Object.freeze({ roomId });
    const kept: JanusRoom = { janusId: key.sfuRoomId, observer, publishers: new Map(), handles: new Set() };
    // Listening before joining: no event between the join and its answer is missed.
    this.observe(room, kept);
    let joined: Awaited<ReturnType<VideoRoomHandle['joinPublisher']>>;
    try {
      joined = await timed('observe-room', observer.joinPublisher({ room: key.sfuRoomId, display: OBSERVER_DISPLAY }));
    } catch (err) {
      void observer.detach().catch(() => {});
      throw err;
    }
    this.rooms.set(room, kept);
    // Those already publishing (people held by other processes) are announced like newcomers.
    this.announce(room, kept, joined.publishers ?? []);
    return room;
  }

  async closeRoom(room: SfuRoom): Promise<void> {
    const kept = this.rooms.get(room);
    if (!kept) return;
    this.rooms.delete(room);
    await Promise.allSettled([kept.observer, ...kept.handles].map((handle) => timed('detach', handle.detach())));
  }

  async destroyRoom(key: SfuRoomKey): Promise<void> {
    // Forgotten first: Janus's "destroyed" notice for a room we end ourselves is no news.
    for (const [room, kept] of this.rooms) {
      if (kept.janusId !== key.sfuRoomId) continue;
      this.rooms.delete(room);
      for (const handle of [kept.observer, ...kept.handles]) void handle.detach().catch(() => {});
    }
    const { manager } = this.up();
    try {
      await timed('destroy-room', manager.destroy({ room: key.sfuRoomId, secret: key.secret }));
    } catch (err) {
      if (err instanceof SfuError && err.code === 'room-gone') return;
      throw err;
    }
    this.log.info('sfu-room-destroyed', { sfuRoom: key.sfuRoomId });
  }

  async inUse(key: SfuRoomKey): Promise<boolean> {
    const { manager } = this.up();
    try {
      const { participants } = await timed('list-participants', manager.listParticipants({ room: key.sfuRoomId, secret: key.secret }));
      return participants.some((participant) => participant.display !== OBSERVER_DISPLAY);
    } catch (err) {
      if (err instanceof SfuError && err.code === 'room-gone') return false;
      throw err;
    }
  }

  async publish(room: SfuRoom, displayName: string, offerSdp: string): Promise<SfuPublication> {
    const kept = this.roomOf(room);
    const handle = await this.attach(kept);
    try {
      const joined = await timed('publish', handle.joinConfigurePublisher({ room: kept.janusId, display: displayName, jsep: { type: 'offer', sdp: offerSdp } }));
      if (joined.jsep?.type !== 'answer') throw new SfuError('sfu-refused', 'Janus accepted the offer but sent no answer');
      const feedId = safeId(joined.feed, 'feed');
      return Object.freeze({
        room,
        feedId,
        answerSdp: joined.jsep.sdp,
        trickle: (candidate: SfuCandidate) => trickle(handle, candidate),
        renegotiate: async (sdp: string) => {
          const configured = await timed('republish', handle.configure({ jsep: { type: 'offer', sdp } }));
          if (configured.jsep?.type !== 'answer') throw new SfuError('sfu-refused', 'Janus accepted the new offer but sent no answer');
          return configured.jsep.sdp;
        },
        leave: () => this.release(kept, handle),
      });
    } catch (err) {
      await this.release(kept, handle);
      throw err;
    }
  }

  async subscribe(room: SfuRoom, feeds: readonly FeedId[]): Promise<SfuSubscription> {
    const kept = this.roomOf(room);
    const handle = await this.attach(kept);
    try {
      // autoupdate off: the rooms service drives every renegotiation, so Janus never sends an offer nobody asked for.
      const joined = await timed('subscribe', handle.joinSubscriber({ room: kept.janusId, streams: feeds.map((feed) => ({ feed })), autoupdate: false, use_msid: true }));
      if (joined.jsep?.type !== 'offer') throw new SfuError('sfu-refused', 'Janus made no offer for the subscription');
      return Object.freeze({
        room,
        feeds: Object.freeze([...feeds]),
        offerSdp: joined.jsep.sdp,
        streams: Object.freeze(subscribedStreams(joined.streams)),
        start: async (answerSdp: string) => {
          await timed('start-subscription', handle.start({ jsep: { type: 'answer', sdp: answerSdp } }));
        },
        update: async ({ add, remove }: { add: readonly FeedId[]; remove: readonly FeedId[] }) => {
          if (add.length === 0 && remove.length === 0) return undefined;
          // Janus refuses an empty list (430), so each is sent only when it has something.
          const subscribe = add.length > 0 ? add.map((feed) => ({ feed })) : undefined;
          const unsubscribe = remove.length > 0 ? remove.map((feed) => ({ feed })) : undefined;
          const updated = await timed('update-subscription', handle.update({ subscribe, unsubscribe }));
          if (updated.jsep?.type !== 'offer') return undefined;
          return { sdp: updated.jsep.sdp, streams: subscribedStreams(updated.streams) };
        },
        restartIce: async () => {
          // A subscriber must ask for it (a publisher restarts by sending a new offer): Janus then offers with new credentials.
          const restarted = await timed('restart-subscription', handle.configure({ restart: true }));
          if (restarted.jsep?.type !== 'offer') throw new SfuError('sfu-refused', 'Janus made no offer for the ICE restart');
          return restarted.jsep.sdp;
        },
        choose: async (choices: readonly SfuStreamChoice[]) => {
          if (choices.length === 0) return;
          await timed('choose-streams', handle.configure({ streams: choices.map(({ mid, send, substream }) => ({ mid, send, ...(substream === undefined ? {} : { substream }) })) }));
        },
        trickle: (candidate: SfuCandidate) => trickle(handle, candidate),
        leave: () => this.release(kept, handle),
      });
    } catch (err) {
      await this.release(kept, handle);
      throw err;
    }
  }

  publishers(room: SfuRoom): readonly SfuPublisher[] {
    return [...(this.rooms.get(room)?.publishers.values() ?? [])];
  }

  async close(): Promise<void> {
    const link = this.link;
    if (link.state === 'closed') return;
    this.link = { state: 'closed' };
    if (link.state === 'down') {
      clearTimeout(link.retry);
      return;
    }
    // The rooms stay: whether they are still needed (by other processes) is the rooms service's call, which it made before.
    this.rooms.clear();
    await timed('close', link.session.destroy()).catch(() => {});
    await link.connection.close().catch(() => {});
    this.log.info('sfu-closed');
  }

  private up(): Extract<Link, { state: 'up' }> {
    if (this.link.state !== 'up') throw new SfuError('sfu-unavailable', this.link.state === 'closed' ? 'the SFU adapter is closed' : `not connected to Janus (${this.link.reason})`);
    return this.link;
  }

  private roomOf(room: SfuRoom): JanusRoom {
    this.up();
    const kept = this.rooms.get(room);
    if (!kept) throw new SfuError('room-gone', 'the SFU room no longer exists');
    return kept;
  }

  private async attach(kept: JanusRoom): Promise<VideoRoomHandle> {
    const handle = await timed('attach', this.up().session.attach<VideoRoomHandle>(VideoRoomPlugin));
    kept.handles.add(handle);
    return handle;
  }

  /** Leaves and lets go of a handle; leaving what is already gone succeeds. */
  private async release(kept: JanusRoom, handle: Handle): Promise<void> {
    if (!kept.handles.delete(handle)) return;
    await timed('detach', handle.detach()).catch(() => {});
  }

  /** Turns what the room's observer hears into our events. */
  private observe(room: SfuRoom, kept: JanusRoom): void {
    const { roomId } = room;
    const { observer, publishers } = kept;
    const left = ({ feed }: { feed: number }) => {
      if (publishers.delete(feed)) this.emit({ type: 'publisher-left', roomId, feedId: feed });
    };
    observer.on(VideoRoomPlugin.EVENT.VIDEOROOM_PUB_LIST, ({ publishers: announced }: { publishers: PublisherInfo[] }) => this.announce(room, kept, announced));
    observer.on(VideoRoomPlugin.EVENT.VIDEOROOM_UNPUBLISHED, left);
    observer.on(VideoRoomPlugin.EVENT.VIDEOROOM_LEAVING, left);
    observer.on(VideoRoomPlugin.EVENT.VIDEOROOM_KICKED, left);
    observer.on(VideoRoomPlugin.EVENT.VIDEOROOM_DISPLAY, ({ feed, display }: { feed: number; display: string }) => {
      const known = publishers.get(feed);
      if (!known || known.displayName === display) return;
      const publisher = { ...known, displayName: display };
      publishers.set(feed, publisher);
      this.emit({ type: 'publisher-changed', roomId, publisher });
    });
    observer.on(VideoRoomPlugin.EVENT.VIDEOROOM_TALKING, ({ feed, talking }: { feed: number; talking: boolean }) => {
      if (publishers.has(feed)) this.emit({ type: 'publisher-talking', roomId, feedId: feed, talking });
    });
    observer.on(VideoRoomPlugin.EVENT.VIDEOROOM_DESTROYED, () => {
      if (this.rooms.get(room) !== kept) return;
      this.rooms.delete(room);
      for (const handle of kept.handles) void handle.detach().catch(() => {});
      this.log.warn('sfu-room-lost', { room: roomTag(roomId), reason: 'destroyed in Janus' });
      this.emit({ type: 'room-lost', roomId });
    });
  }

  /** Publishers Janus listed (in an event, or in the answer to our observer's join): new ones joined, known ones maybe changed. */
  private announce(room: SfuRoom, kept: JanusRoom, announced: readonly PublisherInfo[]): void {
    if (this.rooms.get(room) !== kept) return; // not ours (yet, or any more)
    for (const info of announced) {
      const publisher = publisherOf(info);
      const known = kept.publishers.get(publisher.feedId);
      kept.publishers.set(publisher.feedId, publisher);
      if (!known) this.emit({ type: 'publisher-joined', roomId: room.roomId, publisher });
      else if (JSON.stringify(known) !== JSON.stringify(publisher)) this.emit({ type: 'publisher-changed', roomId: room.roomId, publisher });
    }
  }

  /** Notices the connection or the session dying (Janus stopped, network, keepalive unanswered). */
  private watch(up: Extract<Link, { state: 'up' }>): void {
    const lost = (reason: string) => () => {
      if (this.link === up) this.lose(reason);
    };
    up.connection.once(Janode.EVENT.CONNECTION_ERROR, lost('connection to Janus lost'));
    up.connection.once(Janode.EVENT.CONNECTION_CLOSED, lost('connection to Janus closed'));
    up.session.once(Janode.EVENT.SESSION_DESTROYED, lost('Janus session ended'));
  }

  private lose(reason: string): void {
    this.log.error('sfu-down', { reason });
    // Janus may have kept the rooms (only our WebSocket dropped): the rooms service opens them again, or makes new ones.
    const rooms = [...this.rooms];
    this.rooms.clear();
    this.link = { state: 'down', reason, attempt: 0, retry: this.retryAfter(JANUS_RECONNECT_FIRST_MS) };
    this.emit({ type: 'sfu-down', reason });
    for (const [room] of rooms) this.emit({ type: 'room-lost', roomId: room.roomId });
  }

  private retryAfter(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => void this.reconnect(), ms);
    timer.unref();
    return timer;
  }

  private async reconnect(): Promise<void> {
    const down = this.link;
    if (down.state !== 'down') return;
    let up: Extract<Link, { state: 'up' }>;
    try {
      up = await openLink(this.settings);
    } catch (err) {
      const attempt = down.attempt + 1;
      if (this.link !== down) return;
      if (attempt === 1 || attempt % 10 === 0) this.log.warn('sfu-reconnect-failed', { attempt, message: (err as Error).message });
      this.link = { ...down, attempt, retry: this.retryAfter(Math.min(JANUS_RECONNECT_FIRST_MS * 2 ** attempt, JANUS_RECONNECT_MAX_MS)) };
      return;
    }
    if (this.link !== down) {
      // Closed while connecting.
      await up.connection.close().catch(() => {});
      return;
    }
    this.link = up;
    this.watch(up);
    this.log.info('sfu-up', { after: down.reason });
    this.emit({ type: 'sfu-up' });
  }

  private emit(event: SfuEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log.error('sfu-listener-failed', { event: event.type, message: (err as Error).message });
      }
    }
  }
}

/** A WebSocket to Janus, a session on it, and a handle for managing rooms. */
async function openLink(settings: JanusSettings): Promise<Extract<Link, { state: 'up' }>> {
  let connection: Connection | undefined;
  let abandoned = false;
  const open = async () => {
    // One attempt: our own loop does the retrying, with its own pauses.
    connection = await Janode.connect({ address: { url: settings.url, apisecret: settings.apiSecret }, max_retries: 0, retry_time_secs: 1 });
    // Timed out while the WebSocket was opening: nobody will use or close it but us.
    if (abandoned) await connection.close().catch(() => {});
    const session = await connection.create(JANUS_KEEPALIVE_SECONDS);
    const manager = await session.attach<VideoRoomHandle>(VideoRoomPlugin);
    return { state: 'up' as const, connection, session, manager };
  };
  try {
    return await timed('connect', open(), JANUS_CONNECT_TIMEOUT_MS);
  } catch (err) {
    abandoned = true;
    await connection?.close().catch(() => {});
    const why = err instanceof Error ? err.message : String(err);
    // Janus answering with a refusal (a wrong API secret) is not the same as Janus not answering.
    const refused = err instanceof SfuError && err.sfuCode !== undefined;
    throw new SfuError(refused ? err.code : 'sfu-unavailable', `could not ${refused ? 'use' : 'reach'} Janus at ${safeUrl(settings.url)}: ${why}`, refused ? err.sfuCode : undefined);
  }
}

/** `work`, failing with `sfu-timeout` past its time; janode's own errors become SfuErrors. */
async function timed<T>(what: string, work: Promise<T>, ms = JANUS_REQUEST_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SfuError('sfu-timeout', `Janus did not answer ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (err) {
    throw toSfuError(what, err);
  } finally {
    clearTimeout(timer);
  }
}

/** janode rejects with plain Errors: "<number> <reason>" from Janus, or a sentence of its own when the connection went. */
function toSfuError(what: string, err: unknown): SfuError {
  if (err instanceof SfuError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const pluginCode = (err as { _code?: unknown })?._code;
  const janusCode = typeof pluginCode === 'number' ? pluginCode : Number(/^(\d{3}) /.exec(message)?.[1]);
  if (Number.isInteger(janusCode)) return new SfuError(JANUS_ERRORS[janusCode] ?? 'sfu-refused', `${what}: ${message}`, janusCode);
  if (/connection closed|session destroyed|handle detached|unexpected disconnection|not open/i.test(message)) return new SfuError('sfu-unavailable', `${what}: ${message}`);
  return new SfuError('sfu-refused', `${what}: ${message}`);
}

function trickle(handle: Handle, candidate: SfuCandidate): Promise<void> {
  // Janus refuses a null sdpMid or sdpMLineIndex (467) but takes either one left out: a client may send only its sdpMid.
  const janusCandidate =
    candidate === null
      ? { completed: true as const }
      : {
          candidate: candidate.candidate,
          ...(typeof candidate.sdpMid === 'string' ? { sdpMid: candidate.sdpMid } : {}),
          ...(typeof candidate.sdpMLineIndex === 'number' ? { sdpMLineIndex: candidate.sdpMLineIndex } : {}),
        };
  return timed('trickle', handle.trickle(janusCandidate)).then(() => undefined);
}

/** Janus's description of a subscription's m-lines; a stream whose feed is gone has no feed id. */
function subscribedStreams(streams: SubscribedStream[] | undefined): SfuSubscribedStream[] {
  return (streams ?? []).map((stream) => ({
    mid: String(stream.mid),
    kind: stream.type,
    feedId: stream.active !== false && typeof stream.feed_id === 'number' ? safeId(stream.feed_id, 'feed') : undefined,
  }));
}

function publisherOf(info: PublisherInfo): SfuPublisher {
  return {
    feedId: safeId(info.feed, 'feed'),
    displayName: info.display ?? '',
    streams: (info.streams ?? []).filter((s) => !s.disabled).map(streamOf),
  };
}

function streamOf(stream: JanusStream): SfuStream {
  return { mid: stream.mid, kind: stream.type, ...(stream.codec ? { codec: stream.codec } : {}), simulcast: stream.simulcast === true };
}

/** Janus ids are numbers below 2^53 (Janus keeps them JavaScript-safe); anything else would be rounded by JSON parsing. */
function safeId(id: unknown, what: string): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw new SfuError('sfu-refused', `Janus gave a ${what} id that is not a safe integer`);
  return id;
}

/** The URL without any credentials in it, for logs and errors. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
