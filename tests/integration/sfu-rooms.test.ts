// Rooms whose media goes through the SFU: the real server (over real
// WebSockets) driving a real Janus, with headless Node WebRTC peers publishing
// and subscribing through it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SFU_TO_MESH_DELAY_MS } from '@videoapp/protocol';
import type { RunningServer } from '@videoapp/server';
import { freshJanusSecrets, type JanusOptions, type RunningJanus, startJanus } from '../../scripts/janus-server.ts';
import { freePort } from '../support/free-port.ts';
import { missing } from '../support/requires.ts';
import { SfuPeer } from '../support/sfu-peer.ts';
import { startTestServer } from '../support/test-server.ts';
import { until } from '../support/wrtc-peer.ts';
import { createRoom, WsTestClient } from '../support/ws-client.ts';

/** Janus's media ports in these tests (apart from the adapter test's). */
const RTP_PORTS = { min: 22_000, max: 22_999 };
/** Bounds for a loaded 2-core machine; the figures printed are what matters. */
const MEDIA_TIMEOUT_MS = 20_000;
/** The goal: back in the SFU within 10 s of Janus returning. */
const RECOVERY_GOAL_MS = 10_000;
/** Frames that show media flows, not a lone key frame. */
const FLOWING = 10;

describe('rooms on the SFU, against a real Janus', { skip: missing('janus') }, () => {
  let workDir: string;
  let options: JanusOptions;
  let janus: RunningJanus;
  let server: RunningServer;
  const peers: SfuPeer[] = [];

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'videoapp-sfu-rooms-'));
    options = { workDir, wsHost: '127.0.0.1', wsPort: await freePort(), rtpPorts: RTP_PORTS, ...freshJanusSecrets() };
    janus = await startJanus(options);
    server = await startTestServer({
      logLevel: (process.env.SFU_TEST_LOG as 'info' | undefined) ?? 'silent',
      sfu: { url: `ws://127.0.0.1:${options.wsPort}`, apiSecret: options.apiSecret, adminKey: options.adminKey },
    });
  });

  after(async () => {
    for (const peer of peers) peer.close();
    await server?.close();
    await janus?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function enter(roomId: string, name: string) {
    const joined = await SfuPeer.join(server.url, roomId, name);
    peers.push(joined.peer);
    return joined;
  }

  /** Every one of `receivers` decodes video from every other one of `everyone`. */
  function allDecode(receivers: SfuPeer[], everyone: SfuPeer[], above: Map<string, number> = new Map()) {
    return () => receivers.every((r) => everyone.every((p) => p === r || r.frameCount(p.id) >= (above.get(`${r.id} ${p.id}`) ?? 0) + FLOWING));
  }

  test('three people move to the SFU and see each other; a fourth is offered to all; views pause and switch layers; chat is relayed; Janus restarts; two left go back to P2P', async (t) => {
    const roomId = await createRoom(server.url);
    const status = (await (await fetch(`${server.url}/api/rooms/${roomId}`)).json()) as { capacity: number };
    assert.equal(status.capacity, 25, 'with an SFU a room takes MAX_SFU_ROOM_PEERS');

    const { peer: a, joined: aJoined } = await enter(roomId, 'Ada');
    const { peer: b, joined: bJoined } = await enter(roomId, 'Bo');
    assert.equal(aJoined.route, 'mesh');
    assert.equal(bJoined.route, 'mesh', 'two people stay peer to peer');
    const thirdAt = performance.now();
    const { peer: c, joined: cJoined } = await enter(roomId, 'Cy');
    assert.equal(cJoined.route, 'sfu', 'the third person joins straight onto the SFU');
    assert.equal((await a.client.next('media-route')).route, 'sfu');
    assert.equal((await b.client.next('media-route')).route, 'sfu');

    await Promise.all([a.publish(true), b.publish(), c.publish()]);
    const three = [a, b, c];
    await until('all three decode both others', allDecode(three, three), MEDIA_TIMEOUT_MS);
    t.diagnostic(`third join → everyone decodes everyone through Janus: ${Math.round(performance.now() - thirdAt)} ms`);
    for (const peer of three)
      assert.deepEqual(
        peer.videoFrom().sort(),
        three
          .filter((p) => p !== peer)
          .map((p) => p.id)
          .sort(),
        'offers name people, never feeds',
      );

    // Layers: C starts on Ada's low layer; `high` brings a bigger picture, `off` stops it.
    const low = c.framesOf(a.id)!;
    const lowWidth = low.width;
    c.client.send({ type: 'sfu-view', feeds: [{ peerId: a.id, video: 'high' }] });
    await until('a bigger picture of Ada at Cy', () => (c.framesOf(a.id)?.width ?? 0) > lowWidth, MEDIA_TIMEOUT_MS);
    t.diagnostic(`Ada at Cy: low ${lowWidth} px wide, high ${c.framesOf(a.id)!.width} px wide`);
    c.client.send({ type: 'sfu-view', feeds: [{ peerId: a.id, video: 'off' }] });
    await new Promise((r) => setTimeout(r, 1_000));
    const paused = c.frameCount(a.id);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.ok(c.frameCount(a.id) - paused <= 1, `Ada's video paused at Cy (${c.frameCount(a.id) - paused} frames)`);
    assert.ok(c.frameCount(b.id) > FLOWING, "Bo's video still flows");
    c.client.send({ type: 'sfu-view', feeds: [{ peerId: a.id, video: 'low' }] });
    await until("Ada's video back at Cy", () => c.frameCount(a.id) > paused + FLOWING, MEDIA_TIMEOUT_MS);
    c.client.send({ type: 'sfu-view', feeds: [{ peerId: 'nobody0', video: 'high' }] });
    const refused = await c.client.next('error');
    assert.equal(refused.about, 'sfu-view', `a view of a stranger is refused: ${JSON.stringify(refused)}`);

    // A fourth person: everyone is offered their video.
    const { peer: d, joined: dJoined } = await enter(roomId, 'Di');
    assert.equal(dJoined.route, 'sfu');
    await d.publish();
    const four = [a, b, c, d];
    await until('all four decode all others', allDecode(four, four), MEDIA_TIMEOUT_MS);

    // Chat through the server.
    a.client.send({ type: 'chat', text: 'hello, room' });
    for (const peer of [b, c, d]) assert.deepEqual(await peer.client.next('chat'), { type: 'chat', from: a.id, text: 'hello, room' });

    // Janus restarted mid-call: everyone is told to publish again, and decodes everyone within the goal.
    await janus.stop();
    const restartAt = performance.now();
    janus = await startJanus(options);
    await Promise.all(four.map((peer) => peer.client.next('sfu-reset', MEDIA_TIMEOUT_MS)));
    for (const peer of four) peer.renewSubscriber();
    await Promise.all(four.map((peer, i) => peer.publish(i === 0)));
    await until('all four decode all others again', allDecode(four, four), RECOVERY_GOAL_MS + 5_000);
    const recoveryMs = Math.round(performance.now() - restartAt);
    t.diagnostic(`Janus restarted → everyone decodes everyone again: ${recoveryMs} ms`);
    assert.ok(recoveryMs <= RECOVERY_GOAL_MS + 5_000);

    // Two leave: after the delay the room returns to P2P.
    for (const peer of [c, d]) peer.client.send({ type: 'leave', reason: 'page-exit' });
    const leftAt = performance.now();
    assert.equal((await a.client.next('media-route', SFU_TO_MESH_DELAY_MS + 5_000)).route, 'mesh');
    assert.equal((await b.client.next('media-route', 1_000)).route, 'mesh');
    const backMs = Math.round(performance.now() - leftAt);
    t.diagnostic(`two left → media-route mesh after ${backMs} ms`);
    assert.ok(backMs >= SFU_TO_MESH_DELAY_MS - 100, 'not before the delay');
    a.client.send({ type: 'sfu-publish', sdp: 'v=0' });
    assert.equal((await a.client.next('error')).code, 'out-of-order', 'no publishing to the SFU once the room is on the mesh');
  });

  test('a subscriber restarts ICE: Janus offers fresh ICE credentials for the same streams, and decoding goes on', async (t) => {
    const roomId = await createRoom(server.url);
    const { peer: a } = await enter(roomId, 'Ada');
    const { peer: b } = await enter(roomId, 'Bo');
    const { peer: c } = await enter(roomId, 'Cy');
    // Cy has no subscription yet: nothing to restart.
    c.client.send({ type: 'sfu-subscribe-restart' });
    const early = await c.client.next('error');
    assert.deepEqual([early.code, early.about], ['out-of-order', 'sfu-subscribe-restart']);

    await Promise.all([a.publish(), b.publish(), c.publish()]);
    const three = [a, b, c];
    await until('all three decode both others', allDecode(three, three), MEDIA_TIMEOUT_MS);
    const before = c.lastOffer!;
    const offersBefore = c.offers;
    const framesBefore = new Map(three.map((p) => [`${c.id} ${p.id}`, c.frameCount(p.id)]));

    const askedAt = performance.now();
    c.restartSubscriberIce();
    await until('a new sfu-offer at Cy', () => c.offers > offersBefore, MEDIA_TIMEOUT_MS);
    const restarted = c.lastOffer!;
    assert.deepEqual(restarted.streams, before.streams, 'the same m-lines, naming the same people');
    assert.notEqual(iceUfrag(restarted.sdp), iceUfrag(before.sdp), 'fresh ICE credentials');
    await until('Cy decodes both others after the restart', allDecode([c], three, framesBefore), MEDIA_TIMEOUT_MS);
    await until("Cy's subscriber connection is connected", () => ['connected', 'completed'].includes(c.subscriberIceState), MEDIA_TIMEOUT_MS);
    t.diagnostic(`subscriber ICE restart → decoding again: ${Math.round(performance.now() - askedAt)} ms`);
    const errors = c.client.pending().filter((m) => m.type === 'error');
    assert.deepEqual(errors, [], 'the answer to the restart offer was taken');
    for (const peer of three) peer.client.send({ type: 'leave', reason: 'hang-up' });
  });
});

/** The first ICE username fragment in an SDP. */
function iceUfrag(sdp: string): string | undefined {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
}

describe('rooms without an SFU', () => {
  test('stay on the mesh; the SFU messages get a typed error; chat is relayed', async () => {
    const server = await startTestServer();
    try {
      const roomId = await createRoom(server.url);
      const clients: WsTestClient[] = [];
      for (const name of ['A', 'B', 'C']) {
        const client = await WsTestClient.greeted(server.url);
        client.send({ type: 'join', roomId, name });
        assert.equal((await client.next('joined')).route, 'mesh');
        clients.push(client);
      }
      const [a, b, c] = clients as [WsTestClient, WsTestClient, WsTestClient];
      a.send({ type: 'sfu-publish', sdp: 'v=0' });
      assert.deepEqual(await a.next('error'), { type: 'error', code: 'out-of-order', message: 'this server has no SFU: every room is a mesh', about: 'sfu-publish' });
      a.send({ type: 'chat', text: 'hi' });
      assert.equal((await b.next('chat')).text, 'hi');
      assert.equal((await c.next('chat')).text, 'hi');
      assert.ok(!a.pending().some((m) => m.type === 'media-route' || m.type === 'chat'));
      for (const client of clients) client.close();
    } finally {
      await server.close();
    }
  });
});
