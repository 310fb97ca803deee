import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { knockQueueContract } from './knock-queue.contract.ts';
import { MemoryRoomStore } from './memory.ts';
import { raisedHandsContract } from './raised-hands.contract.ts';
import { sfuRoomRecordContract } from './sfu-room-record.contract.ts';

const member = (id: string) => ({ id, name: id, host: false });

test('a room rebuilt after a restart keeps the life its returning members name, and refuses any other', async () => {
  const store = new MemoryRoomStore({ capacity: 4, emptyRoomTtlMs: 60_000 });
  try {
    assert.deepEqual(await store.restore('aaaa-bbbb-cccc-dddd', 'life-1', member('a1')), { ok: true, others: [] });
    assert.deepEqual(await store.restore('aaaa-bbbb-cccc-dddd', 'life-0', member('b2')), { ok: false, code: 'room-not-found' });
    assert.equal((await store.access('aaaa-bbbb-cccc-dddd'))?.life, 'life-1');
  } finally {
    await store.close();
  }
});

test('a join admitted to one life of a room is refused by another', async () => {
  const store = new MemoryRoomStore({ capacity: 4, emptyRoomTtlMs: 60_000 });
  try {
    const roomId = await store.createRoom({ hostKeyHash: 'x' });
    const { life } = (await store.access(roomId))!;
    assert.equal((await store.join(roomId, `${life}-old`, member('a1'))).ok, false);
    assert.equal((await store.join(roomId, life, member('a1'))).ok, true);
  } finally {
    await store.close();
  }
});

describe('the SFU room record, in memory', () => {
  sfuRoomRecordContract(async (emptyRoomTtlMs) => {
    const store = new MemoryRoomStore({ capacity: 4, emptyRoomTtlMs });
    return { store, close: () => store.close() };
  });
});

describe('raised hands, in memory', () => {
  raisedHandsContract(async (emptyRoomTtlMs) => {
    const store = new MemoryRoomStore({ capacity: 4, emptyRoomTtlMs });
    return { store, close: () => store.close() };
  });
});

describe('the knock queue, in memory', () => {
  knockQueueContract(async (emptyRoomTtlMs) => {
    const store = new MemoryRoomStore({ capacity: 4, emptyRoomTtlMs });
    return { store, close: () => store.close() };
  });
});
