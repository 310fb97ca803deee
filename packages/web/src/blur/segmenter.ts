// Runs inside the blur worker: person segmentation with MediaPipe's vision tasks, every file from our own server.
import { ImageSegmenter, type MPMask } from '@mediapipe/tasks-vision';
import { SEGMENTATION_FRAME_INTERVAL, SEGMENTATION_INPUT_HEIGHT, SEGMENTATION_INPUT_WIDTH } from './blur-limits.ts';
import type { SegmentationFiles } from './worker-messages.ts';

/**
 * Person segmentation: a small mask whose alpha is how sure the model is
 * that a pixel shows the person.
 *
 * The model runs on the CPU (XNNPACK, WebAssembly SIMD) rather than on
 * WebGL: a device without a GPU (or a browser that gives workers only a
 * software one) runs WebGL far slower than the CPU path, which takes about
 * 10 ms for the landscape model's 256×144 input on this project's machine.
 * WebGL is still used, only to hand the small input picture to the runtime.
 */
export class Segmenter {
  private readonly maskCanvas = new OffscreenCanvas(SEGMENTATION_INPUT_WIDTH, SEGMENTATION_INPUT_HEIGHT);
  private readonly maskCtx: OffscreenCanvasRenderingContext2D;
  private readonly maskPixels = new ImageData(SEGMENTATION_INPUT_WIDTH, SEGMENTATION_INPUT_HEIGHT);
  /** The runtime wants strictly increasing timestamps in video mode. */
  private lastTimestampMs = 0;
  private framesSinceSegmented = Number.POSITIVE_INFINITY;

  private constructor(private readonly model: ImageSegmenter) {
    const ctx = this.maskCanvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas in this worker');
    this.maskCtx = ctx;
  }

  static async load(files: SegmentationFiles): Promise<Segmenter> {
    const model = await ImageSegmenter.createFromOptions(
      { wasmLoaderPath: files.wasmLoader, wasmBinaryPath: files.wasm },
      {
        baseOptions: { modelAssetPath: files.model, delegate: 'CPU' },
        runningMode: 'VIDEO',
        outputConfidenceMasks: true,
        outputCategoryMask: false,
      },
    );
    return new Segmenter(model);
  }

  /**
   * The person's mask for `picture`, SEGMENTATION_INPUT_WIDTH × _HEIGHT (the
   * caller scales it up): computed on every SEGMENTATION_FRAME_INTERVAL-th
   * picture, the last one otherwise. Valid until the next call.
   */
  async mask(picture: ImageBitmap): Promise<OffscreenCanvas> {
    if (++this.framesSinceSegmented < SEGMENTATION_FRAME_INTERVAL) return this.maskCanvas;
    this.framesSinceSegmented = 0;
    const small = await createImageBitmap(picture, { resizeWidth: SEGMENTATION_INPUT_WIDTH, resizeHeight: SEGMENTATION_INPUT_HEIGHT, resizeQuality: 'low' });
    this.lastTimestampMs = Math.max(this.lastTimestampMs + 1, Math.round(performance.now()));
    try {
      this.model.segmentForVideo(small, this.lastTimestampMs, (result) => {
        const person = result.confidenceMasks?.[0];
        if (!person) throw new Error('the segmentation model returned no mask');
        this.paintAlpha(person);
      });
    } finally {
      small.close();
    }
    this.maskCtx.putImageData(this.maskPixels, 0, 0);
    return this.maskCanvas;
  }

  close(): void {
    this.model.close();
  }

  /** Confidence (0–1) becomes alpha (0–255); the colour channels stay 0, only alpha is used. */
  private paintAlpha(mask: MPMask): void {
    const confidence = mask.getAsFloat32Array();
    const pixels = this.maskPixels.data;
    for (let i = 0; i < confidence.length; i++) pixels[i * 4 + 3] = confidence[i]! * 255;
  }
}
