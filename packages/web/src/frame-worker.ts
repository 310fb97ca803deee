/** Where the build put the worker that encrypts media frames end to end (scripts/build.mjs defines it). */
declare const FRAME_WORKER_URL: string;
/** Where the build put the worker that keeps stale frames out of the mesh links' video receivers. */
declare const STALE_FRAME_WORKER_URL: string;

/** The frame encryption worker, loaded only when a call starts (it is not part of the first page). */
export function createFrameWorker(): Worker {
  return new Worker(FRAME_WORKER_URL, { name: 'videoapp-frame-crypto' });
}

/**
 * The performance mark made for each video receiver whose frames pass
 * through its stale-frame guard, for whoever looks at the page's timeline
 * (and the tests: a transform attached too late is there but sees no frame).
 */
export const VIDEO_GUARDED_MARK = 'videoapp:video-guarded';

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
  receiver.transform = new RTCRtpScriptTransform(staleFrameGuardWorker());
}

/**
 * Starts the stale-frame guard's worker ahead of the first video receiver (the
 * lobby does while the person looks at their preview, the room as it sends the
 * join), so that starting it, and loading its script, is not in the way of
 * the offer or the first frame. Nothing is sent. Calling it again does nothing.
 */
export function prepareStaleFrameGuard(): void {
  if (typeof RTCRtpScriptTransform === 'function') staleFrameGuardWorker();
}

function staleFrameGuardWorker(): Worker {
  if (!staleFrameWorker) {
    staleFrameWorker = new Worker(STALE_FRAME_WORKER_URL, { name: 'videoapp-stale-frames' });
    staleFrameWorker.onmessage = () => performance.mark(VIDEO_GUARDED_MARK);
  }
  return staleFrameWorker;
}
