export { Call, type CallEndReason, type CallOptions, type CallState, type PeerView, type RoomCredentials } from './call.ts';
export { CHAT_CHANNEL_ID, checkChatText, type ChatMessage, type ChatSendError, type ChatSendResult } from './chat-channel.ts';
export { Emitter } from './emitter.ts';
export { mediaErrorCode, openUserMedia, stopStream, type MediaErrorCode, type MediaOutcome } from './media.ts';
export { PeerLink, type LinkState, type LocalTracks, type MediaKind } from './peer-link.ts';
export { QUALITY_INTERVAL_MS, QUALITY_THRESHOLDS, rateQuality, type LinkQuality, type QualityIssue, type QualityLevel } from './quality.ts';
export { SCREEN_SHARE_CONSTRAINTS, ScreenShare, type ScreenShareOutcome, type ScreenShareState } from './screen-share.ts';
export { ACK_DELAY_MS, SignalingClient, type SignalingState } from './signaling-client.ts';
export { summarizeStats, type LinkStats } from './stats.ts';
