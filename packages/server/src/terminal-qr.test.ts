// The QR code printed in the terminal reads back as the URL: each half-block character is turned back into two modules and decoded by jsQR.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import jsQR from 'jsqr';
import { terminalQr } from './terminal-qr.ts';

const PIXELS_PER_MODULE = 4;

test('the terminal QR code decodes to the LAN URL it was made from', () => {
  const url = 'https://192.168.1.23:8080';
  const lines = terminalQr(url).map((line) => line.replace(new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g'), ''));
  const width = [...lines[0]!].length;
  assert.ok(
    lines.every((l) => [...l].length === width),
    'ragged lines',
  );
  // Light is the foreground: the upper half of ▀ and █ is light, the lower half of ▄ and █ is light.
  const rows: boolean[][] = [];
  for (const line of lines) {
    const chars = [...line];
    rows.push(chars.map((c) => c === '█' || c === '▀'));
    rows.push(chars.map((c) => c === '█' || c === '▄'));
  }
  const side = width * PIXELS_PER_MODULE;
  const height = rows.length * PIXELS_PER_MODULE;
  const pixels = new Uint8ClampedArray(side * height * 4);
  for (const [y, row] of rows.entries()) {
    for (const [x, light] of row.entries()) {
      for (let py = 0; py < PIXELS_PER_MODULE; py++) {
        const start = ((y * PIXELS_PER_MODULE + py) * side + x * PIXELS_PER_MODULE) * 4;
        pixels.fill(light ? 255 : 0, start, start + PIXELS_PER_MODULE * 4);
      }
    }
  }
  assert.equal(jsQR(pixels, side, height)?.data, url);
  assert.ok(width <= 80, `wider than a terminal: ${width}`);
});
