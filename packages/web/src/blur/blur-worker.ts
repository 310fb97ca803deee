// The blur worker (a classic worker: the segmentation runtime's script is loaded with importScripts). Segments each frame and draws it with the background blurred.
import { Compositor } from './compositor.ts';
import { Segmenter } from './segmenter.ts';
import type { FromWorker, ToWorker, WorkerStart } from './worker-messages.ts';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void;
  close(): void;
}
const scope = self as unknown as WorkerScope;

/** Counts processed frames and reports them once a second, for the page to judge whether blur keeps up. */
class RateCounter {
  private frames = 0;
  private readonly timer = setInterval(() => {
    scope.postMessage({ type: 'rate', fps: this.frames });
    this.frames = 0;
  }, 1000);

  count(): void {
    this.frames++;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

let running: { segmenter: Segmenter; rate: RateCounter; stopStreams?: AbortController; readySaid: boolean } | undefined;
let bitmapQueue: Promise<void> = Promise.resolve();

scope.addEventListener('message', ({ data }) => {
  switch (data.type) {
    case 'start': {
      const started = start(data).catch((error: unknown) => scope.postMessage({ type: 'failed', reason: error instanceof Error ? error.message : String(error) }));
      // In bitmaps mode start() ends once the model has loaded; frames sent meanwhile wait for it.
      bitmapQueue = started;
      return;
    }
    case 'frame':
      // One frame at a time; the page sends the next only once this one has come back.
      bitmapQueue = bitmapQueue.then(() => processBitmap(data.bitmap));
      return;
    case 'stop':
      running?.stopStreams?.abort();
      running?.rate.stop();
      running?.segmenter.close();
      running = undefined;
      return scope.close();
    default:
      data satisfies never;
  }
});

const compositor = new Compositor();

async function start(message: WorkerStart): Promise<void> {
  const segmenter = await Segmenter.load(message.files);
  running = { segmenter, rate: new RateCounter(), readySaid: false };
  if (message.mode === 'streams') {
    const stopStreams = new AbortController();
    running.stopStreams = stopStreams;
    await message.readable.pipeThrough(new TransformStream<VideoFrame, VideoFrame>({ transform: (frame, out) => processFrame(frame, out) })).pipeTo(message.writable, { signal: stopStreams.signal });
  }
}

async function processFrame(frame: VideoFrame, out: TransformStreamDefaultController<VideoFrame>): Promise<void> {
  try {
    const { displayWidth: width, displayHeight: height } = frame;
    const blurred = await blurPicture(frame, width, height);
    if (blurred) out.enqueue(new VideoFrame(compositor.canvas, { timestamp: frame.timestamp, alpha: 'discard' }));
  } finally {
    frame.close();
  }
}

async function processBitmap(bitmap: ImageBitmap): Promise<void> {
  try {
    if (!(await blurPicture(bitmap, bitmap.width, bitmap.height))) return;
    const result = compositor.canvas.transferToImageBitmap();
    scope.postMessage({ type: 'frame', bitmap: result }, [result]);
  } catch (error) {
    // The page waits for each frame to come back; tell it instead that none will.
    scope.postMessage({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
  } finally {
    bitmap.close();
  }
}

/** Draws `picture` blurred onto the compositor's canvas; false once stopped. */
async function blurPicture(picture: ImageBitmap | VideoFrame, width: number, height: number): Promise<boolean> {
  const current = running;
  if (!current) return false;
  // A camera frame (YUV) becomes RGB once, here: drawn as it is, each scaling and compositing would convert
  // it again, which took a 640×360 frame from about 20 ms to about 7 ms in all in a software-rendered worker.
  const rgb = picture instanceof ImageBitmap ? picture : await createImageBitmap(picture);
  try {
    compositor.draw(rgb, current.segmenter.mask(rgb), width, height);
  } finally {
    if (rgb !== picture) rgb.close();
  }
  current.rate.count();
  // Ready once the first frame is out, not when the model has loaded: its first frames are slow, and the
  // page switches what it sends only when there is something to send.
  if (!current.readySaid) {
    current.readySaid = true;
    scope.postMessage({ type: 'ready' });
  }
  return true;
}
