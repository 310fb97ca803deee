import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAST_START_MAX_HEIGHT, FAST_START_MAX_WIDTH, GROUP_VIDEO_MAX_BITRATE_BPS, GROUP_VIDEO_MAX_HEIGHT, GROUP_VIDEO_MAX_WIDTH, videoSendCap } from './send-cap.ts';

const camera = { width: 1280, height: 720, contentHint: '' };

test('a 1:1 call (or nobody yet) sends uncapped', () => {
  assert.deepEqual(videoSendCap(1, camera), { maxBitrate: undefined, scaleResolutionDownBy: 1 });
  assert.deepEqual(videoSendCap(0, camera), { maxBitrate: undefined, scaleResolutionDownBy: 1 });
});

test('with two or more others each stream is held to the bitrate and fits the tile size', () => {
  for (const others of [2, 3]) {
    const cap = videoSendCap(others, camera);
    assert.equal(cap.maxBitrate, GROUP_VIDEO_MAX_BITRATE_BPS);
    assert.ok(1280 / cap.scaleResolutionDownBy <= GROUP_VIDEO_MAX_WIDTH && 720 / cap.scaleResolutionDownBy <= GROUP_VIDEO_MAX_HEIGHT);
  }
  const fourThree = videoSendCap(2, { width: 640, height: 480 });
  assert.equal(480 / fourThree.scaleResolutionDownBy, 360);
  // A phone held upright sends portrait video: its long side is height.
  const portrait = videoSendCap(2, { width: 720, height: 1280 });
  assert.ok(1280 / portrait.scaleResolutionDownBy <= GROUP_VIDEO_MAX_WIDTH && 720 / portrait.scaleResolutionDownBy <= GROUP_VIDEO_MAX_HEIGHT);
});

test('a picture already small is never scaled up, and a shared screen keeps its resolution', () => {
  assert.equal(videoSendCap(3, { width: 320, height: 240 }).scaleResolutionDownBy, 1);
  assert.equal(videoSendCap(3, undefined).scaleResolutionDownBy, 1);
  assert.deepEqual(videoSendCap(2, { width: 1920, height: 1080, contentHint: 'detail' }), { maxBitrate: GROUP_VIDEO_MAX_BITRATE_BPS, scaleResolutionDownBy: 1 });
});

test('a new 1:1 link starts at the fast-start size and steps up to the full picture; in a group it starts at the tile size', () => {
  const starting = videoSendCap(1, camera, 'starting');
  assert.equal(starting.maxBitrate, undefined);
  assert.ok(1280 / starting.scaleResolutionDownBy <= FAST_START_MAX_WIDTH && 720 / starting.scaleResolutionDownBy <= FAST_START_MAX_HEIGHT);
  assert.equal(videoSendCap(1, camera, 'steady').scaleResolutionDownBy, 1);
  assert.deepEqual(videoSendCap(2, camera, 'starting'), videoSendCap(2, camera, 'steady'));
  // A shared screen starts readable too.
  assert.equal(videoSendCap(1, { width: 1920, height: 1080, contentHint: 'text' }, 'starting').scaleResolutionDownBy, 1);
});
