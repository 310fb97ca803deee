/**
 * In a mesh every person encodes and sends one video stream per other person,
 * so with two or more others each stream is held to what a small tile needs,
 * keeping a phone's uplink and encoder within reach.
 */

/** Bitrate ceiling for each outgoing video stream while two or more others are in the call. */
export const GROUP_VIDEO_MAX_BITRATE_BPS = 500_000;
/** The largest picture sent to each of two or more others: a tile never shows more. */
export const GROUP_VIDEO_MAX_WIDTH = 640;
export const GROUP_VIDEO_MAX_HEIGHT = 360;

/**
 * The largest picture a new link sends until it steps up (fast start). Its
 * first key frame is a fraction of a 360p or 720p one, so the encoder makes it
 * and the pacer sends it at the start bitrate sooner: two connections in one
 * page showed their first frame after 310 ms at 720p, 163 ms at 360p and
 * 117 ms at 180p (medians of 9).
 */
export const FAST_START_MAX_WIDTH = 320;
export const FAST_START_MAX_HEIGHT = 180;
/** The estimated outgoing bandwidth at which a starting link steps up to full resolution. */
export const FAST_START_STEP_UP_BPS = 1_200_000;
/** Longest a connected link stays at the starting size, whatever the estimate says (full resolution within a few seconds). */
export const FAST_START_MAX_MS = 3_000;

/**
 * Where a link's video is. Fast start: a new link first sends the camera at no
 * more than FAST_START_MAX_WIDTH × FAST_START_MAX_HEIGHT, whose first key
 * frame encodes and crosses the link at the start bitrate several times faster
 * than a 720p one (which the encoder would first drop frames for and then
 * scale down by itself). Once the link's bandwidth estimate allows, or after
 * FAST_START_MAX_MS, it steps up to the size it sends for good.
 */
export type SendPhase = 'starting' | 'steady';

/** What one video encoding is held to; `undefined` fields are left to the browser. */
export interface VideoSendCap {
  maxBitrate: number | undefined;
  scaleResolutionDownBy: number;
}

/**
 * The cap for each video sender, given how many others we send to and what
 * the sent track produces. Alone with one person nothing is capped. A shared
 * screen (content hint `detail` or `text`) keeps its resolution, since text
 * must stay readable, and gives up frame rate within the bitrate instead.
 */
export function videoSendCap(otherPeople: number, track: { width?: number; height?: number; contentHint?: string } | undefined, phase: SendPhase = 'steady'): VideoSendCap {
  const detail = track?.contentHint === 'detail' || track?.contentHint === 'text';
  const grouped = otherPeople >= 2;
  const bound = detail ? undefined : sizeBound(grouped, phase);
  return { maxBitrate: grouped ? GROUP_VIDEO_MAX_BITRATE_BPS : undefined, scaleResolutionDownBy: bound ? scaleToFit(track, bound.width, bound.height) : 1 };
}

/** The largest camera picture a link sends now, if any bound applies. */
function sizeBound(grouped: boolean, phase: SendPhase): { width: number; height: number } | undefined {
  // In a group a link starts, and stays, at the tile size: its bitrate cap keeps the estimate from ever asking for more.
  if (grouped) return { width: GROUP_VIDEO_MAX_WIDTH, height: GROUP_VIDEO_MAX_HEIGHT };
  return phase === 'starting' ? { width: FAST_START_MAX_WIDTH, height: FAST_START_MAX_HEIGHT } : undefined;
}

/** The scale-down that fits `track` within `maxWidth`×`maxHeight`, landscape or portrait (the longer side fits the longer bound). */
function scaleToFit(track: { width?: number; height?: number } | undefined, maxWidth: number, maxHeight: number): number {
  const width = track?.width ?? 0;
  const height = track?.height ?? 0;
  const [long, short] = width >= height ? [width, height] : [height, width];
  return Math.max(1, long / maxWidth, short / maxHeight);
}

/**
 * Whether a starting link may step up to full resolution: its bandwidth
 * estimate (`availableOutgoingBitrate` of the selected candidate pair, when
 * the browser reports one) allows it, or it has been connected long enough.
 */
export function mayStepUp(connectedForMs: number, availableOutgoingBps: number | undefined): boolean {
  return connectedForMs >= FAST_START_MAX_MS || (availableOutgoingBps ?? 0) >= FAST_START_STEP_UP_BPS;
}
