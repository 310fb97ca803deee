import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TALKING_HOLD_MS, TALKING_LEVEL, TalkingWatch } from './talking-watch.ts';

test('talking starts with one loud reading and ends TALKING_HOLD_MS after the last, not at every pause', () => {
  const changes: [string, boolean][] = [];
  const watch = new TalkingWatch(
    () => [],
    (peerId, talking) => changes.push([peerId, talking]),
  );
  watch.observe('ada', TALKING_LEVEL / 2, 0);
  assert.deepEqual(changes, [], 'quiet');
  watch.observe('ada', TALKING_LEVEL, 100);
  watch.observe('ada', 0, 200);
  watch.observe('ada', TALKING_LEVEL * 2, 600);
  assert.deepEqual(changes, [['ada', true]]);
  watch.observe('ada', 0, 600 + TALKING_HOLD_MS - 1);
  assert.equal(changes.length, 1);
  watch.observe('ada', undefined, 600 + TALKING_HOLD_MS);
  assert.deepEqual(changes, [
    ['ada', true],
    ['ada', false],
  ]);
});
