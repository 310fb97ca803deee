/**
 * The signaling protocol: JSON over one WebSocket per tab. Each message is one
 * member of a union told apart by `type`; the TypeScript types below are
 * inferred from these schemas, which both ends use to validate.
 */
import { ERROR_CODES } from './errors.ts';
import {
  MAX_CANDIDATE_CHARS,
  MAX_CHAT_CHARS,
  MAX_E2EE_KEY_ID,
  MAX_E2EE_PUBLIC_KEY_CHARS,
  MAX_E2EE_WRAPPED_KEY_CHARS,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_LISTED_KNOCKERS,
  MAX_NAME_CHARS,
  MAX_PASSCODE_CHARS,
  MAX_RESUME_TOKEN_CHARS,
  MAX_SDP_CHARS,
  MAX_SFU_ROOM_PEERS,
  MAX_SFU_STREAMS,
  MAX_WAITING_KNOCKERS,
  MIN_PASSCODE_CHARS,
  REACTION_EMOJI,
} from './limits.ts';
import { ROOM_ID_PATTERN } from './room-id.ts';
import { array, boolean, type Infer, integer, object, oneOf, optional, string, tagged, union } from './schema.ts';

const peerId = string({ min: 1, max: 32, pattern: /^[0-9a-z]+$/ });
const roomId = string({ max: 19, pattern: ROOM_ID_PATTERN });
/** Signed by the server (payload.signature, base64url), so a restarted server can still honour it. */
const resumeToken = string({ min: 16, max: MAX_RESUME_TOKEN_CHARS, pattern: /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/ });
/**
 * Messages that must survive a dropped socket carry a sequence number per
 * direction and session: the receiver drops what it has seen, and on resume
 * each side re-sends what the other has not.
 */
const seq = optional(integer(1, Number.MAX_SAFE_INTEGER));
const seqCount = integer(0, Number.MAX_SAFE_INTEGER);
/**
 * The last numbered server message the client has received, so the server can
 * forget what it kept for a re-send. It rides on numbered client messages and
 * on `pong`; with nothing to ride on, the client sends `ack` on its own (see
 * ACK_DELAY_MS in the client).
 */
const ack = optional(seqCount);
const displayName = string({ max: MAX_NAME_CHARS });
/** What a joiner types to enter a room its creator protected; the server keeps only a salted hash. */
const passcode = string({ min: MIN_PASSCODE_CHARS, max: MAX_PASSCODE_CHARS });
/** Handed to whoever created the room; presenting it on join makes that person the room's host. */
const hostKey = string({ min: 16, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });

const sessionDescription = object({
  type: oneOf(['offer', 'answer']),
  sdp: string({ max: MAX_SDP_CHARS }),
});

/** An ICE candidate as `RTCIceCandidateInit`; an empty `candidate` string marks the end of candidates. */
const iceCandidate = object({
  candidate: string({ max: MAX_CANDIDATE_CHARS }),
  sdpMid: optional(string({ max: 32 })),
  sdpMLineIndex: optional(integer(0, 1024)),
  usernameFragment: optional(string({ max: 256 })),
});

const peerInfo = object({ id: peerId, name: displayName });

const iceServer = object({
  urls: array(string({ max: 512 }), 8),
  username: optional(string({ max: 256 })),
  credential: optional(string({ max: 256 })),
});

/** Media a peer is sending, so the other side can say "camera off" rather than show a black frame. */
const mediaState = object({ audio: boolean(), video: boolean() });

/**
 * How a room's media travels: `mesh`, a peer connection between every two
 * people; `sfu`, each person publishes once to the SFU and subscribes to the
 * others through it. The server decides (P2P for two, SFU from three when one
 * is configured); clients move make-before-break.
 */
const mediaRoute = oneOf(['mesh', 'sfu']);

/** Which connection to the SFU a candidate belongs to. */
const sfuConnection = oneOf(['publish', 'subscribe']);

/** One m-line of the subscriber connection: whose media it carries. */
const sfuStream = object({ mid: string({ min: 1, max: 32 }), peerId, kind: oneOf(['audio', 'video']) });

/**
 * What a subscriber wants of one person's video: `off` pauses it (an
 * off-screen tile); a layer picks among the publisher's simulcast layers
 * (`low` ≈ 1/4, `medium` ≈ 1/2, `high` full resolution).
 */
const videoWant = oneOf(['off', 'low', 'medium', 'high']);

const reaction = oneOf(REACTION_EMOJI);
/** An end-to-end public key (ECDH P-256, raw point) in base64url. */
const e2eePublicKey = string({ min: 1, max: MAX_E2EE_PUBLIC_KEY_CHARS, pattern: /^[A-Za-z0-9_-]+$/ });
/** A media key encrypted for one person with the key the two share (base64url). */
const wrappedMediaKey = string({ min: 1, max: MAX_E2EE_WRAPPED_KEY_CHARS, pattern: /^[A-Za-z0-9_-]+$/ });
const e2eeKeyId = integer(0, MAX_E2EE_KEY_ID);
/**
 * A knocker's proof that a waiting place is theirs: `<knock id>.<secret>`,
 * handed out by the server with the first `knock-waiting`. Kept by the tab
 * (sessionStorage), it brings a reloaded knocker back to the same place, and
 * once the host admits them it lets them `join` past "Ask to join".
 */
const knockToken = string({ max: 64, pattern: /^[0-9a-f]{16}\.[A-Za-z0-9_-]{22}$/ });
/** The public half of a knock token, by which the host admits or denies. */
const knockId = string({ min: 16, max: 16, pattern: /^[0-9a-f]{16}$/ });
const knocker = object({ id: knockId, name: displayName });

// ---- client → server -------------------------------------------------------

export const ClientMessage = union([
  /** First message on every socket; `resume` reclaims a session whose socket dropped, `lastSeq` is the last numbered message received in it. */
  tagged('hello', { version: integer(0, 1_000_000), resume: optional(resumeToken), lastSeq: optional(seqCount) }),
  /**
   * `knock`: the token of a knock the host admitted, which stands in for "Ask to join" (and the passcode checked at the knock).
   * `rejoin`: a reloaded page's last resume token (its session ended with the page): proof it was in this room a moment ago, so it
   * comes back in without knocking again.
   */
  tagged('join', { roomId, name: displayName, passcode: optional(passcode), hostKey: optional(hostKey), knock: optional(knockToken), rejoin: optional(resumeToken) }),
  tagged('description', { to: peerId, description: sessionDescription, seq, ack }),
  tagged('candidate', { to: peerId, candidate: iceCandidate, seq, ack }),
  tagged('media', { media: mediaState, seq, ack }),
  /** `hang-up` ends the call for everyone; `page-exit` (tab closed, reload) leaves the others waiting for a return. */
  tagged('leave', { reason: oneOf(['hang-up', 'page-exit']), seq, ack }),
  /** Answers `ping`; `ack` is the last numbered message received, so the server can forget what came before. */
  tagged('pong', { ack }),
  /** Asks the server to answer at once (`pong`): media stopped, and the client checks whether its socket still carries. */
  tagged('ping', {}),
  tagged('ack', { seq: seqCount }),
  /** The host closes the room to newcomers (or opens it again); people inside stay. */
  tagged('lock', { locked: boolean(), seq, ack }),
  /** Publishes our media to the SFU (or renegotiates it: an ICE restart); answered by `sfu-answer`. */
  tagged('sfu-publish', { sdp: string({ max: MAX_SDP_CHARS }), seq, ack }),
  /** Our answer to the subscriber connection's latest `sfu-offer`. */
  tagged('sfu-subscribe-answer', { sdp: string({ max: MAX_SDP_CHARS }), seq, ack }),
  tagged('sfu-candidate', { connection: sfuConnection, candidate: iceCandidate, seq, ack }),
  /** What we want to receive of each person's video; people left out keep what they had (`low` at first). */
  tagged('sfu-view', { feeds: array(object({ peerId, video: videoWant }), MAX_SFU_ROOM_PEERS), seq, ack }),
  /**
   * Our subscriber connection's ICE failed (or the network changed): the server
   * asks the SFU for an ICE restart and sends its new offer, fresh ICE
   * credentials and the same m-lines, as an `sfu-offer`.
   */
  tagged('sfu-subscribe-restart', { seq, ack }),
  /** We need the SFU no more (back on the mesh, whose media flows): our SFU connections may close. */
  tagged('sfu-leave', { seq, ack }),
  /** A chat line to everyone in the room, for rooms whose media goes through the SFU (no data channel between people). Relayed, never logged. */
  tagged('chat', { text: string({ min: 1, max: MAX_CHAT_CHARS }), seq, ack }),
  /** Raises or lowers our own hand; the server keeps the room's raised hands in order and tells everyone (us too). */
  tagged('hand', { raised: boolean(), seq, ack }),
  /** The host lowers someone else's raised hand (anyone else gets `not-room-host`). */
  tagged('lower-hand', { peerId, seq, ack }),
  /** A reaction from the fixed set, floated briefly over our tile for everyone (us too); at most REACTIONS_PER_MINUTE. */
  tagged('reaction', { emoji: reaction, seq, ack }),
  /**
   * Our end-to-end public key for media through the SFU, to everyone in the
   * room (or to one person, `to`, who announced theirs after we announced
   * ours). Without `publicKey`: this browser cannot encrypt media frames.
   */
  tagged('e2ee-key', { to: optional(peerId), publicKey: optional(e2eePublicKey), seq, ack }),
  /** Our media key `keyId`, wrapped for `to` with the key derived from our two public keys. */
  tagged('e2ee-media-key', { to: peerId, keyId: e2eeKeyId, wrapped: wrappedMediaKey, seq, ack }),
  /**
   * Asks the host of an "Ask to join" room to be let in (passcode checked
   * first; a locked room refuses it like a join). `token`: a knock made before
   * (a reload), which keeps its place. Answered by `knock-waiting`, then
   * `knock-admitted` or `knock-denied`. Nothing of the room (people, media,
   * addresses) reaches a knocker.
   */
  tagged('knock', { roomId, name: displayName, passcode: optional(passcode), token: optional(knockToken) }),
  /** The knocker gives up waiting. */
  tagged('knock-cancel', {}),
  /** The host lets a knocker in, or turns them away. */
  tagged('admit', { knockId, seq, ack }),
  tagged('deny', { knockId, seq, ack }),
  /** The host turns "Ask to join" on or off; it holds for the room until turned off (turning it off lets everyone waiting in). */
  tagged('ask-to-join', { on: boolean(), seq, ack }),
]);
export type ClientMessage = Infer<typeof ClientMessage>;

// ---- server → client -------------------------------------------------------

export const ServerMessage = union([
  tagged('welcome', { version: integer(0, 1_000_000), heartbeatMs: integer(100, 600_000) }),
  tagged('joined', {
    roomId,
    selfId: peerId,
    peers: array(peerInfo, MAX_SFU_ROOM_PEERS),
    resumeToken,
    iceServers: array(iceServer, 8),
    /** This person created the room and may lock it. */
    host: optional(boolean()),
    locked: optional(boolean()),
    /** How the room's media travels now (`mesh` when left out). */
    route: optional(mediaRoute),
    /** Newcomers knock and wait for the host ("Ask to join"). */
    askToJoin: optional(boolean()),
  }),
  /**
   * The session survived a dropped socket; `peers` is who is in the room now,
   * `iceServers` fresh credentials (a reloaded page has none).
   * `received`: the last numbered client message the server has; the client
   * re-sends what follows. `resendFrom`: the server re-sends its numbered
   * messages from this one on (1 after a server restart: numbering starts over).
   */
  tagged('resumed', {
    roomId,
    selfId: peerId,
    /** A fresh token: the one just used may be close to its expiry. */
    resumeToken,
    peers: array(peerInfo, MAX_SFU_ROOM_PEERS),
    iceServers: array(iceServer, 8),
    received: seqCount,
    resendFrom: integer(1, Number.MAX_SAFE_INTEGER),
    route: optional(mediaRoute),
  }),
  tagged('peer-joined', { peer: peerInfo, seq }),
  /** `hung-up`: ended the call; `left`: closed or reloaded the page; `lost`: its connection died and the grace period ran out. */
  tagged('peer-left', { peerId, reason: oneOf(['hung-up', 'left', 'lost']), seq }),
  /** The peer's signaling socket dropped (`away`) or came back (`back`); it has not left yet. */
  tagged('peer-presence', { peerId, presence: oneOf(['away', 'back']), seq }),
  tagged('peer-media', { peerId, media: mediaState, seq }),
  tagged('description', { from: peerId, description: sessionDescription, seq }),
  tagged('candidate', { from: peerId, candidate: iceCandidate, seq }),
  tagged('error', {
    code: oneOf(ERROR_CODES),
    message: string({ max: MAX_ERROR_MESSAGE_CHARS }),
    /** The `type` of the message that caused it, when known. */
    about: optional(string({ max: 32 })),
  }),
  /** The host locked or unlocked the room; sent to everyone in it. */
  tagged('room-lock', { locked: boolean() }),
  tagged('ping', {}),
  /** Answers the client's `ping`. */
  tagged('pong', {}),
  /** Fresh TURN credentials, sent before the previous ones expire: for new connections and ICE restarts in long calls. */
  tagged('ice-servers', { iceServers: array(iceServer, 8), seq }),
  /** A fresh resume token, sent while the session lives so the one the client holds never expires under it. */
  tagged('resume-token', { resumeToken, seq }),
  /** The room's media route changed: move to it make-before-break (keep the old one until the new one carries media). */
  tagged('media-route', { route: mediaRoute, seq }),
  /** The SFU's answer to our `sfu-publish`. */
  tagged('sfu-answer', { sdp: string({ max: MAX_SDP_CHARS }), seq }),
  /**
   * A (new) offer for our subscriber connection, sent whenever the people we
   * receive through the SFU change; `streams` names whose media each m-line
   * carries. Answered by `sfu-subscribe-answer`.
   */
  tagged('sfu-offer', { sdp: string({ max: MAX_SDP_CHARS }), streams: array(sfuStream, MAX_SFU_STREAMS), seq }),
  /** The SFU lost our connections (it restarted): publish again, and expect a fresh `sfu-offer`. */
  tagged('sfu-reset', { seq }),
  /** Who is speaking, from the SFU's audio levels. */
  tagged('talking', { peerId, talking: boolean(), seq }),
  /** A chat line relayed by the server (SFU rooms). */
  tagged('chat', { from: peerId, text: string({ min: 1, max: MAX_CHAT_CHARS }), seq }),
  /** The server is going away (shutdown, redeploy): reconnect after `retryMs`. */
  tagged('goodbye', { retryMs: integer(0, 600_000) }),
  /** Someone's hand went up or down; `by` names the host when the host lowered it. */
  tagged('hand', { peerId, raised: boolean(), by: optional(peerId), seq }),
  /** The room's raised hands, earliest first: sent to a member who joins or resumes while any are up; `hand` messages keep it current. */
  tagged('raised-hands', { peerIds: array(peerId, MAX_SFU_ROOM_PEERS), seq }),
  tagged('reaction', { from: peerId, emoji: reaction, seq }),
  /** Someone's end-to-end public key (none: their browser cannot encrypt), relayed within the room. */
  tagged('e2ee-key', { from: peerId, publicKey: optional(e2eePublicKey), seq }),
  /** Someone's media key, wrapped for us alone. */
  tagged('e2ee-media-key', { from: peerId, keyId: e2eeKeyId, wrapped: wrappedMediaKey, seq }),
  /** To a knocker: waiting, `position` (1 = next) in the room's queue; keep `token` to come back after a reload. */
  tagged('knock-waiting', { token: knockToken, position: integer(1, MAX_WAITING_KNOCKERS) }),
  /** To a knocker: the host let them in; `join` with the knock token now. */
  tagged('knock-admitted', {}),
  /** To a knocker: `denied` by the host, or `host-left` (the host ended the call with nobody left to answer). */
  tagged('knock-denied', { reason: oneOf(['denied', 'host-left']) }),
  /** To the host: who is waiting, oldest first (at most MAX_LISTED_KNOCKERS by name), and how many in all. */
  tagged('knockers', { knockers: array(knocker, MAX_LISTED_KNOCKERS), waiting: integer(0, MAX_WAITING_KNOCKERS), seq }),
  /** The host turned "Ask to join" on or off; sent to everyone in the room. */
  tagged('room-ask-to-join', { on: boolean(), seq }),
]);
export type ServerMessage = Infer<typeof ServerMessage>;

export type MessageOf<U, T> = Extract<U, { type: T }>;
export type DepartureReason = MessageOf<ServerMessage, 'peer-left'>['reason'];
export type PeerInfo = Infer<typeof peerInfo>;
export type SessionDescription = Infer<typeof sessionDescription>;
export type IceCandidate = Infer<typeof iceCandidate>;
export type IceServer = Infer<typeof iceServer>;
export type MediaState = Infer<typeof mediaState>;
export type MediaRoute = Infer<typeof mediaRoute>;
export type SfuStreamInfo = Infer<typeof sfuStream>;
export type VideoWant = Infer<typeof videoWant>;
export type Knocker = Infer<typeof knocker>;
export type KnockDenial = MessageOf<ServerMessage, 'knock-denied'>['reason'];

// ---- HTTP API --------------------------------------------------------------

/** The body of `POST /api/rooms`; it may be empty. */
export const CreateRoomRequest = object({ passcode: optional(passcode) });
export type CreateRoomRequest = Infer<typeof CreateRoomRequest>;

export const CreateRoomResponse = object({ roomId, hostKey });
export type CreateRoomResponse = Infer<typeof CreateRoomResponse>;

/** `passcode`: joining needs one; `locked`: the host closed the room to newcomers; `askToJoin`: newcomers knock and wait for the host. */
export const RoomStatusResponse = object({ roomId, peers: integer(0, 1000), capacity: integer(1, 1000), passcode: boolean(), locked: boolean(), askToJoin: optional(boolean()) });
export type RoomStatusResponse = Infer<typeof RoomStatusResponse>;

export const ApiErrorResponse = object({ error: object({ code: oneOf(ERROR_CODES), message: string({ max: MAX_ERROR_MESSAGE_CHARS }) }) });
export type ApiErrorResponse = Infer<typeof ApiErrorResponse>;
