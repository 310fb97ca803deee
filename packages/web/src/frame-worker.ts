import type { StaleFrameReport } from '@videoapp/client';

/** Where the build put the worker that encrypts media frames end to end (scripts/build.mjs defines it). */
declare const FRAME_WORKER_URL: string;
/** Where the build put the worker that keeps stale frames out of the mesh links' video receivers. */
declare const STALE_FRAME_WORKER_URL: string;

/** The frame encryption worker, loaded only when a call starts (it is not part of the first page). */
export function createFrameWorker(): Worker {
  return new Worker(FRAME_WORKER_URL, { name: 'videoapp-frame-crypto' });
}

/**
 * Performance marks for what the stale-frame guard does, for whoever looks at
 * the page's timeline (and the tests): one per video receiver whose frames
 * pass through its guard, one per stale frame dropped.
 */
export const STALE_FRAME_MARKS: Record<StaleFrameReport, string> = { guarding: 'videoapp:video-guarded', dropped: 'videoapp:stale-frame-dropped' };

let staleFrameWorker: Worker | undefined;
const guarded = new WeakSet<RTCRtpReceiver>();

/**
 * Guards a mesh link's video receiver against stale frames (the client's
 * stale-frames.ts) with a receive transform, in browsers that have
 * RTCRtpScriptTransform. One worker, started with the first receiver,
 * serves every receiver of the page.
 */
export function guardReceivedVideo(receiver: RTCRtpReceiver): void {
  if (typeof RTCRtpScriptTransform !== 'function' || guarded.has(receiver)) return;
  guarded.add(receiver);
  if (!staleFrameWorker) {
    staleFrameWorker = new Worker(STALE_FRAME_WORKER_URL, { name: 'videoapp-stale-frames' });
    staleFrameWorker.onmessage = ({ data }: MessageEvent<StaleFrameReport>) => performance.mark(STALE_FRAME_MARKS[data]);
  }
  receiver.transform = new RTCRtpScriptTransform(staleFrameWorker);
}
