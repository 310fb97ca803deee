// Two processes' SfuRooms over one room store and one SFU: who makes, who uses
// and who replaces the shared SFU room, decided by the store. The SFU here is
// a stand-in that only keeps rooms; real media is tested against Janus in
// tests/integration/sfu-cluster.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServerMessage } from '@videoapp/protocol';
import { createLogger } from '../log.ts';
import { type SfuAdapter, SfuError, type SfuEvent, type SfuRoom, type SfuRoomKey } from '../sfu/sfu-adapter.ts';
import { MemoryRoomStore } from '../store/memory.ts';
import { latestFeeds, SfuRooms } from './sfu-rooms.ts';
import { publisherName, readPublisherName } from './sfu-session.ts';

/** An SFU that keeps rooms and nothing else; every call takes a turn of the event loop, so callers interleave as over a network. */
class RoomKeepingSfu implements SfuAdapter {
  readonly live = new Set<number>();
  readonly created: number[] = [];
  readonly destroyed: number[] = [];
  readonly opened: number[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(event: SfuEvent) => void>();

  async createRoom(): Promise<SfuRoomKey> {
    await turn();
    const sfuRoomId = this.nextId++;
    this.live.add(sfuRoomId);
    this.created.push(sfuRoomId);
    return { sfuRoomId, secret: `secret-${sfuRoomId}` };
  }
  async openRoom(roomId: string, key: SfuRoomKey): Promise<SfuRoom> {
    await turn();
    if (!this.live.has(key.sfuRoomId)) throw new SfuError('room-gone', 'no such room');
    this.opened.push(key.sfuRoomId);
    return Object.freeze({ roomId });
  }
  async closeRoom(): Promise<void> {}
  async destroyRoom(key: SfuRoomKey): Promise<void> {
    await turn();
    this.live.delete(key.sfuRoomId);
    this.destroyed.push(key.sfuRoomId);
  }
  async inUse(): Promise<boolean> {
    return false;
  }
  publish(): never {
    throw new Error('not used here');
  }
  subscribe(): never {
    throw new Error('not used here');
  }
  publishers(): never[] {
    return [];
  }
  onEvent(listener: (event: SfuEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: SfuEvent): void {
    for (const listener of this.listeners) listener(event);
  }
  async close(): Promise<void> {}
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function settled(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !check(); i++) await turn();
  assert.ok(check(), 'never settled');
}

/** The memory store standing in for Redis: what a process makes there outlives it. */
class SharedMemoryStore extends MemoryRoomStore {
  override readonly shared = true;
}

/** Two processes, each holding one member of the same room on the SFU. */
async function twoProcesses(shared = true) {
  const options = { capacity: 25, emptyRoomTtlMs: 60_000 };
  const store = shared ? new SharedMemoryStore(options) : new MemoryRoomStore(options);
  const roomId = await store.createRoom({ hostKeyHash: 'x' });
  await store.moveRoute(roomId, 'mesh', 'sfu');
  const sfu = new RoomKeepingSfu();
  const told: { peerId: string; message: ServerMessage }[] = [];
  const processOf = (peerId: string) =>
    new SfuRooms({ sfu, store, log: createLogger('silent'), sendTo: async (_room, to, message) => void told.push({ peerId: to, message }), localMembers: () => [peerId] });
  return { store, roomId, sfu, told, processes: [processOf('a'), processOf('b')] as const };
}

describe('one SFU room per room, whatever the processes', () => {
  test('two processes entering at once: one SFU room is recorded and both use it; a spare made in the race is destroyed', async () => {
    const { store, roomId, sfu, processes } = await twoProcesses();
    for (const process of processes) process.routeMoved(roomId, 'sfu');
    await settled(() => sfu.opened.length === 2);
    const recorded = (await store.sfuRoom(roomId))?.sfuRoomId;
    assert.deepEqual(sfu.opened, [recorded, recorded], 'both entered the recorded room');
    assert.ok(sfu.created.length === 2, 'both raced to make one (each found none recorded)');
    await settled(() => sfu.destroyed.length === 1);
    assert.deepEqual([...sfu.live], [recorded], "the loser's spare is gone, the winner's stays");
    for (const process of processes) await process.close();
  });

  test('the recorded room lost (Janus restarted): one new room replaces it, and each process tells its own member to publish again, once', async () => {
    const { store, roomId, sfu, told, processes } = await twoProcesses();
    for (const process of processes) process.routeMoved(roomId, 'sfu');
    await settled(() => sfu.opened.length === 2);
    const before = (await store.sfuRoom(roomId))!.sfuRoomId;
    await settled(() => sfu.live.size === 1);

    sfu.live.clear();
    sfu.emit({ type: 'room-lost', roomId });
    await settled(() => sfu.opened.length === 4 && told.length === 2);
    const after = (await store.sfuRoom(roomId))!.sfuRoomId;
    assert.notEqual(after, before);
    assert.deepEqual(sfu.opened.slice(2), [after, after], 'both entered the same new room');
    await settled(() => sfu.live.size === 1);
    assert.deepEqual([...sfu.live], [after], 'any spare made in the race is destroyed');
    assert.deepEqual(told.map(({ peerId, message }) => `${peerId} ${message.type}`).sort(), ['a sfu-reset', 'b sfu-reset']);
    for (const process of processes) await process.close();
  });

  test('a process stopping destroys its SFU rooms when rooms live in its memory, and leaves them to the others when the store is shared', async () => {
    for (const shared of [false, true]) {
      const { roomId, sfu, processes } = await twoProcesses(shared);
      const [one, two] = processes;
      for (const process of processes) process.routeMoved(roomId, 'sfu');
      await settled(() => sfu.opened.length === 2);
      await settled(() => sfu.live.size === 1);
      const [room] = [...sfu.live];
      await one.close();
      assert.deepEqual([...sfu.live], shared ? [room] : [], shared ? 'left to the other process' : 'nobody else could use it');
      await two.close();
    }
  });
});

describe("a person's newest feed", () => {
  test('is the one offered, whatever order the SFU listed them in; the subscriber never gets its own', () => {
    const feeds = new Map([
      // A process entering the room late hears the publishers there in no particular order.
      [30, { peerId: 'ada', since: 2_000 }],
      [10, { peerId: 'ada', since: 1_000 }],
      [20, { peerId: 'bo', since: 1_500 }],
      [40, { peerId: 'cy', since: 1_700 }],
    ]);
    assert.deepEqual(
      latestFeeds(feeds, 'cy'),
      new Map([
        [30, 'ada'],
        [20, 'bo'],
      ]),
    );
  });

  test('is told by the name each publication gets; names we did not give are nobody', () => {
    assert.deepEqual(readPublisherName(publisherName('f34f75cb295c1d0f', 1_764_000_000_000)), { peerId: 'f34f75cb295c1d0f', since: 1_764_000_000_000 });
    for (const foreign of ['videoapp-server', 'Ada', 'ada@', '@123', 'ADA@123', 'ada@12x']) assert.equal(readPublisherName(foreign), undefined, foreign);
  });
});
