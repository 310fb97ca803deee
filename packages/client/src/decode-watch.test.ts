import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DECODE_STUCK_FRAMES, DECODE_STUCK_MS, DECODE_STUCK_PACKETS_MS, DecodeWatch, KEY_FRAME_REQUEST_EVERY_MS, MAX_KEY_FRAME_REQUESTS } from './decode-watch.ts';

const READING_MS = 100;
/** The first reading at which frames undecoded since `start` (one more each reading) count as stuck. */
const stuckReading = (start: number) => start + Math.ceil(Math.max(DECODE_STUCK_MS, (DECODE_STUCK_FRAMES - 1) * READING_MS) / READING_MS) * READING_MS;

/**
 * Feeds readings READING_MS apart; returns the times (ms) at which a key frame was asked for. Packets
 * arrive with the frames (three each) unless a reading gives its own count.
 */
function run(readings: [received: number | undefined, decoded: number, packets?: number][]): number[] {
  const watch = new DecodeWatch();
  const asked: number[] = [];
  for (const [i, [framesReceived, framesDecoded, packetsReceived]] of readings.entries()) {
    if (watch.observe({ framesReceived, packetsReceived: packetsReceived ?? 3 * (framesReceived ?? 0), framesDecoded }, i * READING_MS)) asked.push(i * READING_MS);
  }
  return asked;
}

test('frames that arrive and are decoded never ask for a key frame, however slowly they come', () => {
  assert.deepEqual(run(Array.from({ length: 50 }, (_, i) => [i * 3, i * 3])), []);
  // A slow decoder: a frame decoded every 200 ms while three arrive.
  assert.deepEqual(run(Array.from({ length: 50 }, (_, i) => [i * 3, Math.floor(i / 2) * 3])), []);
});

test('a sender that sends nothing (paused, or cut off) is not stuck', () => {
  assert.deepEqual(run(Array.from({ length: 50 }, () => [10, 10])), []);
});

test('frames arriving undecoded ask for a key frame after DECODE_STUCK_MS, then every KEY_FRAME_REQUEST_EVERY_MS, at most MAX_KEY_FRAME_REQUESTS times', () => {
  // Decoding stops at 10 frames (reading 0); from reading 1 a frame arrives per reading, none decoded.
  const asked = run(Array.from({ length: 100 }, (_, i) => [10 + i, 10]));
  const first = stuckReading(READING_MS);
  assert.deepEqual(
    asked,
    Array.from({ length: MAX_KEY_FRAME_REQUESTS }, (_, i) => first + i * KEY_FRAME_REQUEST_EVERY_MS),
  );
});

test('after a long stall the wait starts when undecoded frames start arriving, and decoding again starts the count over', () => {
  // 2 s with nothing at all (a cut), then frames that do not decode, then decoding, then stuck again.
  const readings: [number, number][] = [
    ...Array.from({ length: 20 }, (): [number, number] => [10, 10]),
    ...Array.from({ length: 5 }, (_, i): [number, number] => [11 + i, 10]),
    ...Array.from({ length: 10 }, (_, i): [number, number] => [16 + i, 16 + i]),
    ...Array.from({ length: 5 }, (_, i): [number, number] => [26 + i, 25]),
  ];
  assert.deepEqual(run(readings), [stuckReading(2000), stuckReading(3500)]);
});

test('packets arriving with no frame decoded (frames never complete) ask for a key frame after DECODE_STUCK_PACKETS_MS', () => {
  // Decoding stops at 10 frames; packets keep coming (10 a reading) but no frame is counted received or decoded.
  const asked = run(Array.from({ length: 30 }, (_, i) => [10, 10, 30 + 10 * i]));
  assert.deepEqual(asked, [READING_MS + DECODE_STUCK_PACKETS_MS, READING_MS + DECODE_STUCK_PACKETS_MS + KEY_FRAME_REQUEST_EVERY_MS]);
  // A browser that does not count received frames (Firefox) is watched the same way.
  assert.deepEqual(run(Array.from({ length: 15 }, (_, i) => [undefined, 10, 30 + 10 * i])), [READING_MS + DECODE_STUCK_PACKETS_MS]);
});

test('the first key frame of a stream, however long its packets take, is not asked for again', () => {
  assert.deepEqual(run(Array.from({ length: 30 }, (_, i) => [0, 0, 10 * i])), []);
});

test('a few packets and then nothing (a cut) ask for nothing, and packets that come back undecoded still can', () => {
  // Decoding stops at 10 frames; two packets of an unfinished frame arrive, then nothing for 5 s; then packets again, undecoded.
  const cut: [number, number, number][] = Array.from({ length: 50 }, (): [number, number, number] => [10, 10, 32]);
  const back: [number, number, number][] = Array.from({ length: 15 }, (_, i): [number, number, number] => [10, 10, 40 + 10 * i]);
  const asked = run([[10, 10, 30], ...cut, ...back]);
  assert.deepEqual(asked, [(1 + cut.length) * READING_MS + DECODE_STUCK_PACKETS_MS]);
});
