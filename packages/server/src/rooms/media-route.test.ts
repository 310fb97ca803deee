import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type MediaRoute, SFU_FROM_PEERS } from '@videoapp/protocol';
import { MemoryRoomStore } from '../store/memory.ts';
import { decideRoute, RoomRoutes } from './media-route.ts';

describe('decideRoute', () => {
  test('P2P below SFU_FROM_PEERS; the SFU from there on, when there is one', () => {
    assert.deepEqual(decideRoute('mesh', SFU_FROM_PEERS - 1, true), { kind: 'stay' });
    assert.deepEqual(decideRoute('mesh', SFU_FROM_PEERS, true), { kind: 'move', to: 'sfu' });
    assert.deepEqual(decideRoute('sfu', SFU_FROM_PEERS + 5, true), { kind: 'stay' });
    assert.deepEqual(decideRoute('mesh', SFU_FROM_PEERS + 1, false), { kind: 'stay' });
  });

  test('a room on the SFU that shrinks returns to P2P later; an empty one at once; without an SFU at once', () => {
    assert.deepEqual(decideRoute('sfu', SFU_FROM_PEERS - 1, true), { kind: 'move-later', to: 'mesh' });
    assert.deepEqual(decideRoute('sfu', 1, true), { kind: 'move-later', to: 'mesh' });
    assert.deepEqual(decideRoute('sfu', 0, true), { kind: 'move', to: 'mesh' });
    assert.deepEqual(decideRoute('sfu', SFU_FROM_PEERS, false), { kind: 'move', to: 'mesh' });
  });
});

describe('RoomRoutes over the in-memory store', () => {
  const DELAY_MS = 40;

  async function setUp(hasSfu = true) {
    const store = new MemoryRoomStore({ capacity: 25, emptyRoomTtlMs: 60_000 });
    const roomId = await store.createRoom({ hostKeyHash: 'x' });
    const life = (await store.access(roomId))!.life;
    const announced: { route: MediaRoute; except: string | undefined }[] = [];
    const failures: unknown[] = [];
    const routes = new RoomRoutes({
      store,
      hasSfu,
      toMeshDelayMs: DELAY_MS,
      announce: async (_room, route, except) => {
        announced.push({ route, except });
      },
      failed: (err) => failures.push(err),
    });
    const add = async (id: string) => assert.ok((await store.join(roomId, life, { id, name: id, host: false })).ok);
    return { store, roomId, routes, announced, failures, add };
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('the third person moves the room to the SFU, announced to all but them; the store keeps it', async () => {
    const { store, roomId, routes, announced, add } = await setUp();
    for (const id of ['a', 'b']) await add(id);
    assert.equal(await routes.settle(roomId, 2, 'b'), 'mesh');
    await add('c');
    assert.equal(await routes.settle(roomId, 3, 'c'), 'sfu');
    assert.equal(await store.route(roomId), 'sfu');
    assert.deepEqual(announced, [{ route: 'sfu', except: 'c' }]);
    assert.equal(await routes.settle(roomId, 4, 'd'), 'sfu');
    assert.equal(announced.length, 1, 'a move is announced once');
    routes.close();
  });

  test('back to the mesh only once the room stayed small for the delay; a rejoin within it keeps the SFU', async () => {
    const { store, roomId, routes, announced, failures, add } = await setUp();
    for (const id of ['a', 'b', 'c']) await add(id);
    await routes.settle(roomId, 3);
    await store.leave(roomId, 'c');
    assert.equal(await routes.settle(roomId, 2), 'sfu', 'still on the SFU right after someone left');
    await add('c');
    assert.equal(await routes.settle(roomId, 3), 'sfu');
    await sleep(DELAY_MS * 3);
    assert.equal(await store.route(roomId), 'sfu', 'the rejoin cancelled the return');

    await store.leave(roomId, 'c');
    await routes.settle(roomId, 2);
    await sleep(DELAY_MS * 3);
    assert.equal(await store.route(roomId), 'mesh');
    assert.deepEqual(
      announced.map((a) => a.route),
      ['sfu', 'mesh'],
    );
    assert.deepEqual(failures, []);
    routes.close();
  });

  test('of two deciders at once, one moves the route and announces it', async () => {
    const { store, roomId, announced, add } = await setUp();
    const announce = async (_room: string, route: MediaRoute, except: string | undefined) => {
      announced.push({ route, except });
    };
    const first = new RoomRoutes({ store, hasSfu: true, announce, failed: () => {} });
    const other = new RoomRoutes({ store, hasSfu: true, announce, failed: () => {} });
    for (const id of ['a', 'b', 'c']) await add(id);
    const both = await Promise.all([first.settle(roomId, 3), other.settle(roomId, 3)]);
    assert.deepEqual(both, ['sfu', 'sfu']);
    assert.equal(announced.length, 1);
  });

  test('without an SFU every room stays on the mesh', async () => {
    const { roomId, routes, announced, add } = await setUp(false);
    for (const id of ['a', 'b', 'c', 'd']) await add(id);
    assert.equal(await routes.settle(roomId, 4), 'mesh');
    assert.deepEqual(announced, []);
  });
});
