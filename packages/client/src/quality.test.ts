import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QUALITY_THRESHOLDS, rateQuality } from './quality.ts';
import type { LinkStats } from './stats.ts';

function reading(change: Partial<LinkStats>): LinkStats {
  return {
    rttMs: 20,
    loss: 0,
    availableKbps: 2_000,
    availableIncomingKbps: undefined,
    videoFramesDecoded: 0,
    videoWidth: 640,
    videoHeight: 360,
    framesPerSecond: 30,
    audioPacketsReceived: 0,
    packetsReceived: 0,
    packetsLost: 0,
    localCandidateType: 'host',
    remoteCandidateType: 'host',
    ...change,
  };
}

test('a fast, clean link is good and carries its figures through', () => {
  const q = rateQuality('p1', reading({ packetsReceived: 1_000 }), reading({ packetsReceived: 500 }));
  assert.equal(q.level, 'good');
  assert.deepEqual(q.issues, []);
  assert.deepEqual([q.rttMs, q.availableKbps, q.videoWidth, q.videoHeight, q.path], [20, 2_000, 640, 360, 'host']);
});

test('loss is measured over the interval, not the whole call', () => {
  // 10% lost early on, none since: the link is good now.
  const before = reading({ packetsReceived: 900, packetsLost: 100 });
  assert.equal(rateQuality('p1', reading({ packetsReceived: 1_900, packetsLost: 100 }), before).level, 'good');
  // 5% of the last 1000 lost: fair.
  const fair = rateQuality('p1', reading({ packetsReceived: 1_850, packetsLost: 150 }), before);
  assert.deepEqual([fair.level, fair.issues, fair.loss], ['fair', ['high-loss'], 0.05]);
  const poor = rateQuality('p1', reading({ packetsReceived: 1_800, packetsLost: 200 }), before);
  assert.equal(poor.level, 'poor');
});

test('round-trip time past each threshold lowers the level', () => {
  const before = reading({ packetsReceived: 0 });
  const at = (rttMs: number) => rateQuality('p1', reading({ rttMs, packetsReceived: 100 }), before).level;
  assert.deepEqual([at(QUALITY_THRESHOLDS.fair.rttMs), at(QUALITY_THRESHOLDS.fair.rttMs + 1), at(QUALITY_THRESHOLDS.poor.rttMs + 1)], ['good', 'fair', 'poor']);
});

test('nothing received since the last reading is poor, whatever the other figures say', () => {
  const q = rateQuality('p1', reading({ packetsReceived: 500 }), reading({ packetsReceived: 500 }));
  assert.deepEqual([q.level, q.issues], ['poor', ['no-media']]);
});

test('the first reading has no interval: rated on what it has, never "no media"', () => {
  const q = rateQuality('p1', reading({ packetsReceived: 0, rttMs: undefined, availableKbps: undefined }), undefined);
  assert.deepEqual([q.level, q.issues], ['good', []]);
});

test('several problems: the worst level wins and every issue is named', () => {
  const q = rateQuality('p1', reading({ rttMs: 300, availableKbps: 50, packetsReceived: 100 }), reading({}));
  assert.deepEqual([q.level, q.issues], ['poor', ['high-latency', 'low-bandwidth']]);
});
