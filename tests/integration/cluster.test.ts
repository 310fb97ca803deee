// Several server processes sharing rooms through a real Redis: what works within one process works across two,
// a process that dies hands its people to another with nothing lost or doubled, and Redis restarting is survived.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROTOCOL_VERSION, type ServerMessage } from '@videoapp/protocol';
import { freePort } from '../support/free-port.ts';
import { RedisServer } from '../support/redis-server.ts';
import { missing } from '../support/requires.ts';
import { ServerProcess } from '../support/server-process.ts';
import { eventually } from '../support/timing.ts';
import { createRoomAsHost, WsTestClient } from '../support/ws-client.ts';

/** Short, so a process that dies for good has its people declared gone within a test's patience. */
const GRACE_MS = 3_000;
/** What a survivor needs to notice a dead process (its lease, 5 s) and then count the grace. */
const LOST_WITHIN_MS = 5_000 + GRACE_MS + 4_000;
const offer = { type: 'offer' as const, sdp: 'v=0\r\n' };

async function joined(url: string, roomId: string, fields: Record<string, string> = {}) {
  const client = await WsTestClient.greeted(url);
  client.send({ type: 'join', roomId, name: fields.name ?? 'someone', ...fields });
  return { client, joined: await client.next('joined') };
}

/** Receives `count` numbered messages of `type` and returns their numbers and payload markers. */
async function collect(client: WsTestClient, type: 'description', count: number): Promise<string[]> {
  const sdps: string[] = [];
  for (let i = 0; i < count; i++) sdps.push((await client.next(type, 5_000)).description.sdp);
  return sdps;
}

describe('two server processes, one Redis', { skip: missing('redis') }, () => {
  let redis: RedisServer;
  let dataDir: string;
  let a: ServerProcess;
  let b: ServerProcess;

  before(async () => {
    redis = await RedisServer.start();
    dataDir = mkdtempSync(join(tmpdir(), 'videoapp-cluster-'));
    const env = {
      REDIS_URL: redis.url,
      RESUME_SECRET: 'cluster-test-resume-secret',
      DATA_DIR: dataDir,
      RESUME_GRACE_MS: String(GRACE_MS),
      LOG_LEVEL: 'warn',
      JOINS_PER_MINUTE_PER_ADDRESS: '1000',
      ROOMS_PER_MINUTE_PER_ADDRESS: '1000',
    };
    a = new ServerProcess(await freePort(), env);
    b = new ServerProcess(await freePort(), env);
    await Promise.all([a.start(), b.start()]);
  });
  after(async () => {
    await Promise.all([a.kill(), b.kill()]);
    await redis.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a room made on one process is joined on the other; messages flow both ways, lock and hang-up are seen across', async () => {
    const { roomId, hostKey } = await createRoomAsHost(a.url, 'across');
    assert.equal((await (await fetch(`${b.url}/api/rooms/${roomId}`)).json()).passcode, true);
    const host = await joined(a.url, roomId, { name: 'Host', hostKey });
    const wrong = await WsTestClient.greeted(b.url);
    wrong.send({ type: 'join', roomId, name: 'Guesser', passcode: 'nope' });
    assert.equal((await wrong.next('error')).code, 'wrong-passcode');
    const guest = await joined(b.url, roomId, { name: 'Guest', passcode: 'across' });
    assert.deepEqual(guest.joined.peers, [{ id: host.joined.selfId, name: 'Host' }]);
    assert.equal((await host.client.next('peer-joined')).peer.id, guest.joined.selfId);

    host.client.send({ type: 'description', to: guest.joined.selfId, description: offer, seq: 1 });
    assert.equal((await guest.client.next('description')).from, host.joined.selfId);
    guest.client.send({ type: 'description', to: host.joined.selfId, description: { type: 'answer', sdp: 'v=0\r\n' }, seq: 1 });
    assert.equal((await host.client.next('description')).description.type, 'answer');
    guest.client.send({ type: 'media', media: { audio: false, video: true }, seq: 2 });
    assert.deepEqual((await host.client.next('peer-media')).media, { audio: false, video: true });

    host.client.send({ type: 'lock', locked: true, seq: 2 });
    assert.equal((await guest.client.next('room-lock')).locked, true);
    const late = await WsTestClient.greeted(b.url);
    late.send({ type: 'join', roomId, name: 'Late', passcode: 'across' });
    assert.equal((await late.next('error')).code, 'room-locked');

    host.client.send({ type: 'leave', reason: 'hang-up', seq: 3 });
    assert.deepEqual(await guest.client.next('peer-left'), { type: 'peer-left', peerId: host.joined.selfId, reason: 'hung-up' });
    for (const c of [host.client, guest.client, wrong, late]) c.close();
  });

  test('a room is full across processes, and the per-minute limits are shared', async () => {
    const { roomId } = await createRoomAsHost(a.url);
    const people = [];
    for (let i = 0; i < 4; i++) people.push(await joined(i % 2 === 0 ? a.url : b.url, roomId));
    const fifth = await WsTestClient.greeted(b.url);
    fifth.send({ type: 'join', roomId, name: 'Fifth' });
    assert.equal((await fifth.next('error')).code, 'room-full');
    for (const p of [...people.map((p) => p.client), fifth]) p.close();

    // Passcode guesses alternate between the processes: one address gets 10 a minute in all, not 10 from each.
    const guarded = await createRoomAsHost(a.url, 'the real one');
    let tries = 0;
    for (let outcome = ''; outcome !== 'rate-limited' && tries < 25; tries++) {
      const guesser = await WsTestClient.greeted(tries % 2 === 0 ? a.url : b.url);
      guesser.send({ type: 'join', roomId: guarded.roomId, name: 'Guesser', passcode: `guess-${tries}` });
      outcome = (await guesser.next('error')).code;
      guesser.close();
    }
    assert.ok(tries <= 11, `${tries} tries before the limit`);
  });

  test('the process holding a socket is killed: the client resumes on the other with every message once, in order, and negotiates again there', async () => {
    const { roomId } = await createRoomAsHost(a.url);
    const onA = await joined(a.url, roomId, { name: 'OnA' });
    const onB = await joined(b.url, roomId, { name: 'OnB' });
    await onA.client.next('peer-joined');
    const aId = onA.joined.selfId;
    const bId = onB.joined.selfId;
    onB.client.send({ type: 'description', to: aId, description: { type: 'offer', sdp: 'v=0\r\ns=1\r\n' }, seq: 1 });
    assert.deepEqual(await collect(onA.client, 'description', 1), ['v=0\r\ns=1\r\n']);
    const seenBefore = onA.client.lastSeq;

    await a.kill();
    // While OnA's process is gone, OnB goes on sending: these wait in OnA's inbox.
    for (let i = 2; i <= 4; i++) onB.client.send({ type: 'description', to: aId, description: { type: 'offer', sdp: `v=0\r\ns=${i}\r\n` }, seq: i });
    const back = await WsTestClient.open(b.url);
    back.send({ type: 'hello', version: PROTOCOL_VERSION, resume: onA.joined.resumeToken, lastSeq: seenBefore });
    const resumed = await back.next('resumed');
    assert.equal(resumed.selfId, aId);
    assert.deepEqual(resumed.peers, [{ id: bId, name: 'OnB' }]);
    assert.equal(resumed.resendFrom, seenBefore + 1);
    assert.deepEqual(await collect(back, 'description', 3), ['v=0\r\ns=2\r\n', 'v=0\r\ns=3\r\n', 'v=0\r\ns=4\r\n']);
    // The numbers run on from the last one seen before the crash, with no gap and no repeat.
    assert.equal(back.lastSeq, seenBefore + 3);
    // Its own numbered message re-sent after the resume is taken once.
    back.send({ type: 'description', to: bId, description: { type: 'answer', sdp: 'v=0\r\ns=a1\r\n' }, seq: 1 });
    back.send({ type: 'description', to: bId, description: { type: 'answer', sdp: 'v=0\r\ns=a1\r\n' }, seq: 1 });
    back.send({ type: 'description', to: bId, description: { type: 'offer', sdp: 'v=0\r\ns=restart\r\n' }, seq: 2 });
    const gotByB = await collect(onB.client, 'description', 2);
    assert.deepEqual(gotByB, ['v=0\r\ns=a1\r\n', 'v=0\r\ns=restart\r\n']);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      onB.client.pending().filter((m: ServerMessage) => m.type === 'description'),
      [],
      'nothing twice',
    );
    back.close();
    onB.client.close();
    await a.start();
  });

  test('a process killed for good: its people are shown as lost to the others within the grace period, once', async () => {
    const { roomId } = await createRoomAsHost(b.url);
    const doomed = await joined(a.url, roomId, { name: 'Doomed' });
    const survivor = await joined(b.url, roomId, { name: 'Survivor' });
    await a.kill();
    const started = Date.now();
    assert.deepEqual(await survivor.client.next('peer-presence', LOST_WITHIN_MS), { type: 'peer-presence', peerId: doomed.joined.selfId, presence: 'away' });
    assert.deepEqual(await survivor.client.next('peer-left', LOST_WITHIN_MS), { type: 'peer-left', peerId: doomed.joined.selfId, reason: 'lost' });
    const tookMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual(
      survivor.client.pending().filter((m) => m.type === 'peer-left'),
      [],
      'declared gone once',
    );
    assert.ok(tookMs >= GRACE_MS, `declared lost after ${tookMs} ms, before the grace period`);
    survivor.client.close();
    await a.start();
  });

  test('Redis restarts mid-call: no process exits, /readyz says so meanwhile, and signaling works again after', async () => {
    const { roomId } = await createRoomAsHost(a.url);
    const one = await joined(a.url, roomId, { name: 'One' });
    const two = await joined(b.url, roomId, { name: 'Two' });
    await one.client.next('peer-joined');
    await redis.stop();
    await eventually(
      '/readyz with Redis down',
      async () => (await fetch(`${a.url}/readyz`)).status,
      (status) => status === 503,
    );
    await redis.start();
    one.client.send({ type: 'description', to: two.joined.selfId, description: offer, seq: 1 });
    assert.equal((await two.client.next('description', 10_000)).from, one.joined.selfId);
    assert.equal((await fetch(`${b.url}/readyz`)).status, 200);
    for (const p of [a, b]) assert.equal((await fetch(`${p.url}/healthz`)).status, 200);
    one.client.close();
    two.client.close();
  });
});
