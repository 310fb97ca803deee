// End-to-end key messages over the real server and real sockets: relayed to the room (or the one member
// named), never to another room, and refused with a typed error when addressed outside it or too large.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_E2EE_PUBLIC_KEY_CHARS } from '@videoapp/protocol';
import type { RunningServer } from '@videoapp/server';
import { startTestServer } from '../support/test-server.ts';
import { pairInRoom, type WsTestClient } from '../support/ws-client.ts';

let server: RunningServer;
const sockets: WsTestClient[] = [];
before(async () => {
  server = await startTestServer();
});
after(async () => {
  for (const socket of sockets) socket.close();
  await server.close();
});

/** A public key's shape (87 base64url characters, as a P-256 point has); the server never reads it. */
const PUBLIC_KEY = `B${'x'.repeat(86)}`;

test('a public key reaches the others in the room, with its sender, and nobody in another room', async () => {
  const room = await pairInRoom(server.url);
  const elsewhere = await pairInRoom(server.url);
  sockets.push(room.a, room.b, elsewhere.a, elsewhere.b);
  room.a.send({ type: 'e2ee-key', publicKey: PUBLIC_KEY, seq: 1 });
  assert.deepEqual(await room.b.next('e2ee-key'), { type: 'e2ee-key', from: room.aId, publicKey: PUBLIC_KEY });
  // "Cannot encrypt" travels the same way, without a key.
  room.b.send({ type: 'e2ee-key', to: room.aId, seq: 1 });
  assert.deepEqual(await room.a.next('e2ee-key'), { type: 'e2ee-key', from: room.bId });
  room.a.send({ type: 'e2ee-media-key', to: room.bId, keyId: 7, wrapped: 'wrappedKey', seq: 2 });
  assert.deepEqual(await room.b.next('e2ee-media-key'), { type: 'e2ee-media-key', from: room.aId, keyId: 7, wrapped: 'wrappedKey' });
  await assert.rejects(elsewhere.a.next('e2ee-key', 300));
  await assert.rejects(elsewhere.b.next('e2ee-media-key', 300));
});

test('a key for someone outside the room, or for oneself, is refused as peer-not-found; an oversized key as bad-message', async () => {
  const room = await pairInRoom(server.url);
  const elsewhere = await pairInRoom(server.url);
  sockets.push(room.a, room.b, elsewhere.a, elsewhere.b);
  room.a.send({ type: 'e2ee-media-key', to: elsewhere.aId, keyId: 1, wrapped: 'wrappedKey', seq: 1 });
  assert.equal((await room.a.next('error')).code, 'peer-not-found');
  room.a.send({ type: 'e2ee-key', to: room.aId, publicKey: PUBLIC_KEY, seq: 2 });
  assert.equal((await room.a.next('error')).code, 'peer-not-found');
  room.a.sendInvalid({ type: 'e2ee-key', publicKey: 'k'.repeat(MAX_E2EE_PUBLIC_KEY_CHARS + 1), seq: 3 });
  const refused = await room.a.next('error');
  assert.equal(refused.code, 'bad-message');
  assert.match(refused.message, /publicKey/);
  await assert.rejects(elsewhere.a.next('e2ee-media-key', 300));
  await assert.rejects(room.b.next('e2ee-key', 300));
});
