/**
 * The worker that guards each mesh video receiver against stale frames
 * (stale-frames.ts): every received frame passes through it, by
 * RTCRtpScriptTransform, and the stale ones go no further. Bundled on its
 * own (scripts/build.mjs); one worker serves every receiver of a page, each
 * with a guard of its own.
 */
import { StaleFrameGuard } from './stale-frames.ts';

interface EncodedVideoFrame {
  /** The RTP timestamp, where the browser has no getMetadata().rtpTimestamp (older Firefox). */
  timestamp?: number;
  getMetadata(): { rtpTimestamp?: number };
}

interface WorkerScope {
  /** Tells the page a receiver's first frame passed through its guard (frame-worker.ts marks it). */
  postMessage(message: 'guarding'): void;
  onrtctransform: ((event: { transformer: { readable: ReadableStream<EncodedVideoFrame>; writable: WritableStream<EncodedVideoFrame> } }) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;

scope.onrtctransform = ({ transformer }) => {
  const guard = new StaleFrameGuard();
  let guarding = false;
  void transformer.readable
    .pipeThrough(
      new TransformStream<EncodedVideoFrame, EncodedVideoFrame>({
        transform(frame, controller) {
          if (!guarding) {
            guarding = true;
            scope.postMessage('guarding');
          }
          const timestamp = frame.getMetadata().rtpTimestamp ?? frame.timestamp;
          if (timestamp === undefined || guard.accept(timestamp, performance.now())) controller.enqueue(frame);
        },
      }),
    )
    .pipeTo(transformer.writable)
    // The receiver went away (the link closed): nothing left to guard.
    .catch(() => {});
};
