import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRoomRegistry } from './memory-registry.ts';

const member = (id: string) => ({ id, name: id, deliver: () => {} });

test('a room rebuilt after a restart keeps the life its returning members name, and refuses any other', async () => {
  const registry = new MemoryRoomRegistry({ capacity: 4, emptyRoomTtlMs: 60_000 });
  try {
    assert.deepEqual(await registry.restore('aaaa-bbbb-cccc-dddd', 'life-1', member('a1')), { ok: true, others: [] });
    assert.deepEqual(await registry.restore('aaaa-bbbb-cccc-dddd', 'life-0', member('b2')), { ok: false, code: 'room-not-found' });
    assert.equal((await registry.access('aaaa-bbbb-cccc-dddd'))?.life, 'life-1');
  } finally {
    await registry.close();
  }
});

test('a join admitted to one life of a room is refused by another', async () => {
  const registry = new MemoryRoomRegistry({ capacity: 4, emptyRoomTtlMs: 60_000 });
  try {
    const roomId = await registry.createRoom({ hostKeyHash: 'x' });
    const { life } = (await registry.access(roomId))!;
    assert.equal((await registry.join(roomId, member('a1'), { host: false, life: `${life}-old` })).ok, false);
    assert.equal((await registry.join(roomId, member('a1'), { host: false, life })).ok, true);
  } finally {
    await registry.close();
  }
});
