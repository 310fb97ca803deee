import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpenStore } from './sfu-room-record.contract.ts';

/** Long enough that no room expires during these tests. */
const LONG_TTL_MS = 60_000;

const member = (id: string) => ({ id, name: id, host: false });

/** What every room store must do with a room's raised hands, in memory as in Redis. */
export function raisedHandsContract(open: OpenStore): void {
  test('hands are listed in the order they went up; a second raise or lower changes nothing and says so', async () => {
    const { store, close } = await open(LONG_TTL_MS);
    try {
      const roomId = await store.createRoom({ hostKeyHash: 'x' });
      const { life } = (await store.access(roomId))!;
      for (const id of ['a1', 'b2', 'c3']) await store.join(roomId, life, member(id));
      assert.deepEqual(await store.raisedHands(roomId), []);
      assert.equal(await store.raiseHand(roomId, 'c3'), true);
      assert.equal(await store.raiseHand(roomId, 'a1'), true);
      assert.equal(await store.raiseHand(roomId, 'c3'), false, 'already up');
      assert.equal(await store.raiseHand(roomId, 'b2'), true);
      assert.deepEqual(await store.raisedHands(roomId), ['c3', 'a1', 'b2']);
      assert.equal(await store.lowerHand(roomId, 'a1'), true);
      assert.equal(await store.lowerHand(roomId, 'a1'), false, 'lowered once');
      assert.equal(await store.raiseHand(roomId, 'a1'), true);
      assert.deepEqual(await store.raisedHands(roomId), ['c3', 'b2', 'a1'], 'raised again, it goes to the back');
    } finally {
      await close();
    }
  });

  test('only a member can raise a hand, and a member who leaves takes their hand with them', async () => {
    const { store, close } = await open(LONG_TTL_MS);
    try {
      const roomId = await store.createRoom({ hostKeyHash: 'x' });
      const { life } = (await store.access(roomId))!;
      await store.join(roomId, life, member('a1'));
      await store.join(roomId, life, member('b2'));
      assert.equal(await store.raiseHand(roomId, 'zz9'), false, 'not in the room');
      await store.raiseHand(roomId, 'a1');
      await store.raiseHand(roomId, 'b2');
      assert.equal(await store.leave(roomId, 'a1'), true);
      assert.deepEqual(await store.raisedHands(roomId), ['b2']);
      assert.equal(await store.raiseHand(roomId, 'a1'), false, 'gone');
    } finally {
      await close();
    }
  });
}
