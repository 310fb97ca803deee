import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_TURN_REFRESH_MS, turnRefreshIntervalMs } from './turn-credentials.ts';

const settings = (ttlSeconds: number) => ({ urls: ['turn:t'], secret: 's', ttlSeconds });

test('credentials are re-issued at half their lifetime', () => {
  assert.equal(turnRefreshIntervalMs(settings(3600)), 1_800_000);
  assert.equal(turnRefreshIntervalMs(settings(4)), 2_000);
});

test('a tiny lifetime cannot make the server re-issue in a tight loop', () => {
  assert.equal(turnRefreshIntervalMs(settings(0)), MIN_TURN_REFRESH_MS);
  assert.equal(turnRefreshIntervalMs(settings(1)), MIN_TURN_REFRESH_MS);
});
