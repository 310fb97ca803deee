// Integration tests: the real server on an ephemeral port, driven over real WebSockets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_MESSAGE_BYTES, MAX_ROOM_PEERS, PROTOCOL_VERSION } from '@videoapp/protocol';
import type { RunningServer } from '@videoapp/server';
import { startTestServer } from '../support/test-server.ts';
import { eventually } from '../support/timing.ts';
import { createRoom, pairInRoom, WsTestClient } from '../support/ws-client.ts';

const offer = { type: 'offer' as const, sdp: 'v=0\r\n' };

describe('signaling', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 700, resumeGraceMs: 800, joinsPerMinutePerAddress: 10_000, roomsPerMinutePerAddress: 10_000 });
  });
  after(() => server.close());

  test('two people join a room and their offers, answers and candidates are relayed', async () => {
    const { a, b, aId, bId, aJoined } = await pairInRoom(server.url);
    assert.deepEqual(aJoined.peers, []);
    a.send({ type: 'description', to: bId, description: offer });
    assert.deepEqual(await b.next('description'), { type: 'description', from: aId, description: offer });
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    b.send({ type: 'candidate', to: aId, candidate });
    assert.deepEqual(await a.next('candidate'), { type: 'candidate', from: bId, candidate });
    a.close();
    b.close();
  });

  test('the joiner learns who is already there', async () => {
    const { bJoined, aId } = await pairInRoom(server.url);
    assert.deepEqual(bJoined.peers, [{ id: aId, name: 'Ada' }]);
  });

  test('four people share a room; the fifth gets room-full and the four inside are untouched', async () => {
    const { roomId, a, b, aId, bId } = await pairInRoom(server.url);
    const c = await WsTestClient.greeted(server.url);
    c.send({ type: 'join', roomId, name: 'Cy' });
    const cJoined = await c.next('joined');
    assert.deepEqual(cJoined.peers.map((p) => p.id).sort(), [aId, bId].sort());
    for (const inside of [a, b]) assert.equal((await inside.next('peer-joined')).peer.id, cJoined.selfId);
    const d = await WsTestClient.greeted(server.url);
    d.send({ type: 'join', roomId, name: 'Di' });
    const dJoined = await d.next('joined');
    assert.equal(dJoined.peers.length, MAX_ROOM_PEERS - 1);
    for (const inside of [a, b, c]) assert.equal((await inside.next('peer-joined')).peer.id, dJoined.selfId);

    const e = await WsTestClient.greeted(server.url);
    e.send({ type: 'join', roomId, name: 'Eve' });
    const refusal = await e.next('error');
    assert.equal(refusal.code, 'room-full');
    assert.equal(refusal.about, 'join');
    // Everyone inside still reaches everyone else, and nobody heard of Eve.
    a.send({ type: 'description', to: dJoined.selfId, description: offer });
    assert.deepEqual(await d.next('description'), { type: 'description', from: aId, description: offer });
    d.send({ type: 'description', to: cJoined.selfId, description: offer });
    assert.deepEqual(await c.next('description'), { type: 'description', from: dJoined.selfId, description: offer });
    for (const inside of [a, b, c, d]) assert.deepEqual(inside.pending(), []);
    for (const client of [a, b, c, d, e]) client.close();
  });

  test("a client's ping is answered at once with pong, in a room and out of one, and changes nothing else", async () => {
    const lone = await WsTestClient.greeted(server.url);
    lone.send({ type: 'ping' });
    assert.deepEqual(await lone.next('pong'), { type: 'pong' });
    const { a, b, bId } = await pairInRoom(server.url);
    a.send({ type: 'ping' });
    assert.deepEqual(await a.next('pong'), { type: 'pong' });
    // The room goes on as before: a's next message still reaches b.
    a.send({ type: 'description', to: bId, description: offer });
    assert.equal((await b.next('description')).type, 'description');
    for (const c of [lone, a, b]) c.close();
  });

  test('an unknown room gets room-not-found', async () => {
    const c = await WsTestClient.greeted(server.url);
    c.send({ type: 'join', roomId: '0000-0000-0000-0000', name: 'Cy' });
    const error = await c.next('error');
    assert.equal(error.code, 'room-not-found');
    assert.equal(error.about, 'join');
  });

  // The reason shows the news came from the leave message itself, not from the socket falling silent later.
  test('hanging up tells the other side, with reason hung-up', async (t) => {
    const { a, b, aId } = await pairInRoom(server.url);
    const started = Date.now();
    a.send({ type: 'leave', reason: 'hang-up' });
    assert.deepEqual(await b.next('peer-left'), { type: 'peer-left', peerId: aId, reason: 'hung-up' });
    t.diagnostic(`told after ${Date.now() - started} ms`);
  });

  test('leaving the page tells the other side, with reason left', async () => {
    const { a, b, aId } = await pairInRoom(server.url);
    a.send({ type: 'leave', reason: 'page-exit' });
    assert.deepEqual(await b.next('peer-left'), { type: 'peer-left', peerId: aId, reason: 'left' });
  });

  test('a peer cannot address someone outside its room', async () => {
    const first = await pairInRoom(server.url);
    const second = await pairInRoom(server.url);
    first.a.send({ type: 'description', to: second.bId, description: offer });
    assert.equal((await first.a.next('error')).code, 'peer-not-found');
    first.a.send({ type: 'description', to: first.aId, description: offer });
    assert.equal((await first.a.next('error')).code, 'peer-not-found');
    assert.deepEqual(second.b.pending(), []);
  });

  test('malformed input gets a typed error and the socket stays usable', async () => {
    const c = await WsTestClient.greeted(server.url);
    c.sendRaw('{not json');
    assert.equal((await c.next('error')).code, 'bad-message');
    c.send({ type: 'join', roomId: 'nope', name: 'x' });
    assert.match((await c.next('error')).message, /roomId: malformed/);
    c.sendInvalid({ type: 'teleport' });
    assert.equal((await c.next('error')).code, 'bad-message');
    c.send({ type: 'join', roomId: await createRoom(server.url), name: 'Cy' });
    await c.next('joined');
  });

  test('messages out of order get out-of-order', async () => {
    const c = await WsTestClient.open(server.url);
    c.send({ type: 'join', roomId: '0000-0000-0000-0000', name: 'x' });
    assert.equal((await c.next('error')).code, 'out-of-order');
    c.send({ type: 'hello', version: PROTOCOL_VERSION });
    await c.next('welcome');
    c.send({ type: 'description', to: 'abc', description: offer });
    assert.equal((await c.next('error')).code, 'out-of-order');
    c.send({ type: 'hello', version: PROTOCOL_VERSION });
    assert.equal((await c.next('error')).code, 'out-of-order');
  });

  test('an unknown protocol version is refused and the socket closed', async () => {
    const c = await WsTestClient.open(server.url);
    c.send({ type: 'hello', version: 999 });
    assert.equal((await c.next('error')).code, 'unsupported-version');
    assert.equal((await c.waitClosed()).code, 4001);
  });

  test('an oversized frame closes only that socket', async () => {
    const { a, b, bId } = await pairInRoom(server.url);
    const c = await WsTestClient.greeted(server.url);
    c.sendRaw('x'.repeat(MAX_MESSAGE_BYTES + 1));
    assert.equal((await c.waitClosed()).code, 1009);
    a.send({ type: 'description', to: bId, description: offer });
    await b.next('description');
  });

  test('a socket from another site is refused; our own origin is accepted', async () => {
    await assert.rejects(WsTestClient.open(server.url, { Origin: 'https://evil.example' }), /403/);
    const own = await WsTestClient.open(server.url, { Origin: server.url });
    own.close();
  });

  test('a silent socket is noticed: the other side hears away, then left with reason lost', async (t) => {
    const { a, b, aId } = await pairInRoom(server.url);
    // Stop answering heartbeats without closing, as a dead network would.
    a.ws.removeAllListeners('message');
    a.ws.pause();
    const started = Date.now();
    assert.deepEqual(await b.next('peer-presence'), { type: 'peer-presence', peerId: aId, presence: 'away' });
    const away = Date.now() - started;
    // In that order: "away" first, while the place is still kept.
    assert.deepEqual(
      b.pending().filter((m) => m.type === 'peer-left'),
      [],
      'left came before away',
    );
    assert.deepEqual(await b.next('peer-left'), { type: 'peer-left', peerId: aId, reason: 'lost' });
    t.diagnostic(`away after ${away} ms, left after ${Date.now() - started} ms (heartbeat timeout 700 ms, resume grace 800 ms)`);
  });

  test('a dropped socket that resumes within the grace period keeps its place and its queued messages', async () => {
    const { a, b, aId, bId, aJoined } = await pairInRoom(server.url);
    a.ws.terminate();
    await b.next('peer-presence');
    b.send({ type: 'description', to: aId, description: offer });
    const back = await WsTestClient.open(server.url);
    back.send({ type: 'hello', version: PROTOCOL_VERSION, resume: aJoined.resumeToken });
    await back.next('welcome');
    const resumed = await back.next('resumed');
    assert.equal(resumed.selfId, aId);
    assert.equal(resumed.resendFrom, 1, 'nothing was acknowledged by the old socket, so everything numbered is re-sent');
    assert.deepEqual(
      resumed.peers.map((p) => p.id),
      [bId],
    );
    assert.deepEqual(await back.next('description'), { type: 'description', from: bId, description: offer });
    assert.equal((await b.next('peer-presence')).presence, 'back');
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(!b.pending().some((m) => m.type === 'peer-left'), 'no peer-left after a resume');
  });

  test('a resume token past its grace period gets session-expired', async () => {
    const { a, b, aJoined } = await pairInRoom(server.url);
    a.ws.terminate();
    // The grace is over when the server tells the other side that a is gone for good.
    assert.equal((await b.next('peer-left')).reason, 'lost');
    const back = await WsTestClient.open(server.url);
    back.send({ type: 'hello', version: PROTOCOL_VERSION, resume: aJoined.resumeToken });
    assert.equal((await back.next('error')).code, 'session-expired');
  });

  test('the room status API answers for a live room and 404s a wrong code', async () => {
    const roomId = await createRoom(server.url);
    const ok = await fetch(`${server.url}/api/rooms/${roomId.toUpperCase().replaceAll('-', '')}`);
    assert.deepEqual(await ok.json(), { roomId, peers: 0, capacity: MAX_ROOM_PEERS, passcode: false, locked: false, askToJoin: false });
    const missing = await fetch(`${server.url}/api/rooms/0000-0000-0000-0000`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'room-not-found');
  });
});

describe('resuming', () => {
  test('a frame lost on a dying socket is re-sent on resume, and a re-sent client message is taken once', async () => {
    const server = await startTestServer({ heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 120_000 });
    try {
      const { a, b, aId, bId, aJoined } = await pairInRoom(server.url);
      // Messages a receives before the drop are acknowledged by what it last saw.
      b.send({ type: 'description', to: aId, description: offer, seq: 1 });
      await a.next('description');
      const seenBeforeDrop = a.lastSeq;
      // a's socket dies without the server noticing; b's next message goes into the void.
      a.ws.pause();
      b.send({ type: 'candidate', to: aId, candidate: { candidate: 'lost-in-flight' }, seq: 2 });
      await new Promise((r) => setTimeout(r, 100));
      const back = await WsTestClient.open(server.url);
      back.send({ type: 'hello', version: PROTOCOL_VERSION, resume: aJoined.resumeToken, lastSeq: seenBeforeDrop });
      const resumed = await back.next('resumed');
      assert.equal(resumed.resendFrom, seenBeforeDrop + 1);
      assert.equal((await back.next('candidate')).candidate.candidate, 'lost-in-flight');
      a.ws.resume();
      assert.equal((await a.waitClosed()).code, 4004, 'the old socket is closed as superseded');
      // The resumed client re-sends its last message; the peer gets it once.
      back.send({ type: 'description', to: bId, description: offer, seq: 7 });
      back.send({ type: 'description', to: bId, description: offer, seq: 7 });
      await b.next('description');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(
        b.pending().filter((m) => m.type === 'description'),
        [],
      );
    } finally {
      await server.close();
    }
  });

  test('what a client acknowledged, alone or on a message of its own, is not re-sent on resume', async () => {
    const server = await startTestServer({ heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 120_000 });
    try {
      const { a, b, aId, bId, aJoined } = await pairInRoom(server.url);
      const candidate = (text: string, seq: number) => b.send({ type: 'candidate', to: aId, candidate: { candidate: text }, seq });
      candidate('first', 1);
      candidate('second', 2);
      await a.next('candidate');
      await a.next('candidate');
      // A standalone ack: the server forgets everything up to it.
      a.send({ type: 'ack', seq: a.lastSeq });
      candidate('third', 3);
      await a.next('candidate');
      // An ack riding on a numbered message does the same.
      a.send({ type: 'description', seq: 1, ack: a.lastSeq, to: bId, description: offer });
      await b.next('description');
      candidate('fourth', 4);
      await a.next('candidate');
      a.ws.terminate();
      await new Promise((r) => setTimeout(r, 100));
      const back = await WsTestClient.open(server.url);
      // Told nothing on resume (lastSeq 0), the server still re-sends only what was never acknowledged.
      back.send({ type: 'hello', version: PROTOCOL_VERSION, resume: aJoined.resumeToken, lastSeq: 0 });
      await back.next('resumed');
      assert.equal((await back.next('candidate')).candidate.candidate, 'fourth');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(
        back.pending().filter((m) => m.type === 'candidate'),
        [],
      );
      // An ack outside a room has nothing to act on, and is not an error.
      const outsider = await WsTestClient.open(server.url);
      outsider.send({ type: 'hello', version: PROTOCOL_VERSION });
      await outsider.next('welcome');
      outsider.send({ type: 'ack', seq: 3 });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        outsider.pending().filter((m) => m.type === 'error'),
        [],
      );
    } finally {
      await server.close();
    }
  });

  test('after a server restart a signed resume token rebuilds the session under the same peer id', async () => {
    const resumeSecret = 'integration-test-secret';
    const first = await startTestServer({ resumeSecret });
    const { aJoined, bJoined, aId, bId } = await pairInRoom(first.url);
    const port = first.port;
    await first.close();
    const second = await startTestServer({ resumeSecret, port });
    try {
      const a = await WsTestClient.open(second.url);
      a.send({ type: 'hello', version: PROTOCOL_VERSION, resume: aJoined.resumeToken, lastSeq: 5 });
      const aResumed = await a.next('resumed');
      assert.deepEqual({ selfId: aResumed.selfId, peers: aResumed.peers, resendFrom: aResumed.resendFrom }, { selfId: aId, peers: [], resendFrom: 1 });
      const b = await WsTestClient.open(second.url);
      b.send({ type: 'hello', version: PROTOCOL_VERSION, resume: bJoined.resumeToken });
      assert.deepEqual((await b.next('resumed')).peers, [{ id: aId, name: 'Ada' }]);
      assert.deepEqual(await a.next('peer-presence'), { type: 'peer-presence', peerId: bId, presence: 'back' });
      a.send({ type: 'description', to: bId, description: offer, seq: 1 });
      assert.equal((await b.next('description')).from, aId);
      // A token signed with another secret is not ours.
      const stranger = await WsTestClient.open(second.url);
      const [payload] = aJoined.resumeToken.split('.');
      stranger.send({ type: 'hello', version: PROTOCOL_VERSION, resume: `${payload}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` });
      assert.equal((await stranger.next('error')).code, 'session-expired');
    } finally {
      await second.close();
    }
  });

  test('a session that ended cannot be brought back with its token', async () => {
    const server = await startTestServer();
    try {
      const { a, b, aJoined } = await pairInRoom(server.url);
      a.send({ type: 'leave', reason: 'hang-up' });
      // Once the other side is told, the server has ended the session.
      await b.next('peer-left');
      const back = await WsTestClient.open(server.url);
      back.send({ type: 'hello', version: PROTOCOL_VERSION, resume: aJoined.resumeToken });
      assert.equal((await back.next('error')).code, 'session-expired');
    } finally {
      await server.close();
    }
  });
});

describe('room expiry', () => {
  test('a room that stays empty expires', async () => {
    // Lookups count against the join limit; the test polls the room until it is gone.
    const server = await startTestServer({ emptyRoomTtlMs: 300, joinsPerMinutePerAddress: 10_000 });
    try {
      const roomId = await createRoom(server.url);
      const { a } = { a: await WsTestClient.greeted(server.url) };
      a.send({ type: 'join', roomId, name: 'Ada' });
      await a.next('joined');
      a.send({ type: 'leave', reason: 'hang-up' });
      await eventually(
        'the empty room expired',
        async () => (await fetch(`${server.url}/api/rooms/${roomId}`)).status,
        (status) => status === 404,
      );
      a.send({ type: 'join', roomId, name: 'Ada' });
      assert.equal((await a.next('error')).code, 'room-not-found');
    } finally {
      await server.close();
    }
  });
});
