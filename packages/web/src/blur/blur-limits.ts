/** Below this many processed frames a second, blur turns the call into a slideshow. */
export const BLUR_MIN_FPS = 15;
/** Consecutive one-second readings below BLUR_MIN_FPS before the person is told their device cannot keep up. */
export const BLUR_SLOW_SECONDS = 3;
/** Readings skipped after start: the model's first frames are slow while its graph warms up. */
export const BLUR_WARMUP_SECONDS = 2;
/**
 * Width of the picture handed to the segmentation model. The model itself
 * works at 256×256, so a larger picture only costs an upload; the mask comes
 * back this size and is scaled up with smoothing, which softens its edge.
 */
export const SEGMENTATION_INPUT_WIDTH = 256;
/** Blur radius of the background, in pixels of the full-size frame. */
export const BACKGROUND_BLUR_PX = 14;
/**
 * The background is blurred at 1/this of the frame's size and scaled back
 * up: a quarter the pixels to filter, and the upscaling blurs further.
 */
export const BACKGROUND_DOWNSCALE = 4;
/** How long loading the model may take before blur gives up (it is about 6 MB from our own server). */
export const BLUR_START_TIMEOUT_MS = 30_000;
