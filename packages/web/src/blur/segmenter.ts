// Runs inside the blur worker: person segmentation with a TensorFlow Lite runtime compiled to WebAssembly, every file from our own server.
import { SEGMENTATION_FRAME_INTERVAL, SEGMENTATION_INPUT_HEIGHT, SEGMENTATION_INPUT_WIDTH } from './blur-limits.ts';
import type { SegmentationFiles } from './worker-messages.ts';

declare function importScripts(...urls: string[]): void;

/**
 * The runtime's C interface (Twilio's build of TensorFlow Lite with XNNPACK and SIMD, as its
 * @twilio/video-processors package ships it): one model, one input tensor and one output tensor in
 * the module's memory.
 */
interface TfliteModule {
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  _getModelBufferMemoryOffset(): number;
  _loadModel(bytes: number): number;
  _getInputMemoryOffset(): number;
  _getInputWidth(): number;
  _getInputHeight(): number;
  _getOutputMemoryOffset(): number;
  _runInference(): number;
}
type TfliteFactory = (module: { locateFile: (file: string) => string }) => Promise<TfliteModule>;

/**
 * Person segmentation: a small mask whose alpha is how sure the model is
 * that a pixel shows the person.
 *
 * The model runs on the CPU (XNNPACK, WebAssembly SIMD), with no WebGL at
 * all: a device without a GPU, or a browser that refuses WebGL on a
 * software renderer or in a worker, runs it all the same; the landscape
 * model's 256×144 input is small enough for the CPU (blur kept a 640×360
 * camera at 22–29 fps in Chromium on this project's 2-core machine).
 */
export class Segmenter {
  private readonly canvas = new OffscreenCanvas(SEGMENTATION_INPUT_WIDTH, SEGMENTATION_INPUT_HEIGHT);
  private readonly ctx: OffscreenCanvasRenderingContext2D;
  private framesSinceSegmented = Number.POSITIVE_INFINITY;

  private constructor(private readonly tflite: TfliteModule) {
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas in this worker');
    this.ctx = ctx;
    if (tflite._getInputWidth() !== SEGMENTATION_INPUT_WIDTH || tflite._getInputHeight() !== SEGMENTATION_INPUT_HEIGHT) {
      throw new Error(`the segmentation model takes ${tflite._getInputWidth()}×${tflite._getInputHeight()} pictures`);
    }
  }

  static async load(files: SegmentationFiles): Promise<Segmenter> {
    importScripts(files.runtimeLoader);
    const create = (self as unknown as { createTwilioTFLiteSIMDModule?: TfliteFactory }).createTwilioTFLiteSIMDModule;
    if (!create) throw new Error('the segmentation runtime did not load');
    const [tflite, model] = await Promise.all([create({ locateFile: () => files.runtime }), fetch(files.model).then((response) => response.arrayBuffer())]);
    tflite.HEAPU8.set(new Uint8Array(model), tflite._getModelBufferMemoryOffset());
    tflite._loadModel(model.byteLength);
    return new Segmenter(tflite);
  }

  /**
   * The person's mask for `picture`, SEGMENTATION_INPUT_WIDTH × _HEIGHT (the
   * caller scales it up): computed on every SEGMENTATION_FRAME_INTERVAL-th
   * picture, the last one otherwise. Valid until the next call.
   */
  mask(picture: ImageBitmap): OffscreenCanvas {
    if (++this.framesSinceSegmented < SEGMENTATION_FRAME_INTERVAL) return this.canvas;
    this.framesSinceSegmented = 0;
    const { ctx, tflite } = this;
    ctx.globalCompositeOperation = 'copy';
    ctx.drawImage(picture, 0, 0, SEGMENTATION_INPUT_WIDTH, SEGMENTATION_INPUT_HEIGHT);
    const image = ctx.getImageData(0, 0, SEGMENTATION_INPUT_WIDTH, SEGMENTATION_INPUT_HEIGHT);
    const pixels = image.data;
    const count = SEGMENTATION_INPUT_WIDTH * SEGMENTATION_INPUT_HEIGHT;
    // The model takes RGB as floats in 0–1, and gives one float per pixel: how sure it is of "person".
    const input = tflite._getInputMemoryOffset() / 4;
    for (let i = 0; i < count; i++) {
      tflite.HEAPF32[input + i * 3] = pixels[i * 4]! / 255;
      tflite.HEAPF32[input + i * 3 + 1] = pixels[i * 4 + 1]! / 255;
      tflite.HEAPF32[input + i * 3 + 2] = pixels[i * 4 + 2]! / 255;
    }
    tflite._runInference();
    const output = tflite._getOutputMemoryOffset() / 4;
    for (let i = 0; i < count; i++) pixels[i * 4 + 3] = tflite.HEAPF32[output + i]! * 255;
    ctx.putImageData(image, 0, 0);
    return this.canvas;
  }

  close(): void {
    // The module's memory goes with the worker, which closes after this.
  }
}
