import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scaledCopyConstraints } from './own-picture.ts';

const camera = { width: 1280, height: 720 };
const scales = { resizeMode: ['none', 'crop-and-scale'] } as MediaTrackCapabilities;

test('a camera larger than its box is copied at the box’s size in device pixels, keeping its shape', () => {
  assert.deepEqual(scaledCopyConstraints(camera, scales, 360, 1), { resizeMode: 'crop-and-scale', width: { max: 360 }, height: { max: 203 } });
  assert.deepEqual(scaledCopyConstraints(camera, scales, 360, 2), { resizeMode: 'crop-and-scale', width: { max: 720 }, height: { max: 405 } });
  assert.deepEqual(scaledCopyConstraints({ width: 640, height: 480 }, scales, 360, 1), { resizeMode: 'crop-and-scale', width: { max: 360 }, height: { max: 270 } });
  // A phone held upright: a tall camera keeps its height in proportion.
  assert.deepEqual(scaledCopyConstraints({ width: 720, height: 1280 }, scales, 360, 1), { resizeMode: 'crop-and-scale', width: { max: 360 }, height: { max: 640 } });
});

test('no copy where it would not be smaller, where the size is unknown, or where the browser cannot scale a copy alone', () => {
  assert.equal(scaledCopyConstraints(camera, scales, 720, 2), undefined, 'the box is as wide as the camera');
  assert.equal(scaledCopyConstraints({ width: 320, height: 180 }, scales, 360, 1), undefined);
  assert.equal(scaledCopyConstraints({}, scales, 360, 1), undefined, 'a track that reports no size');
  assert.equal(scaledCopyConstraints(camera, undefined, 360, 1), undefined, 'no capabilities (a generated track)');
  assert.equal(scaledCopyConstraints(camera, { resizeMode: ['none'] } as MediaTrackCapabilities, 360, 1), undefined);
  assert.equal(scaledCopyConstraints(camera, {}, 360, 1), undefined, 'a browser without resizeMode');
});
