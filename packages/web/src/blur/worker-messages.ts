// What the page and the blur worker say to each other (inside one tab; nothing here goes over the network).

/**
 * How frames reach the worker. `streams`: Chromium hands over the camera's
 * frames and a sink for ours as streams (MediaStreamTrackProcessor and
 * MediaStreamTrackGenerator), so the main thread never touches a frame.
 * `bitmaps`: elsewhere the page grabs each frame from a video element and
 * draws what comes back into a canvas it captures.
 */
export type WorkerStart =
  | { type: 'start'; mode: 'streams'; files: SegmentationFiles; readable: ReadableStream<VideoFrame>; writable: WritableStream<VideoFrame> }
  | { type: 'start'; mode: 'bitmaps'; files: SegmentationFiles };

/** Where our server serves the segmentation runtime and model (copied from their npm packages by scripts/effect-files.mjs). */
export interface SegmentationFiles {
  /** The runtime's script (it defines createTwilioTFLiteSIMDModule) and its WebAssembly. */
  runtimeLoader: string;
  runtime: string;
  model: string;
}

export type ToWorker = WorkerStart | { type: 'frame'; bitmap: ImageBitmap } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  /** The processed picture, in `bitmaps` mode. */
  | { type: 'frame'; bitmap: ImageBitmap }
  /** Frames processed over the last second. */
  | { type: 'rate'; fps: number }
  | { type: 'failed'; reason: string };
