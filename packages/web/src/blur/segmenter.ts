// Runs inside the blur worker: MediaPipe's selfie segmentation, loaded from our own server.
import { SEGMENTATION_INPUT_WIDTH } from './blur-limits.ts';

declare function importScripts(...urls: string[]): void;

/** The part of @mediapipe/selfie_segmentation's API we use (its own typings only allow DOM elements as input, but a worker hands it ImageBitmaps, which it accepts). */
interface SelfieSegmentation {
  setOptions(options: { modelSelection: number; selfieMode: boolean }): void;
  onResults(listener: (results: { segmentationMask: ImageBitmap }) => void): void;
  initialize(): Promise<void>;
  send(inputs: { image: ImageBitmap }): Promise<void>;
  close(): Promise<void>;
}

/**
 * `modelSelection` 0 is the square general model (256×256); 1, the landscape model made for calls, found
 * only patches of the person in our worker path (tried on the test's figure), while 0 finds the figure.
 */
const GENERAL_MODEL = 0;

/** Person segmentation: a mask whose alpha is how sure the model is that a pixel shows the person. */
export class Segmenter {
  private latest: ImageBitmap | undefined;

  private constructor(private readonly model: SelfieSegmentation) {
    model.onResults((results) => {
      this.latest = results.segmentationMask;
    });
  }

  /** `assetsPath`: where our server serves the package's files (script, wasm, model, graph). */
  static async load(assetsPath: string): Promise<Segmenter> {
    importScripts(`${assetsPath}selfie_segmentation.js`);
    // In a worker the package passes its model file to importScripts along with its scripts, which fails on a
    // .tflite; it fetches the model separately anyway, so only scripts are let through.
    const scope = self as unknown as { importScripts: typeof importScripts };
    const importAll = scope.importScripts.bind(scope);
    scope.importScripts = (...urls: string[]) => importAll(...urls.filter((url) => url.endsWith('.js')));
    // ...and its WebAssembly runtime takes its settings from a global `Module` there: where to find the .wasm.
    (self as unknown as { Module: { locateFile: (file: string) => string } }).Module = { locateFile: (file) => `${assetsPath}${file}` };
    // Its worker path makes its WebGL canvas opaque, which throws away the mask (the model's confidence is its
    // alpha, as on the page path). Keep alpha on the contexts it makes.
    const getContext = OffscreenCanvas.prototype.getContext as (this: OffscreenCanvas, type: string, attributes?: object) => unknown;
    OffscreenCanvas.prototype.getContext = function (this: OffscreenCanvas, type: string, attributes?: object) {
      return getContext.call(this, type, type.startsWith('webgl') ? { ...attributes, alpha: true, premultipliedAlpha: false } : attributes);
    } as typeof OffscreenCanvas.prototype.getContext;
    const Model = (self as unknown as { SelfieSegmentation: new (config: { locateFile: (file: string) => string }) => SelfieSegmentation }).SelfieSegmentation;
    const model = new Model({ locateFile: (file) => `${assetsPath}${file}` });
    model.setOptions({ modelSelection: GENERAL_MODEL, selfieMode: false });
    await model.initialize();
    // The package's worker path also forgets to keep the WebGL context it made (its page path keeps it as
    // `K` on its inner solution `h`), so sending the first frame would fail. Give it the same context, as
    // the page path would. These are the names in the exact version package.json pins.
    const inner = (model as unknown as { h?: { K?: unknown; m?: OffscreenCanvas } }).h;
    if (!inner?.m) throw new Error('unexpected build of @mediapipe/selfie_segmentation');
    inner.K ??= inner.m.getContext('webgl2') ?? inner.m.getContext('webgl');
    return new Segmenter(model);
  }

  /** The person's mask for `picture` (any size; it is scaled to the model's input first). */
  async mask(picture: ImageBitmap | VideoFrame, width: number, height: number): Promise<ImageBitmap> {
    const small = await createImageBitmap(picture, { resizeWidth: SEGMENTATION_INPUT_WIDTH, resizeHeight: Math.max(1, Math.round((SEGMENTATION_INPUT_WIDTH * height) / width)), resizeQuality: 'low' });
    this.latest = undefined;
    try {
      await this.model.send({ image: small });
    } finally {
      small.close();
    }
    if (!this.latest) throw new Error('the segmentation model returned no mask');
    return this.latest;
  }

  close(): Promise<void> {
    return this.model.close();
  }
}
