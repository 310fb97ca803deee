import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkCounters, MEDIA_RESUME_WATCH_MS, MEDIA_STALL_MS, MEDIA_WATCH_MS, MediaStallWatch } from './media-stall.ts';

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

test('a stalled link is read every MEDIA_RESUME_WATCH_MS, so its return is noticed sooner; a flowing one every MEDIA_WATCH_MS again', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  let n = 0;
  let moving = true;
  let reads = 0;
  const seen: string[] = [];
  const w = new MediaStallWatch(
    async () => {
      reads++;
      if (moving) n += 100;
      return n;
    },
    { stalled: () => seen.push('stalled'), flowing: () => seen.push('flowing') },
  );
  const advance = async (ms: number) => {
    t.mock.timers.tick(ms);
    // Let each reading's awaited byte count settle.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  w.start();
  await advance(MEDIA_WATCH_MS);
  moving = false;
  for (let elapsed = 0; seen.length === 0 && elapsed <= 2 * MEDIA_STALL_MS; elapsed += MEDIA_WATCH_MS) await advance(MEDIA_WATCH_MS);
  assert.deepEqual(seen, ['stalled']);
  reads = 0;
  await advance(MEDIA_WATCH_MS);
  assert.equal(reads, Math.floor(MEDIA_WATCH_MS / MEDIA_RESUME_WATCH_MS), 'read more often while stalled');
  moving = true;
  await advance(MEDIA_RESUME_WATCH_MS);
  assert.deepEqual(seen, ['stalled', 'flowing'], 'the return is noticed at the next quick reading');
  reads = 0;
  await advance(MEDIA_WATCH_MS);
  assert.equal(reads, 1, 'back to the usual pace once flowing');
  w.stop();
});

test('linkCounters sums the bytes of every candidate pair, the packets and frames of every incoming video stream and the jitter buffer of every incoming audio stream, and leaves out what a browser does not count', async () => {
  const of = (stats: object[]) => linkCounters({ getStats: async () => new Map(stats.map((s, i) => [String(i), s])) as unknown as RTCStatsReport });
  assert.deepEqual(
    await of([
      { type: 'candidate-pair', bytesReceived: 100 },
      { type: 'candidate-pair', bytesReceived: 50 },
      { type: 'inbound-rtp', kind: 'video', packetsReceived: 30, framesReceived: 10, framesDecoded: 9 },
      { type: 'inbound-rtp', kind: 'video', packetsReceived: 12, framesReceived: 5, framesDecoded: 5 },
      { type: 'inbound-rtp', kind: 'audio', packetsReceived: 80, jitterBufferDelay: 2.5, jitterBufferEmittedCount: 48_000 },
    ]),
    { bytes: 150, video: { framesReceived: 15, packetsReceived: 42, framesDecoded: 14 }, audio: { jitterBufferDelay: 2.5, jitterBufferEmittedCount: 48_000 } },
  );
  // Video without framesReceived (Firefox): its packets and decoded frames still count.
  assert.deepEqual((await of([{ type: 'inbound-rtp', kind: 'video', packetsReceived: 30, framesDecoded: 9 }])).video, {
    framesReceived: undefined,
    packetsReceived: 30,
    framesDecoded: 9,
  });
  // No pairs reported, video without packet counts and audio without jitter buffer counts (a browser that does not count them): nothing to go by.
  assert.deepEqual(
    await of([
      { type: 'inbound-rtp', kind: 'video', framesDecoded: 9 },
      { type: 'inbound-rtp', kind: 'audio', packetsReceived: 80 },
    ]),
    {
      bytes: undefined,
      video: undefined,
      audio: undefined,
    },
  );
});
