import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoomStore } from './room-store.ts';

/** A store to test, whose empty rooms expire after `emptyRoomTtlMs`. */
export type OpenStore = (emptyRoomTtlMs: number) => Promise<{ store: RoomStore; close(): Promise<void> }>;

/** Long enough that no room expires during a test that does not wait for it. */
const LONG_TTL_MS = 60_000;
/** Short enough to wait out. */
const SHORT_TTL_MS = 200;
/** The largest id Janus hands out (it keeps ids JavaScript-safe): must survive the store unrounded. */
const LARGEST_ID = Number.MAX_SAFE_INTEGER;

/** What every room store must do with a room's SFU room record, in memory as in Redis. */
export function sfuRoomRecordContract(open: OpenStore): void {
  test("a room's SFU room is recorded once: the first claim wins, a later one is told the winner; only the recorded one is released, once", async () => {
    const { store, close } = await open(LONG_TTL_MS);
    try {
      const roomId = await store.createRoom({ hostKeyHash: 'x' });
      const first = { sfuRoomId: LARGEST_ID, secret: 'first-secret' };
      const second = { sfuRoomId: 22, secret: 'second-secret' };
      assert.equal(await store.sfuRoom(roomId), undefined);
      assert.deepEqual(await store.claimSfuRoom(roomId, first), first);
      assert.deepEqual(await store.claimSfuRoom(roomId, second), first, 'the loser is told which one to use');
      assert.equal(await store.releaseSfuRoom(roomId, second), false, 'a key not recorded releases nothing');
      assert.deepEqual(await store.sfuRoom(roomId), first);
      assert.equal(await store.releaseSfuRoom(roomId, first), true);
      assert.equal(await store.releaseSfuRoom(roomId, first), false, 'released once');
      assert.equal(await store.sfuRoom(roomId), undefined);
      assert.deepEqual(await store.claimSfuRoom(roomId, second), second, 'a new one may be recorded after');
    } finally {
      await close();
    }
  });

  test('of claims racing, exactly one wins and every claimer is told the same winner', async () => {
    const { store, close } = await open(LONG_TTL_MS);
    try {
      const roomId = await store.createRoom({ hostKeyHash: 'x' });
      const keys = Array.from({ length: 8 }, (_, i) => ({ sfuRoomId: 100 + i, secret: `secret-${i}` }));
      const told = await Promise.all(keys.map((key) => store.claimSfuRoom(roomId, key)));
      const winners = new Set(told.map((key) => key?.sfuRoomId));
      assert.equal(winners.size, 1);
      assert.deepEqual(await store.sfuRoom(roomId), told[0]);
    } finally {
      await close();
    }
  });

  test('the record goes with its room: none for a room that does not exist or expired, and a claim does not bring one back', async () => {
    const { store, close } = await open(SHORT_TTL_MS);
    try {
      const key = { sfuRoomId: 7, secret: 'a-secret' };
      assert.equal(await store.claimSfuRoom('aaaa-bbbb-cccc-dddd', key), undefined);
      assert.equal(await store.sfuRoom('aaaa-bbbb-cccc-dddd'), undefined);
      const roomId = await store.createRoom({ hostKeyHash: 'x' });
      assert.deepEqual(await store.claimSfuRoom(roomId, key), key);
      // Created empty, the room expires after its time to live, its record with it.
      await new Promise((resolve) => setTimeout(resolve, SHORT_TTL_MS * 3));
      assert.equal(await store.status(roomId), undefined, 'the room expired');
      assert.equal(await store.sfuRoom(roomId), undefined);
      assert.equal(await store.claimSfuRoom(roomId, key), undefined);
      assert.equal(await store.status(roomId), undefined, 'still no room');
    } finally {
      await close();
    }
  });
}
