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
export function videoSendCap(otherPeople: number, track: { width?: number; height?: number; contentHint?: string } | undefined): VideoSendCap {
  if (otherPeople < 2) return { maxBitrate: undefined, scaleResolutionDownBy: 1 };
  const detail = track?.contentHint === 'detail' || track?.contentHint === 'text';
  const width = track?.width ?? 0;
  const height = track?.height ?? 0;
  // Landscape or portrait, the longer side fits the longer bound.
  const [long, short] = width >= height ? [width, height] : [height, width];
  const scale = detail ? 1 : Math.max(1, long / GROUP_VIDEO_MAX_WIDTH, short / GROUP_VIDEO_MAX_HEIGHT);
  return { maxBitrate: GROUP_VIDEO_MAX_BITRATE_BPS, scaleResolutionDownBy: scale };
}
