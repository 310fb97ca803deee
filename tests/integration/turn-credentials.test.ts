// The signaling server's side of TURN: credentials in `joined`, and fresh ones
// pushed to everyone in a room before the previous ones expire.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type IceServer, PROTOCOL_VERSION } from '@videoapp/protocol';
import { type RunningServer, type TurnSettings, turnRefreshIntervalMs } from '@videoapp/server';
import { startTestServer } from '../support/test-server.ts';
import { pairInRoom, WsTestClient } from '../support/ws-client.ts';

const turn: TurnSettings = { urls: ['turn:turn.test:3478?transport=udp', 'turn:turn.test:3478?transport=tcp'], secret: 'shared-with-coturn', ttlSeconds: 2 };
const expiryOf = (server: IceServer | undefined) => Number(server?.username?.split(':')[0]);

describe('TURN credentials from the signaling server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ turn, stunUrls: ['stun:stun.test:3478'] });
  });
  after(() => server.close());

  test('joined carries STUN and short-lived TURN credentials for this peer, never the secret', async () => {
    const { a, b, aId, aJoined } = await pairInRoom(server.url);
    const [stun, relay] = aJoined.iceServers;
    assert.deepEqual(stun, { urls: ['stun:stun.test:3478'] });
    assert.deepEqual(relay?.urls, turn.urls);
    assert.equal(relay?.username?.split(':')[1], aId);
    const left = expiryOf(relay) - Date.now() / 1000;
    // The expiry is in whole seconds (rounded down when issued), so up to a second less than the lifetime, plus test slack.
    assert.ok(left > turn.ttlSeconds - 2 && left <= turn.ttlSeconds, `expires in ${left} s`);
    assert.equal(relay?.credential, createHmac('sha1', turn.secret).update(relay!.username!).digest('base64'));
    assert.ok(!JSON.stringify(aJoined).includes(turn.secret));
    a.close();
    b.close();
  });

  test('a resumed session (a reloaded page) gets fresh credentials with its place back', async () => {
    const { a, b, aJoined } = await pairInRoom(server.url);
    a.ws.terminate();
    const back = await WsTestClient.open(server.url);
    back.send({ type: 'hello', version: PROTOCOL_VERSION, resume: aJoined.resumeToken });
    const resumed = await back.next('resumed');
    assert.deepEqual(resumed.iceServers[1]?.urls, turn.urls);
    assert.ok(expiryOf(resumed.iceServers[1]) >= expiryOf(aJoined.iceServers[1]));
    back.close();
    b.close();
  });

  test('fresh credentials arrive before the old ones expire, and stop once the peer leaves', async () => {
    const { a, b, aJoined } = await pairInRoom(server.url);
    const first = expiryOf(aJoined.iceServers[1]);
    const refreshMs = turnRefreshIntervalMs(turn);
    const started = Date.now();
    const refreshed = await a.next('ice-servers', refreshMs + 1000);
    const arrivedMs = Date.now() - started;
    assert.ok(Date.now() / 1000 < first, 'arrived while the first credentials were still valid');
    assert.ok(expiryOf(refreshed.iceServers[1]) > first, 'with a later expiry');
    assert.deepEqual(refreshed.iceServers[0], { urls: ['stun:stun.test:3478'] });

    a.send({ type: 'leave', reason: 'hang-up' });
    await b.next('peer-left');
    await new Promise((r) => setTimeout(r, refreshMs + 300));
    assert.deepEqual(
      a.pending().filter((m) => m.type === 'ice-servers'),
      [],
    );
    assert.ok(
      b.pending().some((m) => m.type === 'ice-servers'),
      'the one still in the room keeps getting them',
    );
    console.log(`refresh every ${refreshMs} ms for a ${turn.ttlSeconds} s lifetime; first arrived after ${arrivedMs} ms`);
    a.close();
    b.close();
  });
});

describe('without TURN configured', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('no TURN server is handed out and no refreshes are sent', async () => {
    const { a, b, aJoined } = await pairInRoom(server.url);
    assert.deepEqual(aJoined.iceServers, []);
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(
      a.pending().filter((m) => m.type === 'ice-servers'),
      [],
    );
    a.close();
    b.close();
  });
});
