/**
 * What the rooms service needs from a Selective Forwarding Unit, free of any
 * one SFU's API (janus.ts implements it over Janus's VideoRoom). Everything
 * here may be handed on to a browser: SDP, feed ids, display names. Secrets the
 * SFU needs (API secret, admin key, per-room secrets) stay inside the adapter.
 */

/**
 * How any of our server processes reaches the SFU room made for one of our
 * rooms: the SFU's id for it and the secret that lets us destroy it. Kept in
 * the room store, so every process uses the same SFU room; server-side only,
 * never sent to a client.
 */
export interface SfuRoomKey {
  readonly sfuRoomId: number;
  readonly secret: string;
}

/** This process's way into an SFU room (opened with `openRoom`): its publications, subscriptions and events go through it. */
export interface SfuRoom {
  /** Our room's id (never sent to the SFU, which knows the room by its own id). */
  readonly roomId: string;
}

/** A publisher's stream in the SFU: what a subscriber asks for. */
export type FeedId = number;

/** One media stream of a feed, as the SFU describes it. */
export interface SfuStream {
  /** The stream's m-line id in the publisher's SDP. */
  mid: string;
  kind: 'audio' | 'video' | 'data';
  codec?: string;
  /** The publisher sends several layers (simulcast) a subscriber can choose from. */
  simulcast: boolean;
}

/** A publisher as the SFU announces it to the room. */
export interface SfuPublisher {
  feedId: FeedId;
  displayName: string;
  streams: SfuStream[];
}

/** An ICE candidate from a browser, or null once it has gathered them all. */
export type SfuCandidate = { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } | null;

/** One person's upload: a publishing connection to the SFU. */
export interface SfuPublication {
  readonly room: SfuRoom;
  readonly feedId: FeedId;
  /** The SFU's answer to the publisher's offer. */
  readonly answerSdp: string;
  trickle(candidate: SfuCandidate): Promise<void>;
  /** A new offer on the same connection (an ICE restart, tracks added or removed): the SFU's answer. */
  renegotiate(offerSdp: string): Promise<string>;
  /** Stops publishing and leaves the SFU room (others hear `publisher-left`). */
  leave(): Promise<void>;
}

/** One m-line of a subscribing connection: the feed and stream it carries, none once that feed is gone. */
export interface SfuSubscribedStream {
  mid: string;
  kind: 'audio' | 'video' | 'data';
  feedId: FeedId | undefined;
}

/** An offer for a subscribing connection and what each of its m-lines carries. */
export interface SfuSubscriptionOffer {
  sdp: string;
  streams: SfuSubscribedStream[];
}

/** What a subscriber wants of one m-line: paused (`send: false`) or flowing, and which simulcast layer (0 lowest). */
export interface SfuStreamChoice {
  mid: string;
  send: boolean;
  substream?: 0 | 1 | 2;
}

/** One person's download: a subscribing connection carrying the feeds asked for. */
export interface SfuSubscription {
  readonly room: SfuRoom;
  readonly feeds: readonly FeedId[];
  /** The SFU's offer, to be answered by the subscriber's browser. */
  readonly offerSdp: string;
  /** What each m-line of that first offer carries. */
  readonly streams: readonly SfuSubscribedStream[];
  /** Hands the browser's answer (to the first offer, or to the latest update's) to the SFU, which then forwards. */
  start(answerSdp: string): Promise<void>;
  /**
   * Adds and removes feeds on the same connection: a new offer to answer with
   * `start`, or undefined when the SFU had nothing to change.
   */
  update(change: { add: readonly FeedId[]; remove: readonly FeedId[] }): Promise<SfuSubscriptionOffer | undefined>;
  /**
   * An ICE restart of the subscribing connection: the SFU's new offer (fresh ICE
   * credentials, the same m-lines), to be answered with `start`.
   */
  restartIce(): Promise<string>;
  /** Pauses or resumes m-lines and picks their simulcast layer. */
  choose(choices: readonly SfuStreamChoice[]): Promise<void>;
  trickle(candidate: SfuCandidate): Promise<void>;
  leave(): Promise<void>;
}

/** What happens in the SFU without being asked: the rooms service turns these into our protocol's messages. */
export type SfuEvent =
  /** A publisher's media reached the SFU: others may subscribe to it now. */
  | { type: 'publisher-joined'; roomId: string; publisher: SfuPublisher }
  /** A known publisher renegotiated (a stream added or removed) or changed its name. */
  | { type: 'publisher-changed'; roomId: string; publisher: SfuPublisher }
  | { type: 'publisher-left'; roomId: string; feedId: FeedId }
  /** Voice activity from the SFU's audio levels (for the active speaker). */
  | { type: 'publisher-talking'; roomId: string; feedId: FeedId; talking: boolean }
  /** This process lost its way into the SFU room (its connection to the SFU dropped, or the room was destroyed, maybe by another process): open it again, or make a new one. */
  | { type: 'room-lost'; roomId: string }
  /** The connection to the SFU dropped; the adapter reconnects on its own. */
  | { type: 'sfu-down'; reason: string }
  /** Connected again, holding no rooms: every room must be opened (or made) again and its people publish anew. */
  | { type: 'sfu-up' };

export type SfuEventType = SfuEvent['type'];

/** Why an SFU operation failed, for the rooms service to decide what a client hears. */
export type SfuErrorCode =
  /** Not connected to the SFU right now (it is reconnecting), or closed. */
  | 'sfu-unavailable'
  /** The SFU did not answer within its time. */
  | 'sfu-timeout'
  /** The SFU room no longer exists. */
  | 'room-gone'
  /** The SFU room has as many publishers as it takes. */
  | 'room-full'
  /** The feed asked for is not being published (any more). */
  | 'feed-gone'
  /** The SFU refused the SDP it was given. */
  | 'bad-sdp'
  /** Anything else the SFU refused; the message says what. */
  | 'sfu-refused';

export class SfuError extends Error {
  override readonly name = 'SfuError';

  constructor(
    readonly code: SfuErrorCode,
    message: string,
    /** The SFU's own error number, where it gave one. */
    readonly sfuCode?: number,
  ) {
    super(message);
  }
}

/**
 * Creates and destroys SFU rooms and negotiates each person's publishing and
 * subscribing connection. One adapter serves every room of a server process.
 */
export interface SfuAdapter {
  /** Makes an SFU room for `roomId`, with nobody in it yet; any process may open it with the key. */
  createRoom(roomId: string): Promise<SfuRoomKey>;
  /**
   * This process enters the SFU room: from now on it hears the room's events
   * (starting with a `publisher-joined` for each publisher already there) and
   * may publish and subscribe in it. Fails with `room-gone` when the SFU no
   * longer has that room.
   */
  openRoom(roomId: string, key: SfuRoomKey): Promise<SfuRoom>;
  /** This process leaves the SFU room (its listener and every connection it opened there); the room stays for other processes. */
  closeRoom(room: SfuRoom): Promise<void>;
  /** Ends the SFU room for every process: every connection in it closes. Destroying a room already gone succeeds. */
  destroyRoom(key: SfuRoomKey): Promise<void>;
  /** Whether anyone publishes, or joined to publish, in the SFU room, apart from our processes' own listeners (false for a room gone). */
  inUse(key: SfuRoomKey): Promise<boolean>;
  publish(room: SfuRoom, displayName: string, offerSdp: string): Promise<SfuPublication>;
  subscribe(room: SfuRoom, feeds: readonly FeedId[]): Promise<SfuSubscription>;
  /** The publishers whose media is up in the room, oldest first (empty for a room this adapter does not hold). */
  publishers(room: SfuRoom): readonly SfuPublisher[];
  /** `listener` hears every event; the returned function stops that. */
  onEvent(listener: (event: SfuEvent) => void): () => void;
  /** Leaves every room it opened and disconnects (the rooms stay: other processes may use them); later calls fail with `sfu-unavailable`. */
  close(): Promise<void>;
}
