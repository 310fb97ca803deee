import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MEDIA_STALL_MS, MEDIA_WATCH_MS, MediaStallWatch } from './media-stall.ts';

function watch(bytes: () => number) {
  let now = 0;
  const seen: string[] = [];
  const w = new MediaStallWatch(
    async () => bytes(),
    { stalled: () => seen.push('stalled'), flowing: () => seen.push('flowing') },
    () => now,
  );
  w.start();
  const step = async (ms: number) => {
    now += ms;
    await w.read();
  };
  return { w, seen, step };
}

test('bytes that keep arriving are never a stall', async () => {
  let n = 0;
  const { w, seen, step } = watch(() => {
    n += 100;
    return n;
  });
  for (let i = 0; i < 20; i++) await step(MEDIA_WATCH_MS);
  assert.deepEqual(seen, []);
  w.stop();
});

test('bytes that stop for MEDIA_STALL_MS are a stall, reported once, and their return is reported', async () => {
  let n = 0;
  let moving = true;
  const { w, seen, step } = watch(() => {
    if (moving) n += 100;
    return n;
  });
  await step(MEDIA_WATCH_MS);
  moving = false;
  // The last bytes arrived at that reading: a stall is MEDIA_STALL_MS from it.
  await step(MEDIA_STALL_MS - 1);
  assert.deepEqual(seen, [], 'not before MEDIA_STALL_MS');
  await step(1);
  await step(MEDIA_WATCH_MS);
  assert.deepEqual(seen, ['stalled']);
  moving = true;
  await step(MEDIA_WATCH_MS);
  assert.deepEqual(seen, ['stalled', 'flowing']);
  w.stop();
});

test('a stopped watch reports nothing', async () => {
  const { w, seen, step } = watch(() => 0);
  w.stop();
  await step(10 * MEDIA_STALL_MS);
  assert.deepEqual(seen, []);
});
