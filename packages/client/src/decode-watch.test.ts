import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DECODE_STUCK_FRAMES, DECODE_STUCK_MS, DecodeWatch, KEY_FRAME_REQUEST_EVERY_MS } from './decode-watch.ts';

/** Feeds readings 100 ms apart; returns the times (ms) at which a key frame was asked for. */
function run(readings: [received: number, decoded: number][], watch = new DecodeWatch()): number[] {
  const asked: number[] = [];
  for (const [i, [framesReceived, framesDecoded]] of readings.entries()) if (watch.observe({ framesReceived, framesDecoded }, i * 100)) asked.push(i * 100);
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

test('frames arriving undecoded ask for a key frame once stuck long enough, then at most every KEY_FRAME_REQUEST_EVERY_MS', () => {
  // Decoding stops at 10 frames; frames keep arriving.
  const readings: [number, number][] = Array.from({ length: 40 }, (_, i) => [10 + i, 10]);
  const asked = run(readings);
  const firstStuck = Math.max(DECODE_STUCK_MS, DECODE_STUCK_FRAMES * 100);
  assert.equal(asked[0], Math.ceil(firstStuck / 100) * 100);
  for (let i = 1; i < asked.length; i++) assert.ok(asked[i]! - asked[i - 1]! >= KEY_FRAME_REQUEST_EVERY_MS);
  assert.equal(asked.length, Math.floor((3900 - asked[0]!) / KEY_FRAME_REQUEST_EVERY_MS) + 1);
});

test('after a long stall, the first undecodable frames ask at once; decoding again stops the asking', () => {
  // 2 s with nothing at all (a cut), then frames arrive that do not decode, then one decodes and all is well.
  const readings: [number, number][] = [
    ...Array.from({ length: 20 }, (): [number, number] => [10, 10]),
    [11, 10],
    [12, 10],
    [13, 10],
    [14, 10],
    ...Array.from({ length: 20 }, (_, i): [number, number] => [15 + i, 15 + i]),
  ];
  assert.deepEqual(run(readings), [2200]);
});

test('reset forgets the last request', () => {
  const watch = new DecodeWatch();
  assert.equal(watch.observe({ framesReceived: 0, framesDecoded: 0 }, 0), false);
  assert.equal(watch.observe({ framesReceived: 5, framesDecoded: 0 }, DECODE_STUCK_MS), true);
  assert.equal(watch.observe({ framesReceived: 9, framesDecoded: 0 }, DECODE_STUCK_MS + 1), false);
  watch.reset();
  assert.equal(watch.observe({ framesReceived: 9, framesDecoded: 0 }, DECODE_STUCK_MS + 2), false);
  assert.equal(watch.observe({ framesReceived: 12, framesDecoded: 0 }, 2 * DECODE_STUCK_MS + 2), true);
});
