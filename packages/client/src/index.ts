export { Call, type CallEndReason, type CallOptions, type CallState, type PeerView, type RoomCredentials } from './call.ts';
export { Emitter } from './emitter.ts';
export { mediaErrorCode, openUserMedia, stopStream, type MediaErrorCode, type MediaOutcome } from './media.ts';
export { PeerLink, type LinkState, type LocalTracks, type MediaKind } from './peer-link.ts';
export { SignalingClient, type SignalingState } from './signaling-client.ts';
export { summarizeStats, type LinkStats } from './stats.ts';
