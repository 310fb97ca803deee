// Draws the app's PNG icons (the same picture as packages/web/public/icon.svg) with a tiny rasteriser and PNG writer,
// so the build needs no image tools. Used by build.mjs.
import { deflateSync } from 'node:zlib';

const BLUE = [0x1f, 0x6f, 0xeb];
const WHITE = [0xff, 0xff, 0xff];
/** Samples per pixel along each axis: 16 samples smooth the edges well enough at icon sizes. */
const SUPERSAMPLE = 4;

// The picture on icon.svg's 64-unit grid.
const insideRoundedRect = (x, y, left, top, width, height, radius) => {
  const dx = Math.max(left + radius - x, 0, x - (left + width - radius));
  const dy = Math.max(top + radius - y, 0, y - (top + height - radius));
  return x >= left && x <= left + width && y >= top && y <= top + height && dx * dx + dy * dy <= radius * radius;
};
const insideLens = (x, y) => x >= 42 && x <= 52 && y >= 28 - ((x - 42) * 6) / 10 && y <= 36 + ((x - 42) * 6) / 10;
const insideCamera = (x, y) => insideRoundedRect(x, y, 12, 20, 28, 24, 5) || insideLens(x, y);

/**
 * One icon as a PNG. `fullBleed` fills the whole square, for platforms that cut their own shape;
 * `glyphScale` below 1 shrinks the camera into the safe circle that maskable icons keep visible.
 */
function drawIcon(size, { fullBleed = false, glyphScale = 1 } = {}) {
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let background = 0;
      let glyph = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = ((px + (sx + 0.5) / SUPERSAMPLE) / size) * 64;
          const y = ((py + (sy + 0.5) / SUPERSAMPLE) / size) * 64;
          if (!fullBleed && !insideRoundedRect(x, y, 0, 0, 64, 64, 14)) continue;
          background++;
          if (insideCamera(32 + (x - 32) / glyphScale, 32 + (y - 32) / glyphScale)) glyph++;
        }
      }
      const samples = SUPERSAMPLE * SUPERSAMPLE;
      const offset = (py * size + px) * 4;
      const mix = background === 0 ? 0 : glyph / background;
      for (let c = 0; c < 3; c++) pixels[offset + c] = Math.round(BLUE[c] * (1 - mix) + WHITE[c] * mix);
      pixels[offset + 3] = Math.round((background / samples) * 255);
    }
  }
  return encodePng(size, size, pixels);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** RGBA, 8 bits per channel, no filtering: small enough for flat-colour icons. */
export function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** File name → PNG bytes, for every icon the manifest and index.html name. */
export function drawAppIcons() {
  return {
    'icon-192.png': drawIcon(192),
    'icon-512.png': drawIcon(512),
    'icon-maskable-512.png': drawIcon(512, { fullBleed: true, glyphScale: 0.72 }),
    // iOS rounds the corners itself and shows transparency as black, so its icon is full-bleed.
    'apple-touch-icon.png': drawIcon(180, { fullBleed: true }),
  };
}
