import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUDIO_LAG_LIMIT_MS, AUDIO_LAG_READINGS, AUDIO_RESTART_EVERY_MS, AudioLagWatch } from './audio-lag.ts';

const READING_MS = 250;
/** Samples played per reading at 48 kHz. */
const PLAYED = 48_000 * (READING_MS / 1000);

/** Feeds one reading per entry, each the mean delay (ms) of the samples played over it (null: nothing played); returns the times (ms) a restart was asked for. */
function run(meanDelaysMs: (number | null)[]): number[] {
  const watch = new AudioLagWatch();
  const counters = { jitterBufferDelay: 0, jitterBufferEmittedCount: 0 };
  const asked: number[] = [];
  for (const [i, delay] of meanDelaysMs.entries()) {
    if (delay !== null) {
      counters.jitterBufferDelay += (delay / 1000) * PLAYED;
      counters.jitterBufferEmittedCount += PLAYED;
    }
    if (watch.observe({ ...counters }, i * READING_MS)) asked.push(i * READING_MS);
  }
  return asked;
}

test('a voice played with an ordinary delay, or a passing spike, never restarts the receiver', () => {
  assert.deepEqual(run(Array.from({ length: 100 }, (_, i) => 40 + (i % 5) * 50)), []);
  // One long reading among short ones (fewer than AUDIO_LAG_READINGS in a row).
  const spikes = Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? 3 * AUDIO_LAG_LIMIT_MS : 60));
  assert.deepEqual(run(spikes), []);
});

test('a sender that sends nothing (muted or cut off) is not late', () => {
  assert.deepEqual(run([60, ...Array.from({ length: 40 }, () => null), 60, 60]), []);
});

test('a backlog released at once restarts the receiver after AUDIO_LAG_READINGS late readings, then not again within AUDIO_RESTART_EVERY_MS', () => {
  // A 3 s cut, then stale audio: each reading plays samples that waited longer, as after the bench's cut.
  const backlog = Array.from({ length: 12 }, (_, i) => 100 + i * 200);
  const late = Array.from({ length: 200 }, () => 2 * AUDIO_LAG_LIMIT_MS);
  const delays = [60, 60, ...backlog, ...late];
  const asked = run(delays);
  const firstLate = delays.findIndex((d) => d !== null && d > AUDIO_LAG_LIMIT_MS);
  const first = (firstLate + AUDIO_LAG_READINGS - 1) * READING_MS;
  assert.equal(asked[0], first, 'restarted at the second late reading in a row');
  // Still late afterwards (a network whose delay really is that high): again only every AUDIO_RESTART_EVERY_MS at most.
  for (let i = 1; i < asked.length; i++) assert.ok(asked[i]! - asked[i - 1]! >= AUDIO_RESTART_EVERY_MS, `restarts ${asked[i - 1]} and ${asked[i]} too close`);
  assert.ok(asked.length >= 2, 'a lasting lag is still acted on, at that pace');
});

test('counters that start over (the new receiver) are not read as a lag or as a negative delay', () => {
  const watch = new AudioLagWatch();
  assert.equal(watch.observe({ jitterBufferDelay: 100, jitterBufferEmittedCount: 48_000 }, 0), false);
  assert.equal(watch.observe({ jitterBufferDelay: 0.01, jitterBufferEmittedCount: 480 }, 250), false);
  assert.equal(watch.observe({ jitterBufferDelay: 0.02, jitterBufferEmittedCount: 960 }, 500), false);
});
