/** Where the build put the worker that encrypts media frames end to end (scripts/build.mjs defines it). */
declare const FRAME_WORKER_URL: string;

/** The frame encryption worker, loaded only when a call starts (it is not part of the first page). */
export function createFrameWorker(): Worker {
  return new Worker(FRAME_WORKER_URL, { name: 'videoapp-frame-crypto' });
}
