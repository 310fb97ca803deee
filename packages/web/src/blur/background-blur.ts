// Loaded lazily (see blur-setting.ts): starts and stops the blur worker for one camera track.
import { BLUR_START_TIMEOUT_MS } from './blur-limits.ts';
import { type BlurPace, FrameRateWatch } from './frame-rate-watch.ts';
import type { FromWorker, SegmentationFiles, ToWorker } from './worker-messages.ts';

/** Set by the build (scripts/build.mjs): the worker's hashed URL, and where the segmentation runtime and model are served. */
declare const BLUR_WORKER_URL: string;
declare const EFFECT_FILES: { tfliteLoader: string; tfliteWasm: string; selfieSegmentationModel: string };

/** Chromium's breakout-box API, not yet in TypeScript's DOM library. */
declare const MediaStreamTrackProcessor: (new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => { readable: ReadableStream<VideoFrame> }) | undefined;
declare const MediaStreamTrackGenerator: (new (init: { kind: 'video' }) => MediaStreamTrack & { writable: WritableStream<VideoFrame> }) | undefined;

/** A camera track with its background blurred: send `track` in place of the camera's own. */
export interface BlurredCamera {
  readonly track: MediaStreamTrack;
  /** The camera track it is made from. */
  readonly source: MediaStreamTrack;
  readonly pace: BlurPace;
  /** Stops the worker and the blurred track; the camera track itself stays with its owner. */
  stop(): void;
}

export type BlurStart = { ok: true; camera: BlurredCamera } | { ok: false; reason: string };

export interface BackgroundBlurModule {
  startBackgroundBlur: typeof startBackgroundBlur;
}

const segmentationFiles = (): SegmentationFiles => ({ runtimeLoader: EFFECT_FILES.tfliteLoader, runtime: EFFECT_FILES.tfliteWasm, model: EFFECT_FILES.selfieSegmentationModel });

/** The output's frames are at most this many a second in the canvas path (the camera's own rate, normally 30). */
const CANVAS_CAPTURE_FPS = 30;
/** Frames the processor may hold while the worker is busy; older ones are dropped rather than delayed. */
const PROCESSOR_BUFFER_FRAMES = 1;

/**
 * Blurs the background of `source` in a worker. In Chromium the frames go to
 * the worker and back as streams, never touching the main thread; elsewhere a
 * hidden video element feeds the worker bitmaps and a canvas's captureStream
 * carries the result. `onPace` hears whether the device keeps up.
 */
export async function startBackgroundBlur(source: MediaStreamTrack, onPace: (pace: BlurPace) => void): Promise<BlurStart> {
  if (typeof OffscreenCanvas === 'undefined' || typeof Worker === 'undefined') return { ok: false, reason: 'unsupported' };
  const worker = new Worker(BLUR_WORKER_URL, { name: 'background-blur' });
  const watch = new FrameRateWatch(onPace);
  const pipeline = typeof MediaStreamTrackProcessor === 'function' && typeof MediaStreamTrackGenerator === 'function' ? streamPipeline(source, worker) : canvasPipeline(source, worker);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    post(worker, { type: 'stop' });
    // The worker closes itself after stopping; terminate in case it is stuck in the model.
    setTimeout(() => worker.terminate(), 1000);
    pipeline.stop();
  };
  const ready = new Promise<BlurStart>((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), BLUR_START_TIMEOUT_MS);
    worker.addEventListener('error', (event) => resolve({ ok: false, reason: event.message || 'worker error' }));
    worker.addEventListener('message', ({ data }: MessageEvent<FromWorker>) => {
      switch (data.type) {
        case 'ready':
          clearTimeout(timer);
          pipeline.ready?.();
          return resolve({
            ok: true,
            camera: {
              track: pipeline.track,
              source,
              stop,
              get pace() {
                return watch.current;
              },
            },
          });
        case 'rate':
          return watch.reading(data.fps);
        case 'frame':
          return pipeline.show?.(data.bitmap);
        case 'failed':
          clearTimeout(timer);
          console.warn(`background blur stopped: ${data.reason}`);
          resolve({ ok: false, reason: data.reason });
          // A failure mid-call: the person hears it as "cannot keep up", and may turn blur off.
          return onPace({ kind: 'too-slow', fps: 0 });
        default:
          data satisfies never;
      }
    });
  });
  pipeline.begin();
  const outcome = await ready;
  if (!outcome.ok) stop();
  return outcome;
}

interface Pipeline {
  readonly track: MediaStreamTrack;
  begin(): void;
  /** The model has loaded. */
  ready?(): void;
  /** Canvas path: draws a processed picture. */
  show?(bitmap: ImageBitmap): void;
  stop(): void;
}

function post(worker: Worker, message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

/** Chromium: the camera's frames stream into the worker and blurred frames stream out, all off the main thread. */
function streamPipeline(source: MediaStreamTrack, worker: Worker): Pipeline {
  const processor = new MediaStreamTrackProcessor!({ track: source, maxBufferSize: PROCESSOR_BUFFER_FRAMES });
  const generator = new MediaStreamTrackGenerator!({ kind: 'video' });
  return {
    track: generator,
    begin: () => {
      const { readable } = processor;
      const { writable } = generator;
      post(worker, { type: 'start', mode: 'streams', files: segmentationFiles(), readable, writable }, [readable as unknown as Transferable, writable as unknown as Transferable]);
    },
    stop: () => generator.stop(),
  };
}

/**
 * Elsewhere (Firefox): a hidden video element plays the camera; each frame
 * goes to the worker as a bitmap, and the next is taken only when the last
 * has come back, so a slow device drops frames instead of queueing them.
 */
function canvasPipeline(source: MediaStreamTrack, worker: Worker): Pipeline {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([source]);
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  const track = canvas.captureStream(CANVAS_CAPTURE_FPS).getVideoTracks()[0]!;
  let stopped = false;
  let lastFrameTime = -1;

  const sendNext = async () => {
    while (!stopped && (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.currentTime === lastFrameTime)) await nextVideoFrame(video);
    if (stopped) return;
    lastFrameTime = video.currentTime;
    const bitmap = await createImageBitmap(video);
    if (stopped) return bitmap.close();
    post(worker, { type: 'frame', bitmap }, [bitmap]);
  };
  return {
    track,
    begin: () => {
      post(worker, { type: 'start', mode: 'bitmaps', files: segmentationFiles() });
      void video.play().catch(() => {});
      void sendNext();
    },
    // The worker says "ready" after its first frame, so the first one goes as soon as it is started.
    ready: () => {},
    show: (bitmap) => {
      if (!stopped && ctx) {
        if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) Object.assign(canvas, { width: bitmap.width, height: bitmap.height });
        ctx.drawImage(bitmap, 0, 0);
      }
      bitmap.close();
      void sendNext();
    },
    stop: () => {
      stopped = true;
      track.stop();
      video.srcObject = null;
    },
  };
}

/** Resolves at the video's next frame, or after about a frame's time, whichever comes first. */
function nextVideoFrame(video: HTMLVideoElement): Promise<void> {
  return new Promise((resolve) => {
    const withCallback = video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    withCallback.requestVideoFrameCallback?.(() => resolve());
    // Also a timer: some browsers call back only for a video that is on screen.
    setTimeout(resolve, 1000 / CANVAS_CAPTURE_FPS);
  });
}
