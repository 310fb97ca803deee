// SFU rooms shared by two server processes through a real Redis, driving one
// real Janus: people held by different processes publish into one Janus room,
// decode each other and hear who talks; Janus restarting is recovered once, by
// both; a person moving between live processes leaves no connection behind; a
// process killed outright hands its people to the other, where they publish
// again and everyone decodes everyone once more; back on the mesh, the Janus
// room goes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SFU_TO_MESH_DELAY_MS } from '@videoapp/protocol';
import { SFU_ROOM_DRAIN_MS } from '../../packages/server/src/rooms/sfu-rooms.ts';
import { freshJanusSecrets, type JanusOptions, type RunningJanus, startJanus } from '../../scripts/janus-server.ts';
import { freePort } from '../support/free-port.ts';
import { roomsInJanus } from '../support/janus-rooms.ts';
import { RedisServer } from '../support/redis-server.ts';
import { missing } from '../support/requires.ts';
import { ServerProcess } from '../support/server-process.ts';
import { SfuPeer } from '../support/sfu-peer.ts';
import { eventually } from '../support/timing.ts';
import type { FrameCounter } from '../support/wrtc-peer.ts';
import { until } from '../support/wrtc-peer.ts';
import { createRoom } from '../support/ws-client.ts';

/** Janus's media ports in this test (apart from the other Janus tests'). */
const RTP_PORTS = { min: 23_000, max: 23_999 };
/** Bounds for a loaded 2-core machine; the figures printed are what matters. */
const MEDIA_TIMEOUT_MS = 30_000;
/** Frames that show media flows, not a lone key frame. */
const FLOWING = 10;
/** How long a duplicate `talking` would take to show, at most. */
const NO_ECHO_WAIT_MS = 1_000;
/** Long enough that the killed process's people are never declared gone before they resume. */
const GRACE_MS = 30_000;

/** What each receiver had decoded of each other person at one moment, by counter (an m-line Janus reuses keeps its counter). */
type Baseline = Map<string, { counter: FrameCounter | undefined; count: number }>;

function baseline(receivers: SfuPeer[], everyone: SfuPeer[]): Baseline {
  const base: Baseline = new Map();
  for (const r of receivers) for (const p of everyone) if (p !== r) base.set(`${r.id} ${p.id}`, { counter: r.framesOf(p.id), count: r.frameCount(p.id) });
  return base;
}

/** Every receiver has decoded FLOWING new frames of every other person since `base`. */
/** Each of `people` receives video from exactly the others, once each. */
function assertOfferedTheOthers(people: SfuPeer[], message: string): void {
  for (const peer of people) {
    const others = people.filter((p) => p !== peer).map((p) => p.id);
    assert.deepEqual(peer.videoFrom().sort(), others.sort(), message);
  }
}

function allDecodeSince(receivers: SfuPeer[], everyone: SfuPeer[], base: Baseline = new Map()) {
  return () =>
    receivers.every((r) =>
      everyone.every((p) => {
        if (p === r) return true;
        const counter = r.framesOf(p.id);
        const before = base.get(`${r.id} ${p.id}`);
        return counter !== undefined && counter.count - (before?.counter === counter ? before.count : 0) >= FLOWING;
      }),
    );
}

describe('SFU rooms shared by two server processes through Redis', { skip: missing('janus') || missing('redis') }, () => {
  let workDir: string;
  let options: JanusOptions;
  let janus: RunningJanus;
  let redis: RedisServer;
  let one: ServerProcess;
  let two: ServerProcess;
  const peers: SfuPeer[] = [];

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'videoapp-sfu-cluster-'));
    options = { workDir, wsHost: '127.0.0.1', wsPort: await freePort(), rtpPorts: RTP_PORTS, ...freshJanusSecrets() };
    janus = await startJanus(options);
    redis = await RedisServer.start();
    const env = {
      REDIS_URL: redis.url,
      JANUS_URL: `ws://127.0.0.1:${options.wsPort}`,
      JANUS_API_SECRET: options.apiSecret,
      JANUS_ADMIN_KEY: options.adminKey,
      RESUME_SECRET: 'sfu-cluster-test-resume-secret',
      DATA_DIR: workDir,
      RESUME_GRACE_MS: String(GRACE_MS),
      LOG_LEVEL: 'info',
      JOINS_PER_MINUTE_PER_ADDRESS: '1000',
      ROOMS_PER_MINUTE_PER_ADDRESS: '1000',
    };
    one = new ServerProcess(await freePort(), env, { host: '127.0.0.1' });
    two = new ServerProcess(await freePort(), env, { host: '127.0.0.1' });
    await Promise.all([one.start(), two.start()]);
  });

  after(async () => {
    for (const peer of peers) peer.close();
    await Promise.all([one?.kill(), two?.kill()]);
    await janus?.stop();
    await redis?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function enter(server: ServerProcess, roomId: string, name: string) {
    const joined = await SfuPeer.join(server.url, roomId, name);
    peers.push(joined.peer);
    return joined;
  }

  test('three people on two processes decode each other through one Janus room; a fourth is offered to all; Janus restarts; one moves between live processes; a process killed: its people resume on the other and everyone decodes everyone again; back on the mesh the Janus room goes', async (t) => {
    assert.ok(!one.output.includes('sfu-single-process'), 'no warning that SFU rooms are not shared');
    const roomId = await createRoom(one.url);
    const { peer: a } = await enter(one, roomId, 'Ada');
    const { peer: b } = await enter(two, roomId, 'Bo');
    const thirdAt = performance.now();
    const { peer: c, joined: cJoined } = await enter(one, roomId, 'Cy');
    assert.equal(cJoined.route, 'sfu', 'the third person joins straight onto the SFU');
    assert.equal((await a.client.next('media-route')).route, 'sfu');
    assert.equal((await b.client.next('media-route')).route, 'sfu', 'the move reaches people on the other process');

    // Ada also sends a microphone that talks all the time.
    await Promise.all([a.publish(false, true), b.publish(), c.publish()]);
    const three = [a, b, c];
    await until('all three decode both others across processes', allDecodeSince(three, three), MEDIA_TIMEOUT_MS);
    for (const peer of [b, c]) assert.deepEqual(await peer.client.next('talking', MEDIA_TIMEOUT_MS), { type: 'talking', peerId: a.id, talking: true }, 'who talks reaches people on both processes');
    // Absence needs a wait: a second process forwarding what the first already told would show within it.
    await new Promise((resolve) => setTimeout(resolve, NO_ECHO_WAIT_MS));
    for (const peer of [b, c]) assert.ok(!peer.client.pending().some((m) => m.type === 'talking' && m.talking), 'told once, by the process holding each');
    assert.ok(!a.client.pending().some((m) => m.type === 'talking' && m.peerId !== a.id), 'nobody else talks');
    t.diagnostic(`third join → everyone decodes everyone through Janus, across two processes: ${Math.round(performance.now() - thirdAt)} ms`);
    assert.equal((await roomsInJanus(options)).length, 1, 'one Janus room for the room, whichever process holds whom');

    // A fourth, on the process holding fewer: offered to everyone on both processes.
    const { peer: d, joined: dJoined } = await enter(two, roomId, 'Di');
    assert.equal(dJoined.route, 'sfu');
    const fourthAt = performance.now();
    await d.publish();
    const four = [a, b, c, d];
    await until('all four decode all others', allDecodeSince(four, four), MEDIA_TIMEOUT_MS);
    t.diagnostic(`fourth join → everyone decodes everyone: ${Math.round(performance.now() - fourthAt)} ms`);
    assertOfferedTheOthers(four, 'each is offered exactly the others, once each');

    // Janus restarts: both processes lose the room; one makes the new one (the other uses it, or destroys its spare),
    // and each tells its own people to publish again, once each.
    await janus.stop();
    const janusAt = performance.now();
    janus = await startJanus(options);
    await Promise.all(four.map((peer) => peer.client.next('sfu-reset', MEDIA_TIMEOUT_MS)));
    for (const peer of four) peer.renewSubscriber();
    await Promise.all(four.map((peer) => peer.publish()));
    await until('all four decode all others after Janus restarted', allDecodeSince(four, four), MEDIA_TIMEOUT_MS);
    t.diagnostic(`Janus restarted → everyone decodes everyone again, across two processes: ${Math.round(performance.now() - janusAt)} ms`);
    assert.equal((await roomsInJanus(options)).length, 1, 'one new Janus room, made once');
    for (const peer of four) assert.ok(!peer.client.pending().some((m) => m.type === 'sfu-reset'), 'each person told to publish again once');

    // Bo's socket moves to the first process while the second lives (a load balancer's choice after a network change):
    // the second lets go of Bo's Janus connections when told of the takeover; Bo publishes again through the first.
    const takenOver = await b.resumeOn(one.url);
    assert.equal(takenOver.route, 'sfu');
    await b.client.next('sfu-reset', MEDIA_TIMEOUT_MS);
    b.renewSubscriber();
    await b.publish();
    const moved = baseline(four, four);
    await until('all four decode all others after Bo moved', allDecodeSince(four, four, moved), MEDIA_TIMEOUT_MS);
    // Four publishers and each process's own listener: none of Bo's old connections linger.
    await eventually(
      'only the live participants in the Janus room',
      () => roomsInJanus(options),
      (rooms) => rooms[0]?.num_participants === four.length + 2,
    );

    // The process holding Ada, Bo and Cy dies outright; they resume on the other, publish again, and everyone decodes everyone.
    const killedAt = performance.now();
    await one.kill();
    const onTheKilled = [a, b, c];
    const resumedAll = await Promise.all(onTheKilled.map((peer) => peer.resumeOn(two.url)));
    for (const resumed of resumedAll) assert.equal(resumed.route, 'sfu');
    const resumeMs = Math.round(performance.now() - killedAt);
    await Promise.all(onTheKilled.map((peer) => peer.client.next('sfu-reset', MEDIA_TIMEOUT_MS)));
    for (const peer of onTheKilled) peer.renewSubscriber();
    await Promise.all(onTheKilled.map((peer) => peer.publish()));
    // Counted from here: the old publications are closed, so these frames come through the new ones.
    const republished = baseline(four, four);
    await until('all four decode all others after the kill', allDecodeSince(four, four, republished), MEDIA_TIMEOUT_MS);
    const recoveryMs = Math.round(performance.now() - killedAt);
    t.diagnostic(`process killed → its people resumed on the other: ${resumeMs} ms; → everyone decodes everyone again: ${recoveryMs} ms`);
    assertOfferedTheOthers(four, "only each person's newest feed is offered");
    assert.equal((await roomsInJanus(options)).length, 1, 'still the one Janus room');

    // Two leave: the room returns to the mesh, the others leave the SFU, and the Janus room goes.
    for (const peer of [c, d]) peer.client.send({ type: 'leave', reason: 'page-exit' });
    for (const peer of [a, b]) assert.equal((await peer.client.next('media-route', SFU_TO_MESH_DELAY_MS + 5_000)).route, 'mesh');
    const meshAt = performance.now();
    for (const peer of [a, b]) peer.client.send({ type: 'sfu-leave' });
    await eventually(
      'Janus no longer holds the room',
      () => roomsInJanus(options),
      (rooms) => rooms.length === 0,
      SFU_ROOM_DRAIN_MS + 5_000,
    );
    const destroyedMs = Math.round(performance.now() - meshAt);
    t.diagnostic(`back on the mesh, everyone left the SFU → Janus room destroyed after ${destroyedMs} ms`);
    assert.ok(destroyedMs < SFU_ROOM_DRAIN_MS, 'destroyed once nobody used it, not only when the drain ran out');
    const errors = two.output.split('\n').filter((line) => line.includes('"level":"error"') && !line.includes('"event":"sfu-down"'));
    assert.deepEqual(errors, [], 'the surviving process logged no error but losing Janus while it restarted');
  });
});
