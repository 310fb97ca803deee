/**
 * Every limit the protocol enforces, in one place. Both ends import these: the
 * server to refuse, the client to avoid sending what would be refused.
 */

export const PROTOCOL_VERSION = 1;

/** Largest WebSocket message (all its fragments together) the server accepts; a bigger one closes the socket with 1009. */
export const MAX_MESSAGE_BYTES = 48 * 1024;
/**
 * Bytes the server may hold queued for one socket whose peer is not reading
 * (about twenty of the largest messages); past this the socket is dropped, so
 * a stalled client cannot grow the server's memory without bound.
 */
export const MAX_BUFFERED_BYTES_PER_SOCKET = 1024 * 1024;
/** Largest SDP in one description (a Firefox offer with audio, video and data is ~6 KB). */
export const MAX_SDP_CHARS = 40 * 1024;
/** Largest single ICE candidate line. */
export const MAX_CANDIDATE_CHARS = 1024;
/** Candidates one peer may send another between two descriptions. */
export const MAX_CANDIDATES_PER_PEER = 256;
export const MAX_NAME_CHARS = 64;
/** Longest human-readable sentence in an error; problems quote at most a short excerpt of what was sent. */
export const MAX_ERROR_MESSAGE_CHARS = 512;
export const MAX_CHAT_CHARS = 2000;

/**
 * People in one room. Calls are a full mesh: each person sends one stream to
 * every other, so uplink and encoding CPU grow with the room; four (three
 * outgoing streams) is what a phone can carry.
 */
export const MAX_ROOM_PEERS = 4;
/**
 * People in one room whose media goes through the SFU (Janus): each sends one
 * stream (with simulcast layers) whatever the room's size, so the limit is the
 * subscribers' downlink and the SFU's forwarding. In force when the server has
 * an SFU; without one, MAX_ROOM_PEERS.
 */
export const MAX_SFU_ROOM_PEERS = 25;
/** m-lines in one subscriber connection: audio and video of everyone else, with room for a screen each. */
export const MAX_SFU_STREAMS = 4 * MAX_SFU_ROOM_PEERS;
/** People in a room at or above which its media goes through the SFU (when there is one): P2P for two. */
export const SFU_FROM_PEERS = 3;
/** How long a room that fell back to two stays on the SFU before returning to P2P (someone may be rejoining). */
export const SFU_TO_MESH_DELAY_MS = 5_000;
/** Chat lines one person may send through the server per minute (SFU rooms). */
export const CHAT_LINES_PER_MINUTE = 60;

/** How often each end sends a heartbeat, and how long silence may last before the socket counts as dead. */
export const HEARTBEAT_INTERVAL_MS = 2_000;
export const HEARTBEAT_TIMEOUT_MS = 6_000;
/** How long a session whose socket dropped keeps its place in the room, awaiting a resume. */
export const RESUME_GRACE_MS = 20_000;
/**
 * A resume token is refused this long after it was issued: a few minutes
 * beyond the grace period, so it outlives any socket outage the session
 * survives but not the session. While the session lives the server sends a
 * fresh one every RESUME_TOKEN_RENEW_MS.
 */
export const RESUME_TOKEN_LIFETIME_MS = RESUME_GRACE_MS + 3 * 60_000;
export const RESUME_TOKEN_RENEW_MS = 60_000;
/** Longest resume token: signed claims, the display name among them (JSON may escape each character to six). */
export const MAX_RESUME_TOKEN_CHARS = 1024;
/** How long a room with nobody in it lives before it expires. */
export const EMPTY_ROOM_TTL_MS = 10 * 60_000;

/** Token bucket per socket: sustained rate and burst (a trickle of ICE candidates arrives in bursts). */
export const MESSAGES_PER_SECOND_PER_SOCKET = 50;
export const MESSAGE_BURST_PER_SOCKET = 200;
export const ROOMS_CREATED_PER_MINUTE_PER_ADDRESS = 30;
export const JOINS_PER_MINUTE_PER_ADDRESS = 60;
export const SOCKETS_PER_ADDRESS = 64;
/** A room passcode: short enough to say aloud, long enough for a phrase. */
export const MIN_PASSCODE_CHARS = 4;
export const MAX_PASSCODE_CHARS = 128;
/**
 * Passcode tries per client address, and per room from all addresses together
 * (so many addresses cannot share out a brute force). Each try also spends a join.
 */
export const PASSCODE_ATTEMPTS_PER_MINUTE_PER_ADDRESS = 10;
export const PASSCODE_ATTEMPTS_PER_MINUTE_PER_ROOM = 30;

/**
 * The reactions a person may send: a small fixed set rather than free text,
 * so a reaction needs no moderation and says the same in every language.
 */
export const REACTION_EMOJI = ['👍', '❤️', '😂', '👏', '🎉', '😮'] as const;
export type ReactionEmoji = (typeof REACTION_EMOJI)[number];
/** Reactions one person may send per minute: enough for applause, too few to bury the room in emoji. */
export const REACTIONS_PER_MINUTE = 30;
/**
 * Hand raises and lowers (own, or the host's of others) one person may send
 * per minute; each one is announced to everyone's screen reader, so a stuck
 * key must not flood the room.
 */
export const HAND_CHANGES_PER_MINUTE = 30;
/**
 * End-to-end encryption of media through the SFU. A public key is an ECDH
 * P-256 point in raw form (65 bytes, 87 characters of base64url); a wrapped
 * media key is its AES-GCM encryption under the key two people share (IV,
 * 16-byte key, tag: 44 bytes, 59 characters). The limits leave room for
 * larger curves and keys without letting a message grow past a few hundred bytes.
 */
export const MAX_E2EE_PUBLIC_KEY_CHARS = 200;
export const MAX_E2EE_WRAPPED_KEY_CHARS = 200;
/** Media key ids are random 32-bit numbers, so receivers can tell everyone's keys apart without knowing who sent a frame. */
export const MAX_E2EE_KEY_ID = 0xffff_ffff;
/**
 * "Ask to join": knocks (first knocks and a reloaded knocker's return alike)
 * per client address per minute, so one machine cannot fill a host's list.
 */
export const KNOCKS_PER_MINUTE_PER_ADDRESS = 10;
/** People waiting to be let into one room; past this a knock is refused with `waiting-list-full`. */
export const MAX_WAITING_KNOCKERS = 20;
/** Knockers the host is sent by name (oldest first); the rest are a count, so a flood never buries the host's controls. */
export const MAX_LISTED_KNOCKERS = 8;
/**
 * How long a waiting knocker whose socket closed keeps their place (a reload
 * comes back well within it); then they leave the host's list.
 */
export const KNOCK_GRACE_MS = RESUME_GRACE_MS;
