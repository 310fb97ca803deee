import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLUR_MIN_FPS, BLUR_SLOW_SECONDS, BLUR_WARMUP_SECONDS } from './blur-limits.ts';
import { type BlurPace, FrameRateWatch } from './frame-rate-watch.ts';

function feed(readings: number[]): BlurPace[] {
  const seen: BlurPace[] = [];
  const watch = new FrameRateWatch((pace) => seen.push(pace));
  for (const fps of readings) watch.reading(fps);
  return seen;
}

const warmup = Array<number>(BLUR_WARMUP_SECONDS).fill(0);

test('slow readings during warm-up are not held against the device', () => {
  assert.deepEqual(feed([...warmup, 30]), [{ kind: 'keeping-up', fps: 30 }]);
});

test(`too slow only after ${BLUR_SLOW_SECONDS} readings in a row below ${BLUR_MIN_FPS} fps`, () => {
  const slow = BLUR_MIN_FPS - 1;
  const almost = [...warmup, 30, ...Array<number>(BLUR_SLOW_SECONDS - 1).fill(slow), 30];
  assert.deepEqual(feed(almost), [{ kind: 'keeping-up', fps: 30 }]);
  const enough = [...warmup, 30, ...Array<number>(BLUR_SLOW_SECONDS).fill(slow)];
  assert.deepEqual(feed(enough).at(-1), { kind: 'too-slow', fps: slow });
});

test('keeping up again at the first good reading', () => {
  const seen = feed([...warmup, ...Array<number>(BLUR_SLOW_SECONDS).fill(5), 25]);
  assert.deepEqual(seen, [
    { kind: 'too-slow', fps: 5 },
    { kind: 'keeping-up', fps: 25 },
  ]);
});
