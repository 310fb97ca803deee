// A camera for Chromium's --use-file-for-fake-video-capture: a short Y4M clip
// of a moving pattern at a chosen size. The built-in fake camera delivers the
// 1280×720 the app asks for; a smaller clip keeps rooms of several Chromium
// pages within what two cores can encode while still sending real video.
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Frames in the clip (Chromium loops it), at FAKE_CAMERA_FPS: two seconds. */
const CLIP_FRAMES = 60;
export const FAKE_CAMERA_FPS = 30;

/** One frame of a 4:2:0 clip to fill: full-size luma, and the two chroma planes at half size each way. */
export interface Y4mFrame {
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
}

/** Writes (once: an existing file is kept) a Y4M clip of `frames` frames at FAKE_CAMERA_FPS to `path`, each filled by `draw`; returns `path`. */
export function writeY4mClip(path: string, width: number, height: number, frames: number, draw: (frame: Y4mFrame, index: number) => void): string {
  if (existsSync(path)) return path;
  const luma = width * height;
  const chroma = (width / 2) * (height / 2);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${FAKE_CAMERA_FPS}:1 Ip A1:1 C420jpeg\n`);
  const frameMark = Buffer.from('FRAME\n');
  const frameBytes = frameMark.length + luma + 2 * chroma;
  const clip = Buffer.alloc(header.length + frames * frameBytes);
  header.copy(clip, 0);
  for (let f = 0; f < frames; f++) {
    const at = header.length + f * frameBytes;
    frameMark.copy(clip, at);
    const y = at + frameMark.length;
    draw({ y: clip.subarray(y, y + luma), u: clip.subarray(y + luma, y + luma + chroma), v: clip.subarray(y + luma + chroma, y + luma + 2 * chroma) }, f);
  }
  writeFileSync(path, clip);
  return path;
}

/** Writes (once per size) and returns the path of a Y4M clip `width` × `height`, each frame visibly different from the last. */
export function fakeCameraFile(width: number, height: number): string {
  return writeY4mClip(join(tmpdir(), `videoapp-fake-camera-${width}x${height}.y4m`), width, height, CLIP_FRAMES, (frame, f) => {
    // A diagonal gradient sliding by a few pixels a frame, with a bar moving across: an encoder has real work.
    const bar = Math.floor((f / CLIP_FRAMES) * width);
    for (let row = 0; row < height; row++) {
      for (let col = 0; col < width; col++) frame.y[row * width + col] = Math.abs(col - bar) < width / 20 ? 235 : (col + row + f * 4) & 0xff;
    }
    frame.u.fill(128);
    frame.v.fill(96 + f);
  });
}
