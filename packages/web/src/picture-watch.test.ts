import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CAMERA_SILENT_MS, SilenceJudge } from './picture-watch.ts';

/** Feeds readings a second apart: [frames shown so far, frames expected]. */
function verdicts(readings: [number, boolean][]): boolean[] {
  const judge = new SilenceJudge();
  return readings.map(([frames, expected], i) => judge.observe({ frames, expected, now: i * 1_000 }));
}

test('a live camera that never shows a frame is silent once CAMERA_SILENT_MS have passed, and not before', () => {
  const seconds = CAMERA_SILENT_MS / 1_000;
  const result = verdicts(Array.from({ length: seconds + 2 }, () => [0, true]));
  assert.deepEqual(result, [...Array(seconds).fill(false), true, true]);
});

test('a camera whose frames stop is silent after the same wait; its first new frame ends it', () => {
  assert.deepEqual(
    verdicts([
      [10, true],
      [40, true],
      [40, true],
      [40, true],
      [40, true],
      [40, true],
      [41, true],
      [70, true],
    ]),
    [false, false, false, false, false, true, false, false],
  );
});

test('while frames are not expected (camera off, page hidden) nothing is judged, and the wait starts over', () => {
  assert.deepEqual(
    verdicts([
      [5, true],
      [5, true],
      [5, false],
      [5, false],
      [5, false],
      [5, false],
      [5, true],
      [5, true],
      [5, true],
      [5, true],
    ]),
    [false, false, false, false, false, false, false, false, false, true],
  );
  // Silent, then the camera is turned off: no longer silent.
  assert.deepEqual(
    verdicts([
      [0, true],
      [0, true],
      [0, true],
      [0, true],
      [0, false],
    ]).slice(-2),
    [true, false],
  );
});
