import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KnockRecord } from './knock-queue.ts';
import type { OpenStore } from './sfu-room-record.contract.ts';

const LONG_TTL_MS = 60_000;

const knock = (id: string, at: number): KnockRecord => ({ id, secret: `secret-of-${id}`, name: `Name ${id}`, at, state: 'waiting', visit: 1 });

/** What every room store must do with a room's knocks, in memory as in Redis. */
export function knockQueueContract(open: OpenStore): void {
  test('knocks queue oldest first up to the cap; each is answered once; a stale removal cannot take a knocker who came back', async () => {
    const { store, close } = await open(LONG_TTL_MS);
    try {
      const roomId = await store.createRoom({ hostKeyHash: 'x' });
      assert.equal(await store.addKnock('zzzz-zzzz-zzzz-zzzz', knock('a0', 1), 2), 'room-not-found');
      assert.equal(await store.addKnock(roomId, knock('b2', 2), 2), 'added');
      assert.equal(await store.addKnock(roomId, knock('a1', 1), 2), 'added');
      assert.equal(await store.addKnock(roomId, knock('c3', 3), 2), 'waiting-list-full');
      assert.deepEqual(
        (await store.knocks(roomId)).map((k) => k.id),
        ['a1', 'b2'],
      );
      assert.deepEqual(await store.knock(roomId, 'a1'), knock('a1', 1));

      assert.equal((await store.answerKnock(roomId, 'a1', 'denied'))?.state, 'denied');
      assert.equal(await store.answerKnock(roomId, 'a1', 'admitted'), undefined, 'answered once');
      assert.equal(await store.addKnock(roomId, knock('c3', 3), 2), 'added', 'an answered knock no longer counts against the cap');

      assert.equal(await store.revisitKnock(roomId, 'b2'), 2);
      assert.equal(await store.removeKnock(roomId, 'b2', 1), false, 'removal for an old visit');
      assert.equal(await store.removeKnock(roomId, 'b2', 2), true);
      assert.equal(await store.removeKnock(roomId, 'b2'), false, 'removed once');
      assert.equal(await store.revisitKnock(roomId, 'b2'), undefined);

      assert.equal((await store.access(roomId))?.askToJoin, false);
      await store.setAskToJoin(roomId, true);
      assert.equal((await store.access(roomId))?.askToJoin, true);
      assert.equal((await store.status(roomId))?.askToJoin, true);
      await store.setAskToJoin('zzzz-zzzz-zzzz-zzzz', true);
      assert.equal(await store.status('zzzz-zzzz-zzzz-zzzz'), undefined, 'no room made by the setting');

      const life = (await store.access(roomId))!.life;
      await store.join(roomId, life, { id: 'h1', name: 'Host', host: true });
      await store.join(roomId, life, { id: 'g1', name: 'Guest', host: false });
      assert.deepEqual(await store.hostIds(roomId), ['h1']);
    } finally {
      await close();
    }
  });
}
