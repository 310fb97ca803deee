import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SILENCE_MS, STALE_DROP_LIMIT_MS, STALE_FRAME_MS, StaleFrameGuard } from './stale-frames.ts';

const FRAME_MS = 33;
const TICKS_PER_MS = 90;

/** Feeds `frames` ([rtp time ms, arrival ms]) to a new guard; returns which passed. */
function run(frames: [rtpMs: number, arrivalMs: number][], start = 1_000_000): boolean[] {
  const guard = new StaleFrameGuard();
  return frames.map(([rtpMs, arrivalMs]) => guard.accept(((start + rtpMs) * TICKS_PER_MS) % 2 ** 32, arrivalMs));
}

/** `count` frames captured from `fromMs`, each arriving `delayMs` after its capture, plus `jitterMs(i)`. */
const frames = (fromMs: number, count: number, delayMs: number, jitterMs = (_i: number) => 0): [number, number][] =>
  Array.from({ length: count }, (_, i) => [fromMs + i * FRAME_MS, fromMs + i * FRAME_MS + delayMs + jitterMs(i)]);

test('frames that keep coming all pass, however much their delay jitters', () => {
  const jittery = frames(0, 600, 50, (i) => (i % 7) * 120);
  assert.ok(run(jittery).every(Boolean));
});

test('after a cut, the frames held across it are dropped and the fresh ones after them pass', () => {
  const before = frames(0, 90, 40);
  // Frames captured in the first second of a 3 s cut, delivered all at once when it ends (3 s on), then fresh ones.
  const restore = 3 * 30 * FRAME_MS + 3_000;
  const held: [number, number][] = Array.from({ length: 30 }, (_, i) => [90 * FRAME_MS + i * FRAME_MS, restore + i]);
  const fresh = frames(restore, 30, 40);
  const passed = run([...before, ...held, ...fresh]);
  assert.ok(passed.slice(0, 90).every(Boolean), 'before the cut');
  assert.ok(
    passed.slice(90, 120).every((p) => !p),
    'the held frames',
  );
  assert.ok(passed.slice(120).every(Boolean), 'the fresh frames');
});

test('held frames that come after fresh ones are dropped too', () => {
  const before = frames(0, 90, 40);
  const restore = 3 * 30 * FRAME_MS + 3_000;
  const fresh = frames(restore, 5, 40);
  // Frames from the first second of the cut, completed after the fresh ones had begun to pass.
  const held: [number, number][] = Array.from({ length: 10 }, (_, i) => [90 * FRAME_MS + i * FRAME_MS, restore + 5 * FRAME_MS + 40 + i]);
  const passed = run([...before, ...fresh, ...held, ...frames(restore + 15 * FRAME_MS, 30, 40)]);
  assert.ok(passed.slice(90, 95).every(Boolean), 'the first fresh frames');
  assert.ok(
    passed.slice(95, 105).every((p) => !p),
    'the held frames after them',
  );
  assert.ok(passed.slice(105).every(Boolean), 'the fresh frames after those');
});

test('after a fresh frame, newer frames pass even when late (deltas queued behind a slow key frame)', () => {
  const before = frames(0, 90, 40);
  // The sender resumes after a pause: its key frame arrives 460 ms over the usual delay, the deltas behind it 510 ms over.
  const resume = 10_000;
  const key: [number, number] = [resume, resume + 40 + 460];
  const deltas: [number, number][] = Array.from({ length: 9 }, (_, i) => [resume + (i + 1) * FRAME_MS, resume + (i + 1) * FRAME_MS + 40 + 510]);
  assert.ok(run([...before, key, ...deltas]).every(Boolean));
});

test('a pause in sending (nothing held) loses nothing', () => {
  assert.ok(run([...frames(0, 60, 40), ...frames(10_000, 60, 40)]).every(Boolean));
});

test("a delay that stays high after a silence is taken for the network's own after STALE_DROP_LIMIT_MS", () => {
  const later = STALE_FRAME_MS + 400;
  const passed = run([...frames(0, 60, 40), ...frames(5_000, 90, 40 + later)]);
  const dropped = passed.slice(60).findIndex(Boolean);
  assert.ok(dropped > 0, 'the first frames after the silence are dropped');
  assert.ok(dropped * FRAME_MS <= STALE_DROP_LIMIT_MS + FRAME_MS, `frames pass again after ${dropped * FRAME_MS} ms`);
  assert.ok(passed.slice(60 + dropped).every(Boolean), 'and from then on all pass');
});

test('a frame late by no more than STALE_FRAME_MS after a silence passes', () => {
  assert.ok(run([...frames(0, 60, 40), ...frames(5_000, 10, 40 + STALE_FRAME_MS - 50)]).every(Boolean));
});

test('the RTP timestamp wrapping round (every 13 hours) is not taken for a jump', () => {
  const nearWrap = 2 ** 32 / TICKS_PER_MS - 1_000;
  const crossing = frames(0, 90, 40);
  const guard = new StaleFrameGuard();
  const passed = crossing.map(([rtpMs, arrivalMs]) => guard.accept(Math.round((nearWrap + rtpMs) * TICKS_PER_MS) % 2 ** 32, arrivalMs));
  // And a silence just after the wrap: fresh frames still pass.
  const after = frames(5_000, 10, 40).map(([rtpMs, arrivalMs]) => guard.accept(Math.round((nearWrap + rtpMs) * TICKS_PER_MS) % 2 ** 32, arrivalMs));
  assert.ok([...passed, ...after].every(Boolean));
  assert.equal(guard.dropped, 0);
  assert.ok(SILENCE_MS < 5_000);
});
