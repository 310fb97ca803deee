/** Below this many processed frames a second, blur turns the call into a slideshow. */
export const BLUR_MIN_FPS = 15;
/** Consecutive one-second readings below BLUR_MIN_FPS before the person is told their device cannot keep up. */
export const BLUR_SLOW_SECONDS = 3;
/** Readings skipped after start: the model's first frames are slow while its graph warms up. */
export const BLUR_WARMUP_SECONDS = 2;
/**
 * Size of the picture handed to the segmentation model: the landscape
 * model's own input, so the runtime has nothing to resize. The mask comes
 * back this size and is scaled up with smoothing, which softens its edge.
 * A camera of another shape is only stretched, there and back.
 */
export const SEGMENTATION_INPUT_WIDTH = 256;
export const SEGMENTATION_INPUT_HEIGHT = 144;
/**
 * The model runs on every this-many camera frames; the frames between reuse
 * its last mask. A person moves little in a 30th of a second, and it halves
 * the heaviest step of each frame.
 */
export const SEGMENTATION_FRAME_INTERVAL = 2;
/** Blur radius of the background, in pixels of the full-size frame. */
export const BACKGROUND_BLUR_PX = 14;
/**
 * The background is blurred at 1/this of the frame's size and scaled back
 * up: a quarter the pixels to filter, and the upscaling blurs further.
 */
export const BACKGROUND_DOWNSCALE = 4;
/** Where a canvas cannot filter: shrunk this much and scaled back up with smoothing, which blurs by itself. */
export const BACKGROUND_DOWNSCALE_UNFILTERED = 16;
/** How long loading the runtime and model may take before blur gives up (about 3 MB from our own server, once; then cached). */
export const BLUR_START_TIMEOUT_MS = 30_000;
