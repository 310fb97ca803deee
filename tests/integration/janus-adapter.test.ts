// The SFU adapter against a real Janus (Debian's, started here with the same
// generated configuration as `npm run start:sfu`), with headless Node WebRTC
// peers sending and receiving real VP8 through it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@videoapp/server';
import { JanusAdapter } from '../../packages/server/src/sfu/janus.ts';
import { type SfuCandidate, SfuError, type SfuEvent, type SfuPublication } from '../../packages/server/src/sfu/sfu-adapter.ts';
import { freshJanusSecrets, JANUS_PLUGIN, JANUS_TRANSPORT, type JanusOptions, type RunningJanus, startJanus } from '../../scripts/janus-server.ts';
import { freePort } from '../support/free-port.ts';
import { roomsInJanus } from '../support/janus-rooms.ts';
import { missing } from '../support/requires.ts';
import { startTestServer } from '../support/test-server.ts';
import { FrameCounter, RTCPeerConnection, SyntheticCamera, until } from '../support/wrtc-peer.ts';

/** Janus's media ports in these tests (it picks free ones inside). */
const RTP_PORTS = { min: 20_000, max: 20_999 };
/** Generous bounds for a loaded 2-core machine; the figures printed are what matters. */
const FIRST_FRAME_TIMEOUT_MS = 20_000;
const EVENT_TIMEOUT_MS = 10_000;
/** Frames the subscriber must decode to count as "media flows", not a lone key frame. */
const FRAMES_TO_PROVE_FLOW = 30;

describe('the Janus SFU adapter, against a real Janus', { skip: missing('janus') }, () => {
  let workDir: string;
  let options: JanusOptions;
  let janus: RunningJanus;
  let adapter: JanusAdapter;
  const events: SfuEvent[] = [];
  const logLines: string[] = [];
  /** Everything the adapter handed back that our server could pass on to a browser. */
  const handedOut: unknown[] = [];

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'videoapp-janus-test-'));
    options = { workDir, wsHost: '127.0.0.1', wsPort: await freePort(), rtpPorts: RTP_PORTS, ...freshJanusSecrets() };
    janus = await startJanus(options);
    adapter = await JanusAdapter.connect(
      settingsOf(options),
      createLogger('debug', (line) => logLines.push(line)),
    );
    adapter.onEvent((event) => {
      events.push(event);
      handedOut.push(event);
    });
  });

  after(async () => {
    await adapter?.close();
    await janus?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  function nextEvent<T extends SfuEvent['type']>(type: T, match: (event: Extract<SfuEvent, { type: T }>) => boolean = () => true): Promise<Extract<SfuEvent, { type: T }>> {
    const from = events.length;
    return (async () => {
      let found: Extract<SfuEvent, { type: T }> | undefined;
      await until(
        `a ${type} event`,
        () => {
          found = events.slice(from).find((e): e is Extract<SfuEvent, { type: T }> => e.type === type && match(e as Extract<SfuEvent, { type: T }>));
          return found !== undefined;
        },
        EVENT_TIMEOUT_MS,
      );
      return found!;
    })();
  }

  test('the generated configuration loads only the VideoRoom plugin and the WebSocket transport', () => {
    const loaded = [...janus.log().matchAll(/Loading (?:transport )?plugin '([^']+)'/g)].map((m) => m[1]);
    assert.deepEqual(loaded.sort(), [JANUS_PLUGIN, JANUS_TRANSPORT].sort());
  });

  test('video published by one Node peer reaches another through Janus; leaving and destroying are seen', async (t) => {
    const key = await adapter.createRoom('room-for-the-media-test');
    const room = await adapter.openRoom('room-for-the-media-test', key);
    handedOut.push(room);
    assert.equal((await roomsInJanus(options)).length, 1, 'Janus holds the room');

    // The publisher: a synthetic camera, trickling its candidates through the adapter.
    const camera = new SyntheticCamera();
    const sender = new RTCPeerConnection();
    sender.addTransceiver(camera.track, { direction: 'sendonly' });
    const joined = nextEvent('publisher-joined');
    const publishedAt = performance.now();
    const publication = await negotiatePublisher(sender, (offer) => adapter.publish(room, 'Ada', offer));
    handedOut.push(publication);
    assert.ok(Number.isSafeInteger(publication.feedId));
    assert.match(publication.answerSdp, /a=rtpmap:\d+ VP8\/90000/, 'Janus answers with VP8, the room codec');

    // Janus announces a publisher once its media is up.
    const announced = await joined;
    assert.equal(announced.roomId, 'room-for-the-media-test');
    assert.deepEqual({ feedId: announced.publisher.feedId, displayName: announced.publisher.displayName }, { feedId: publication.feedId, displayName: 'Ada' });
    assert.deepEqual(
      announced.publisher.streams.map((s) => s.kind),
      ['video'],
    );

    assert.equal(await adapter.inUse(key), true, 'someone publishes in the room');

    // Another server process entering the room (by its key) hears of the publisher already there.
    const otherProcess = await JanusAdapter.connect(settingsOf(options), createLogger('silent'));
    const heard: SfuEvent[] = [];
    otherProcess.onEvent((event) => heard.push(event));
    const otherRoom = await otherProcess.openRoom('room-for-the-media-test', key);
    assert.deepEqual(
      heard.map((e) => (e.type === 'publisher-joined' ? e.publisher.feedId : e.type)),
      [publication.feedId],
    );
    await otherProcess.closeRoom(otherRoom);
    await otherProcess.close();
    assert.equal((await roomsInJanus(options)).length, 1, 'a process leaving the room leaves it in Janus');

    // The subscriber: Janus offers, the Node peer answers, frames are counted as they decode.
    const receiver = new RTCPeerConnection();
    let frames: FrameCounter | undefined;
    receiver.ontrack = ({ track }) => {
      if (track.kind === 'video') frames = new FrameCounter(track);
    };
    const subscription = await adapter.subscribe(room, [publication.feedId]);
    handedOut.push(subscription);
    assert.deepEqual(subscription.feeds, [publication.feedId]);
    receiver.onicecandidate = ({ candidate }) => void subscription.trickle(sfuCandidate(candidate)).catch((err) => t.diagnostic(`subscriber trickle: ${err}`));
    await receiver.setRemoteDescription({ type: 'offer', sdp: subscription.offerSdp });
    await receiver.setLocalDescription(await receiver.createAnswer());
    await subscription.start(receiver.localDescription!.sdp);

    await until(`${FRAMES_TO_PROVE_FLOW} decoded frames at the subscriber`, () => (frames?.count ?? 0) >= FRAMES_TO_PROVE_FLOW, FIRST_FRAME_TIMEOUT_MS);
    t.diagnostic(`publish to first subscribed frame: ${Math.round(frames!.firstAt! - publishedAt)} ms; ${frames!.count} frames of ${frames!.width}x${frames!.height} decoded`);
    const before = frames!.count;
    await until('frames to keep arriving', () => frames!.count > before + 5, FIRST_FRAME_TIMEOUT_MS);

    // The publisher leaves: the room hears it, by feed.
    const left = nextEvent('publisher-left', (e) => e.feedId === publication.feedId);
    await publication.leave();
    assert.equal((await left).roomId, 'room-for-the-media-test');
    assert.equal(await adapter.inUse(key), false, 'only our own listener is left in the room');
    await publication.leave(); // a second leave is harmless

    await subscription.leave();
    frames?.stop();
    camera.stop();
    sender.close();
    receiver.close();

    await adapter.destroyRoom(key);
    assert.deepEqual(await roomsInJanus(options), [], 'Janus no longer holds the room');
    await adapter.destroyRoom(key); // destroying twice is harmless
    await assert.rejects(adapter.openRoom('room-for-the-media-test', key), (err) => err instanceof SfuError && err.code === 'room-gone');
    await assert.rejects(adapter.subscribe(room, [publication.feedId]), (err) => err instanceof SfuError && err.code === 'room-gone');
    assert.ok(!events.some((e) => e.type === 'room-lost'), 'a room we destroy ourselves is not reported lost');
  });

  test('nothing the adapter hands out, nor its log, carries a Janus secret', () => {
    assert.ok(handedOut.length >= 5, 'the media test ran and handed things out');
    const secrets = [options.apiSecret, options.adminKey, options.adminSecret];
    const text = JSON.stringify(handedOut) + logLines.join('');
    for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret leaked');
    // The per-room secret never leaves the adapter: its results have exactly these fields.
    const shapes = handedOut.map((thing) =>
      Object.keys(thing as object)
        .sort()
        .join(','),
    );
    const allowed = new Set([
      'roomId',
      'answerSdp,feedId,leave,renegotiate,room,trickle',
      'choose,feeds,leave,offerSdp,restartIce,room,start,streams,trickle,update',
      'publisher,roomId,type',
      'feedId,roomId,type',
      'feedId,roomId,talking,type',
    ]);
    for (const shape of shapes) assert.ok(allowed.has(shape), `unexpected fields handed out: ${shape}`);
  });

  test('what Janus refuses comes back as typed errors', async () => {
    const key = await adapter.createRoom('room-for-the-error-test');
    const room = await adapter.openRoom('room-for-the-error-test', key);
    await assert.rejects(adapter.subscribe(room, [123_456_789]), (err) => err instanceof SfuError && err.code === 'feed-gone' && err.sfuCode === 428);
    await assert.rejects(adapter.publish(room, 'Bob', 'v=0\r\nnot an offer\r\n'), (err) => err instanceof SfuError && err.code === 'bad-sdp');
    await adapter.destroyRoom(key);

    const wrongKey = await JanusAdapter.connect({ ...settingsOf(options), adminKey: 'not-the-admin-key' }, createLogger('silent'));
    await assert.rejects(wrongKey.createRoom('room-without-rights'), (err) => err instanceof SfuError && err.code === 'sfu-refused');
    await wrongKey.close();
    await assert.rejects(wrongKey.createRoom('room-after-close'), (err) => err instanceof SfuError && err.code === 'sfu-unavailable');

    // The API secret is checked when the session is made, so a wrong one stops the server at start.
    await assert.rejects(
      JanusAdapter.connect({ ...settingsOf(options), apiSecret: 'not-the-api-secret' }, createLogger('silent')),
      (err) => err instanceof SfuError && err.code === 'sfu-refused' && err.sfuCode === 403,
    );
    await assert.rejects(
      JanusAdapter.connect({ ...settingsOf(options), url: `ws://127.0.0.1:${await freePort()}` }, createLogger('silent')),
      (err) => err instanceof SfuError && err.code === 'sfu-unavailable',
    );
  });

  test('a server given JANUS_* connects at start, and one given a wrong secret refuses to start', async () => {
    const server = await startTestServer({ sfu: settingsOf(options) });
    await server.close();
    await assert.rejects(startTestServer({ sfu: { ...settingsOf(options), apiSecret: 'not-the-api-secret' } }), /could not use Janus at ws:\/\/127\.0\.0\.1:\d+\/: connect: 403/);
  });

  test('Janus stopping loses its rooms; the adapter reconnects on its own once Janus is back', async () => {
    const key = await adapter.createRoom('room-for-the-restart-test');
    const room = await adapter.openRoom('room-for-the-restart-test', key);
    const down = nextEvent('sfu-down');
    const lost = nextEvent('room-lost', (e) => e.roomId === 'room-for-the-restart-test');
    await janus.stop();
    await down;
    await lost;
    await assert.rejects(adapter.createRoom('room-while-down'), (err) => err instanceof SfuError && err.code === 'sfu-unavailable');
    await assert.rejects(adapter.subscribe(room, [1]), (err) => err instanceof SfuError && err.code === 'sfu-unavailable');

    const up = nextEvent('sfu-up');
    janus = await startJanus(options);
    await up;
    // The room went with Janus: its key no longer opens it, and a new one is made.
    await assert.rejects(adapter.openRoom('room-for-the-restart-test', key), (err) => err instanceof SfuError && err.code === 'room-gone');
    const again = await adapter.createRoom('room-for-the-restart-test');
    await adapter.openRoom('room-for-the-restart-test', again);
    assert.equal((await roomsInJanus(options)).length, 1);
    await adapter.destroyRoom(again);
  });
});

function settingsOf(options: JanusOptions) {
  return { url: `ws://127.0.0.1:${options.wsPort}`, apiSecret: options.apiSecret, adminKey: options.adminKey };
}

/** Publishes through `publish`, trickling the candidates gathered before and after it answers. */
async function negotiatePublisher(pc: InstanceType<typeof RTCPeerConnection>, publish: (offerSdp: string) => Promise<SfuPublication>): Promise<SfuPublication> {
  const early: SfuCandidate[] = [];
  let publication: SfuPublication | undefined;
  pc.onicecandidate = ({ candidate }) => {
    if (publication) void publication.trickle(sfuCandidate(candidate));
    else early.push(sfuCandidate(candidate));
  };
  await pc.setLocalDescription(await pc.createOffer());
  publication = await publish(pc.localDescription!.sdp);
  await pc.setRemoteDescription({ type: 'answer', sdp: publication.answerSdp });
  for (const candidate of early) await publication.trickle(candidate);
  return publication;
}

/** A gathered candidate as the adapter takes it; null (or libwebrtc's empty one) ends gathering. */
function sfuCandidate(candidate: RTCIceCandidate | null): SfuCandidate {
  if (!candidate?.candidate) return null;
  return { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex };
}
