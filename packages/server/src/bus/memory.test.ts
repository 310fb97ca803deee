import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRoomStore } from '../store/memory.ts';
import { MemorySignalBus } from './memory.ts';
import { busContract } from './signal-bus.contract.ts';
import { type FrameSink, MAX_UNACKED_FRAMES } from './signal-bus.ts';

describe('the in-memory signal bus', () => {
  busContract(async () => {
    const store = new MemoryRoomStore({ capacity: 4, emptyRoomTtlMs: 60_000 });
    const bus = new MemorySignalBus(store);
    return {
      store,
      buses: [bus, bus],
      async close() {
        await bus.close();
        await store.close();
      },
    };
  });

  test('keeps nothing for a member between messages once they are acknowledged', async () => {
    const store = new MemoryRoomStore({ capacity: 4, emptyRoomTtlMs: 60_000 });
    const bus = new MemorySignalBus(store);
    const sink: FrameSink = { sendFrame: () => {}, supersede: () => {} };
    const roomId = await store.createRoom({ hostKeyHash: 'x' });
    const { life } = (await store.access(roomId))!;
    await store.join(roomId, life, { id: 'a', name: 'A', host: false });
    await bus.attach({ roomId, peerId: 'a' }, sink, 0, () => {});
    for (let i = 0; i < MAX_UNACKED_FRAMES; i++) await bus.send({ roomId, addressee: { to: 'a' }, frame: '{"type":"ping"}' });
    bus.acknowledge('a', MAX_UNACKED_FRAMES);
    const replayed: string[] = [];
    await bus.attach({ roomId, peerId: 'a' }, { sendFrame: (f) => replayed.push(f), supersede: () => {} }, 0, () => {});
    assert.deepEqual(replayed, []);
  });
});
