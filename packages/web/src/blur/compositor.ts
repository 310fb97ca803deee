// Runs inside the blur worker: the person kept sharp over their own background, blurred.
import { BACKGROUND_BLUR_PX, BACKGROUND_DOWNSCALE, BACKGROUND_DOWNSCALE_UNFILTERED } from './blur-limits.ts';

type Picture = ImageBitmap;

/** Draws frames with a blurred background on an OffscreenCanvas the size of the camera's frames. */
export class Compositor {
  readonly canvas = new OffscreenCanvas(1, 1);
  private readonly ctx: OffscreenCanvasRenderingContext2D;
  private readonly background = new OffscreenCanvas(1, 1);

  private readonly backgroundCtx: OffscreenCanvasRenderingContext2D;
  /**
   * Whether this canvas applies CSS filters (a worker's canvas in some
   * browsers ignores them). Without, the background is shrunk further
   * instead (BACKGROUND_DOWNSCALE_UNFILTERED), and scaling it back up with
   * smoothing is the blur.
   */
  private readonly filters: boolean;

  constructor() {
    // With an alpha channel: the mask is laid down as alpha first, then the frame drawn "source-in".
    const ctx = this.canvas.getContext('2d');
    const backgroundCtx = this.background.getContext('2d', { alpha: false });
    if (!ctx || !backgroundCtx) throw new Error('no 2D canvas in this worker');
    this.ctx = ctx;
    this.backgroundCtx = backgroundCtx;
    // Set and read back: a browser that knows the property but not the filter keeps 'none'.
    if ('filter' in backgroundCtx) backgroundCtx.filter = 'blur(1px)';
    this.filters = 'filter' in backgroundCtx && backgroundCtx.filter === 'blur(1px)';
    if (this.filters) backgroundCtx.filter = 'none';
  }

  /** Composes `frame` with `mask` (alpha = how sure the model is of "person") and leaves the result on `canvas`. */
  draw(frame: Picture, mask: OffscreenCanvas, width: number, height: number): void {
    this.resize(width, height);
    const { ctx, backgroundCtx, background } = this;
    // The background is blurred small: far fewer pixels to filter, and scaling up blurs it further.
    if (this.filters) backgroundCtx.filter = `blur(${BACKGROUND_BLUR_PX / BACKGROUND_DOWNSCALE}px)`;
    backgroundCtx.drawImage(frame, 0, 0, background.width, background.height);
    ctx.globalCompositeOperation = 'copy';
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(mask, 0, 0, width, height);
    // Only where the mask says "person" does the sharp frame land...
    ctx.globalCompositeOperation = 'source-in';
    ctx.drawImage(frame, 0, 0, width, height);
    // ...and the blurred background fills in behind it.
    ctx.globalCompositeOperation = 'destination-over';
    ctx.drawImage(background, 0, 0, width, height);
    ctx.globalCompositeOperation = 'source-over';
  }

  private resize(width: number, height: number): void {
    if (this.canvas.width === width && this.canvas.height === height) return;
    this.canvas.width = width;
    this.canvas.height = height;
    const downscale = this.filters ? BACKGROUND_DOWNSCALE : BACKGROUND_DOWNSCALE_UNFILTERED;
    this.background.width = Math.max(1, Math.round(width / downscale));
    this.background.height = Math.max(1, Math.round(height / downscale));
  }
}
