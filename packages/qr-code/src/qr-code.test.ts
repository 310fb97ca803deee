// Every symbol we encode is read back by an independent decoder (jsQR), at the edge of each version's capacity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import jsQR from 'jsqr';
import { blockLayout, type ErrorCorrectionLevel, MAX_VERSION } from './capacity.ts';
import { encodeQr, type QrCode, QrTooLongError, QUIET_ZONE_MODULES } from './qr-code.ts';
import { qrSideWithQuietZone, qrSvgPath } from './svg-path.ts';

const PIXELS_PER_MODULE = 3;

/** Draws the symbol with its quiet zone as RGBA pixels, as a camera would see a screen. */
function toImage(code: QrCode): { data: Uint8ClampedArray; side: number } {
  const side = (code.size + 2 * QUIET_ZONE_MODULES) * PIXELS_PER_MODULE;
  const data = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let y = 0; y < code.size; y++) {
    for (let x = 0; x < code.size; x++) {
      if (!code.dark[y]![x]) continue;
      for (let py = 0; py < PIXELS_PER_MODULE; py++) {
        for (let px = 0; px < PIXELS_PER_MODULE; px++) {
          const offset = (((y + QUIET_ZONE_MODULES) * PIXELS_PER_MODULE + py) * side + (x + QUIET_ZONE_MODULES) * PIXELS_PER_MODULE + px) * 4;
          data.fill(0, offset, offset + 3);
        }
      }
    }
  }
  return { data, side };
}

function decode(code: QrCode): number[] | undefined {
  const { data, side } = toImage(code);
  return jsQR(data, side, side, { inversionAttempts: 'dontInvert' })?.binaryData;
}

const bytesOf = (text: string) => [...Buffer.from(text, 'utf8')];
/** Most bytes a version holds in byte mode. */
const capacity = (version: number, level: ErrorCorrectionLevel) => Math.floor((blockLayout(version, level).dataCodewords * 8 - 4 - (version <= 9 ? 8 : 16)) / 8);
const filler = (length: number, seed: number) => Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 7 + seed) % 90))).join('');

test('a room link encodes in a small symbol that reads back exactly', () => {
  const link = 'https://192.168.1.23:8443/r/abcd-efgh-ijkl-mnop';
  const code = encodeQr(link);
  assert.ok(code.version <= 4, `version ${code.version}`);
  assert.deepEqual(decode(code), bytesOf(link));
});

test('text outside ASCII travels as UTF-8', () => {
  const text = 'Zoë — 通話 🎥';
  assert.deepEqual(decode(encodeQr(text)), bytesOf(text));
});

for (const level of ['L', 'M', 'Q', 'H'] as const) {
  test(`level ${level}: text filling each version exactly is read back, and one more byte moves up a version`, () => {
    let decoded = 0;
    for (let version = 1; version <= MAX_VERSION; version++) {
      // Every version at M (the level we use); a spread of versions at the others keeps the run short.
      if (level !== 'M' && version % 4 !== 1 && version !== MAX_VERSION) continue;
      const text = filler(capacity(version, level), version);
      const code = encodeQr(text, level);
      assert.equal(code.version, version, `${text.length} bytes at ${level}`);
      assert.equal(code.size, version * 4 + 17);
      assert.deepEqual(decode(code), bytesOf(text), `version ${version} level ${level} did not read back`);
      decoded++;
      if (version < MAX_VERSION) assert.equal(encodeQr(`${text}x`, level).version, version + 1);
    }
    console.log(`level ${level}: ${decoded} versions decoded by jsQR`);
  });
}

test('text too long for version 40 is refused with a typed error', () => {
  assert.throws(() => encodeQr(filler(capacity(MAX_VERSION, 'H') + 1, 0), 'H'), QrTooLongError);
});

test('the SVG path covers exactly the dark modules', () => {
  const code = encodeQr('https://localhost:8080/r/x');
  const path = qrSvgPath(code);
  let area = 0;
  for (const m of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    const [x, y, w] = [Number(m[1]) - QUIET_ZONE_MODULES, Number(m[2]) - QUIET_ZONE_MODULES, Number(m[3])];
    for (let i = 0; i < w; i++) assert.ok(code.dark[y]![x + i], `(${x + i},${y}) drawn but light`);
    area += w;
  }
  assert.equal(area, code.dark.flat().filter(Boolean).length);
  assert.equal(qrSideWithQuietZone(code), code.size + 8);
});
