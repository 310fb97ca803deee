// A camera for --use-file-for-fake-video-capture that shows a person: a
// head-and-shoulders figure (skin, hair, a face, a patterned shirt) swaying
// gently in front of a bookshelf full of fine detail. The segmentation model
// must find a person in it, and both the person and the background must hold
// enough high-frequency detail to tell "kept sharp" from "blurred".
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeY4mClip } from './fake-camera-file.ts';

export const PERSON_CAMERA_WIDTH = 640;
export const PERSON_CAMERA_HEIGHT = 360;
/** Two seconds, looped by Chromium. */
const CLIP_FRAMES = 60;
/** How far the figure sways left and right, in pixels. */
const SWAY_PX = 6;

/** Regions (in fractions of the frame) that stay background, and person, whatever the sway. */
export const BACKGROUND_REGION = { x0: 0.03, x1: 0.2, y0: 0.1, y1: 0.9 };
export const PERSON_REGION = { x0: 0.42, x1: 0.58, y0: 0.75, y1: 0.95 };

type Rgb = [number, number, number];

/** Inside an ellipse centred at (cx, cy) with radii rx, ry. */
const inEllipse = (x: number, y: number, cx: number, cy: number, rx: number, ry: number) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;

/** A bookshelf: books of many colours and widths with fine spine lines, shelves every 90 px, and a grain of noise. */
function background(x: number, y: number): Rgb {
  const shelf = Math.floor(y / 90);
  if (y % 90 < 6) return [90, 60, 35];
  const book = Math.floor((x + shelf * 37) / (9 + ((shelf * 7 + Math.floor(x / 23)) % 5)));
  const hue = (book * 73 + shelf * 41) % 360;
  const base: Rgb = [120 + ((hue * 3) % 120), 80 + ((hue * 7) % 140), 60 + ((hue * 11) % 160)];
  const spine = (x + shelf * 37) % 9 < 1 || (y + book * 5) % 17 < 2 ? 0.45 : 1;
  const grain = ((x * 1103515245 + y * 12345) >>> 16) % 40;
  return base.map((c) => Math.min(255, c * spine + grain)) as Rgb;
}

/** The figure at horizontal offset `dx`; undefined where the background shows. */
function person(x: number, y: number, dx: number): Rgb | undefined {
  const cx = 320 + dx;
  const skin: Rgb = [222, 170, 138];
  const shade = (c: Rgb, f: number): Rgb => c.map((v) => Math.round(v * f)) as Rgb;
  // Head with hair on top and at the sides.
  if (inEllipse(x, y, cx, 128, 56, 72)) {
    if (y < 96 || (y < 150 && Math.abs(x - cx) > 46)) return shade([70, 45, 30], 0.9 + ((x + y) % 5) * 0.04);
    if (inEllipse(x, y, cx - 20, 122, 9, 5)) return inEllipse(x, y, cx - 20, 122, 4, 4) ? [40, 30, 25] : [245, 245, 240];
    if (inEllipse(x, y, cx + 20, 122, 9, 5)) return inEllipse(x, y, cx + 20, 122, 4, 4) ? [40, 30, 25] : [245, 245, 240];
    if (Math.abs(y - 108) < 2 && Math.abs(Math.abs(x - cx) - 20) < 11) return [60, 40, 30];
    if (inEllipse(x, y, cx, 170, 16, 6)) return [170, 70, 70];
    if (Math.abs(x - cx) < 3 && y > 125 && y < 152) return shade(skin, 0.85);
    return shade(skin, 1 - Math.abs(x - cx) / 300);
  }
  // Ears.
  if (inEllipse(x, y, cx - 56, 132, 8, 14) || inEllipse(x, y, cx + 56, 132, 8, 14)) return shade(skin, 0.92);
  // Neck.
  if (Math.abs(x - cx) < 24 && y >= 190 && y < 232) return shade(skin, 0.88);
  // Shoulders and chest in a checked shirt, with a collar.
  if (y >= 220 && inEllipse(x, y, cx, 400, 175, 175)) {
    if (y < 250 && Math.abs(x - cx) < 30 + (y - 220)) return [235, 235, 230];
    const check = ((Math.floor((x - dx) / 6) + Math.floor(y / 6)) & 1) === 0;
    const line = (x - dx) % 12 < 2 || y % 12 < 2;
    return line ? [20, 40, 90] : check ? [60, 100, 180] : [110, 150, 220];
  }
  return undefined;
}

/** Writes (once) and returns the path of the clip. */
export function fakePersonCameraFile(): string {
  const width = PERSON_CAMERA_WIDTH;
  const height = PERSON_CAMERA_HEIGHT;
  const rgb = new Uint8Array(width * height * 3);
  return writeY4mClip(join(tmpdir(), `videoapp-fake-person-${width}x${height}.y4m`), width, height, CLIP_FRAMES, (frame, f) => {
    const dx = Math.round(SWAY_PX * Math.sin((2 * Math.PI * f) / CLIP_FRAMES));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const [r, g, b] = person(x, y, dx) ?? background(x, y);
        rgb.set([r, g, b], (y * width + x) * 3);
      }
    }
    // BT.601 full range (C420jpeg).
    for (let i = 0; i < width * height; i++) frame.y[i] = Math.round(0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!);
    for (let y = 0; y < height / 2; y++) {
      for (let x = 0; x < width / 2; x++) {
        const i = (y * 2 * width + x * 2) * 3;
        const [r, g, b] = [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
        frame.u[y * (width / 2) + x] = Math.max(0, Math.min(255, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)));
        frame.v[y * (width / 2) + x] = Math.max(0, Math.min(255, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)));
      }
    }
  });
}
