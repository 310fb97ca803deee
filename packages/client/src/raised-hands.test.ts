import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaisedHands } from './raised-hands.ts';

test('hands keep the order the server gives; repeats change nothing; a departure takes its hand', () => {
  const hands = new RaisedHands();
  assert.deepEqual(hands.replace({ type: 'raised-hands', peerIds: ['b', 'a'] }), [
    { peerId: 'b', raised: true, by: undefined },
    { peerId: 'a', raised: true, by: undefined },
  ]);
  assert.deepEqual(hands.apply({ type: 'hand', peerId: 'c', raised: true }), { peerId: 'c', raised: true, by: undefined });
  assert.equal(hands.apply({ type: 'hand', peerId: 'c', raised: true }), undefined, 'already up');
  assert.deepEqual(hands.list, ['b', 'a', 'c']);
  assert.deepEqual(hands.apply({ type: 'hand', peerId: 'b', raised: false, by: 'h' }), { peerId: 'b', raised: false, by: 'h' });
  assert.equal(hands.remove('a'), true);
  assert.equal(hands.remove('a'), false);
  assert.deepEqual(hands.list, ['c']);
  assert.deepEqual(hands.replace({ type: 'raised-hands', peerIds: ['d'] }), [
    { peerId: 'd', raised: true, by: undefined },
    { peerId: 'c', raised: false, by: undefined },
  ]);
});
