// Passcodes and locking, over real sockets: who gets in, who gets which typed error, and that a refusal changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_ROOM_PEERS } from '@videoapp/protocol';
import type { RunningServer } from '@videoapp/server';
import { startTestServer } from '../support/test-server.ts';
import { createRoomAsHost, WsTestClient } from '../support/ws-client.ts';

const PASSCODE = 'blue heron 42';

async function status(serverUrl: string, roomId: string) {
  return (await (await fetch(`${serverUrl}/api/rooms/${roomId}`)).json()) as { peers: number; passcode: boolean; locked: boolean };
}

async function joinAs(serverUrl: string, roomId: string, extra: { passcode?: string; hostKey?: string } = {}, localAddress?: string) {
  const c = await WsTestClient.greeted(serverUrl, localAddress);
  c.send({ type: 'join', roomId, name: 'Guest', ...extra });
  return c;
}

describe('room passcode and lock', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ joinsPerMinutePerAddress: 10_000, roomsPerMinutePerAddress: 10_000, passcodeAttemptsPerMinutePerAddress: 1000, passcodeAttemptsPerMinutePerRoom: 1000 });
  });
  after(() => server.close());

  test('a protected room lets in its creator by host key and a guest by passcode; others get wrong-passcode and change nothing', async () => {
    const { roomId, hostKey } = await createRoomAsHost(server.url, PASSCODE);
    assert.deepEqual(await status(server.url, roomId), { roomId, peers: 0, capacity: MAX_ROOM_PEERS, passcode: true, locked: false, askToJoin: false });
    const host = await joinAs(server.url, roomId, { hostKey });
    const hostJoined = await host.next('joined');
    assert.deepEqual([hostJoined.host, hostJoined.locked], [true, false]);

    for (const attempt of [{}, { passcode: 'blue heron 43' }, { passcode: PASSCODE.toUpperCase() }, { hostKey: 'A'.repeat(24) }]) {
      const guest = await joinAs(server.url, roomId, attempt);
      const refused = await guest.next('error');
      assert.deepEqual([refused.code, refused.about], ['wrong-passcode', 'join'], JSON.stringify(attempt));
      guest.close();
    }
    assert.equal((await status(server.url, roomId)).peers, 1);
    assert.deepEqual(host.pending(), [], 'the host heard about a refused guest');

    const guest = await joinAs(server.url, roomId, { passcode: PASSCODE });
    assert.equal((await guest.next('joined')).host, false);
    assert.equal((await host.next('peer-joined')).peer.name, 'Guest');
    host.close();
    guest.close();
  });

  test('a host key is good only for its own room', async () => {
    const mine = await createRoomAsHost(server.url);
    const theirs = await createRoomAsHost(server.url, PASSCODE);
    const c = await joinAs(server.url, theirs.roomId, { hostKey: mine.hostKey });
    assert.equal((await c.next('error')).code, 'wrong-passcode');
    c.close();
  });

  test('the host locks the room: newcomers get room-locked, the people inside stay, and unlocking opens it again', async () => {
    const { roomId, hostKey } = await createRoomAsHost(server.url);
    const host = await joinAs(server.url, roomId, { hostKey });
    await host.next('joined');
    const guest = await joinAs(server.url, roomId);
    await guest.next('joined');

    guest.send({ type: 'lock', locked: true });
    assert.equal((await guest.next('error')).code, 'not-room-host');
    assert.equal((await status(server.url, roomId)).locked, false);

    host.send({ type: 'lock', locked: true });
    assert.equal((await host.next('room-lock')).locked, true);
    assert.equal((await guest.next('room-lock')).locked, true);
    assert.equal((await status(server.url, roomId)).locked, true);

    // The guest steps out and cannot come back while locked; the host always can.
    guest.send({ type: 'leave', reason: 'hang-up' });
    await host.next('peer-left');
    guest.send({ type: 'join', roomId, name: 'Guest' });
    assert.deepEqual([(await guest.next('error')).code], ['room-locked']);
    host.send({ type: 'leave', reason: 'hang-up' });
    host.send({ type: 'join', roomId, name: 'Host', hostKey });
    const back = await host.next('joined');
    assert.deepEqual([back.host, back.locked], [true, true]);

    host.send({ type: 'lock', locked: false });
    await host.next('room-lock');
    guest.send({ type: 'join', roomId, name: 'Guest' });
    assert.equal((await guest.next('joined')).locked, false);
    host.close();
    guest.close();
  });

  test('lock before joining a room is out of order', async () => {
    const c = await WsTestClient.greeted(server.url);
    c.send({ type: 'lock', locked: true });
    assert.deepEqual([(await c.next('error')).code], ['out-of-order']);
    c.close();
  });
});

describe('passcode guessing', () => {
  test('tries are limited per address, and per room across addresses, even for the right passcode', async () => {
    const server = await startTestServer({ joinsPerMinutePerAddress: 10_000, passcodeAttemptsPerMinutePerAddress: 6, passcodeAttemptsPerMinutePerRoom: 10 });
    try {
      const { roomId } = await createRoomAsHost(server.url, PASSCODE);
      const tryFrom = async (address: string, passcode: string) => {
        const c = await joinAs(server.url, roomId, { passcode }, address);
        const answer = await Promise.race([c.next('error').then((e) => e.code), c.next('joined').then(() => 'joined')]);
        c.close();
        return answer;
      };
      const first: string[] = [];
      for (let i = 0; i < 7; i++) first.push(await tryFrom('127.0.0.2', `wrong guess ${i}`));
      assert.deepEqual(first, [...Array(6).fill('wrong-passcode'), 'rate-limited']);
      assert.equal(await tryFrom('127.0.0.2', PASSCODE), 'rate-limited');

      // A second address has its own allowance, but the room's (10) is shared: 6 + 4 tries use it up.
      const second: string[] = [];
      for (let i = 0; i < 5; i++) second.push(await tryFrom('127.0.0.3', `other guess ${i}`));
      assert.deepEqual(second, [...Array(4).fill('wrong-passcode'), 'rate-limited']);
      assert.equal(await tryFrom('127.0.0.4', PASSCODE), 'rate-limited');
      assert.equal((await status(server.url, roomId)).peers, 0);
    } finally {
      await server.close();
    }
  });
});
