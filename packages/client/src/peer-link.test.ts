import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { AUDIO_LAG_LIMIT_MS, AUDIO_LAG_READINGS } from './audio-lag.ts';
import { DECODE_STUCK_MS, KEY_FRAME_REQUEST_EVERY_MS } from './decode-watch.ts';
import { MEDIA_STALL_MS, MEDIA_WATCH_MS } from './media-stall.ts';
import { DISCONNECTED_RESTART_MS, type LinkState, PeerLink, RESTART_BACKOFF_MAX_MS } from './peer-link.ts';
import { FakePeerConnection } from './testing/fake-peer-connection.ts';

/**
 * A connection whose received bytes and video frames the test moves, whose
 * video sender remembers every `active` it was given, and whose data channel
 * is open and keeps what is sent on it.
 */
class WatchedPeerConnection extends FakePeerConnection {
  bytes = 0;
  framesReceived = 0;
  framesDecoded = 0;
  /** Incoming audio's jitter buffer: seconds of delay summed over the samples played, and those samples. */
  audioDelay = 0;
  audioPlayed = 0;
  /** The audio transceiver the link opened, whose direction the test reads and whose negotiation it plays. */
  audio: (ReturnType<FakePeerConnection['addTransceiver']> & { direction: RTCRtpTransceiverDirection; currentDirection: RTCRtpTransceiverDirection }) | undefined;
  readonly activeHistory: boolean[] = [];
  readonly channel = {
    readyState: 'open',
    sent: [] as string[],
    send(data: string) {
      this.sent.push(data);
    },
    close() {},
    onmessage: null as ((e: { data: unknown }) => void) | null,
  };
  private encodings: RTCRtpEncodingParameters[] = [{ active: true }];

  override addTransceiver(kind: string) {
    const transceiver = super.addTransceiver(kind);
    if (kind === 'audio') {
      this.audio = { ...transceiver, direction: 'sendrecv', currentDirection: 'sendrecv' };
      return this.audio;
    }
    if (kind !== 'video') return transceiver;
    const sender = {
      ...transceiver.sender,
      getParameters: () => ({ encodings: this.encodings.map((e) => ({ ...e })) }),
      setParameters: async (parameters: { encodings: RTCRtpEncodingParameters[] }) => {
        this.encodings = parameters.encodings;
        this.activeHistory.push(parameters.encodings[0]!.active !== false);
      },
    };
    return { ...transceiver, sender };
  }

  override createDataChannel() {
    return this.channel;
  }

  override getStats(): Promise<Map<string, unknown>> {
    return Promise.resolve(
      new Map<string, unknown>([
        ['P', { type: 'candidate-pair', bytesReceived: this.bytes }],
        ['V', { type: 'inbound-rtp', kind: 'video', framesReceived: this.framesReceived, packetsReceived: 3 * this.framesReceived, framesDecoded: this.framesDecoded }],
        ['A', { type: 'inbound-rtp', kind: 'audio', jitterBufferDelay: this.audioDelay, jitterBufferEmittedCount: this.audioPlayed }],
      ]),
    );
  }
}

/** A connected link over a WatchedPeerConnection, and a way to move the mocked clock with bytes (and, if asked, decodable frames) arriving. */
function connectedLink(t: TestContext) {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'] });
  const pc = new WatchedPeerConnection();
  const link = new PeerLink({
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
    iceServers: [],
    polite: false,
    initiator: true,
    localTracks: {},
  });
  const flow = { bytes: true, decoding: true, audioDelayMs: 40 };
  const advance = async (ms: number) => {
    for (let elapsed = 0; elapsed < ms; elapsed += MEDIA_WATCH_MS / 5) {
      if (flow.bytes) {
        pc.bytes += 1_000;
        pc.framesReceived += 1;
        if (flow.decoding) pc.framesDecoded = pc.framesReceived;
        pc.audioPlayed += 960;
        pc.audioDelay += (flow.audioDelayMs / 1000) * 960;
      }
      t.mock.timers.tick(MEDIA_WATCH_MS / 5);
      // Let each reading's awaited statistics and the sender's parameter chain settle.
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
  };
  pc.moveTo('connected');
  return { pc, link, flow, advance };
}

test('a stalled link pauses the video it sends, and resumes it (with a key frame) once bytes arrive again', async (t) => {
  const { pc, link, flow, advance } = connectedLink(t);
  const states: LinkState[] = ['connected'];
  link.on('state', (s) => states.push(s));
  await advance(2 * MEDIA_WATCH_MS);
  assert.deepEqual(pc.activeHistory, [], 'a flowing link keeps its video as it is');

  flow.bytes = false;
  await advance(MEDIA_STALL_MS + 2 * MEDIA_WATCH_MS);
  assert.deepEqual(states, ['connected', 'unstable']);
  assert.deepEqual(pc.activeHistory, [false], 'paused while nothing arrives');

  flow.bytes = true;
  await advance(MEDIA_WATCH_MS);
  assert.deepEqual(states, ['connected', 'unstable', 'connected']);
  assert.deepEqual(pc.activeHistory, [false, true], 'resumed once bytes arrive');
  link.close();
});

test('their video arriving undecodable asks them for a key frame over the data channel, at most once a KEY_FRAME_REQUEST_EVERY_MS', async (t) => {
  const { pc, link, flow, advance } = connectedLink(t);
  await advance(4 * MEDIA_WATCH_MS);
  assert.deepEqual(pc.channel.sent, [], 'decoding video asks for nothing');
  flow.decoding = false;
  let stuckFor = 0;
  while (pc.channel.sent.length === 0 && stuckFor < 10 * DECODE_STUCK_MS) {
    await advance(MEDIA_WATCH_MS);
    stuckFor += MEDIA_WATCH_MS;
  }
  assert.deepEqual(
    pc.channel.sent.map((m) => JSON.parse(m)),
    [{ type: 'key-frame-request' }],
  );
  assert.ok(stuckFor <= DECODE_STUCK_MS + 2 * MEDIA_WATCH_MS, `asked only after ${stuckFor} ms`);
  await advance(KEY_FRAME_REQUEST_EVERY_MS - 2 * MEDIA_WATCH_MS);
  assert.equal(pc.channel.sent.length, 1, 'not asked again so soon');
  flow.decoding = true;
  await advance(2 * KEY_FRAME_REQUEST_EVERY_MS);
  assert.equal(pc.channel.sent.length, 1, 'decoding again asks for nothing');
  link.close();
});

test('asked for a key frame, a link restarts its video (which begins with one), at most once a KEY_FRAME_REQUEST_EVERY_MS', async (t) => {
  const { pc, link, advance } = connectedLink(t);
  const ask = () => pc.channel.onmessage?.({ data: JSON.stringify({ type: 'key-frame-request' }) });
  ask();
  await advance(MEDIA_WATCH_MS);
  assert.deepEqual(pc.activeHistory, [false, true]);
  ask();
  ask();
  await advance(MEDIA_WATCH_MS);
  assert.deepEqual(pc.activeHistory, [false, true], 'a flood of requests gets no more key frames');
  await advance(KEY_FRAME_REQUEST_EVERY_MS);
  ask();
  await advance(MEDIA_WATCH_MS);
  assert.deepEqual(pc.activeHistory, [false, true, false, true]);
  link.close();
});

test('a link whose own video is held for a stall does not restart it on request (it resumes with a key frame when bytes return)', async (t) => {
  const { pc, link, flow, advance } = connectedLink(t);
  flow.bytes = false;
  await advance(MEDIA_STALL_MS + 2 * MEDIA_WATCH_MS);
  assert.deepEqual(pc.activeHistory, [false], 'held for the stall');
  pc.channel.onmessage?.({ data: JSON.stringify({ type: 'key-frame-request' }) });
  await advance(MEDIA_WATCH_MS);
  assert.deepEqual(pc.activeHistory, [false], 'the request changes nothing while held');
  flow.bytes = true;
  await advance(MEDIA_WATCH_MS);
  assert.deepEqual(pc.activeHistory, [false, true]);
  link.close();
});

test('their voice arriving seconds late renegotiates our audio receiver: it stops receiving for one negotiation, then receives again', async (t) => {
  const { pc, link, flow, advance } = connectedLink(t);
  await advance(4 * MEDIA_WATCH_MS);
  assert.equal(pc.audio?.direction, 'sendrecv', 'an ordinary delay changes nothing');

  flow.audioDelayMs = 2 * AUDIO_LAG_LIMIT_MS;
  await advance((AUDIO_LAG_READINGS + 1) * MEDIA_WATCH_MS);
  assert.equal(pc.audio?.direction, 'sendonly', 'asked to stop receiving');
  assert.deepEqual(pc.activeHistory, [], 'what we send is untouched');

  // The negotiation that follows: our offer, their answer, stable with the receiver stopped.
  pc.signalingState = 'have-local-offer';
  pc.dispatchEvent(new Event('signalingstatechange'));
  assert.equal(pc.audio?.direction, 'sendonly', 'still off until that negotiation is done');
  pc.audio!.currentDirection = 'sendonly';
  pc.signalingState = 'stable';
  pc.dispatchEvent(new Event('signalingstatechange'));
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(pc.audio?.direction, 'sendrecv', 'receives again from the next negotiation');
  link.close();
});

test('the offering side guards its video receiver when it opens the transceiver, before any description', () => {
  const pc = new FakePeerConnection();
  const guarded: string[] = [];
  new PeerLink({
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
    iceServers: [],
    polite: false,
    initiator: true,
    localTracks: {},
    guardReceivedVideo: (receiver) => guarded.push(receiver.track.kind),
  });
  // Chromium passes no frame through a transform the offerer's receiver gets only at `track`.
  assert.deepEqual(guarded, ['video']);
});

/** A link over a plain FakePeerConnection whose ICE the test moves, on the mocked clock. */
function restartingLink(t: TestContext, polite: boolean) {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'] });
  const pc = new FakePeerConnection();
  const link = new PeerLink({ createPeerConnection: () => pc as unknown as RTCPeerConnection, iceServers: [], polite, initiator: true, localTracks: {} });
  t.after(() => link.close());
  return { pc, tick: (ms: number) => t.mock.timers.tick(ms) };
}

test('a link that fails before it ever connected waits DISCONNECTED_RESTART_MS before an ICE restart, and none if ICE takes up checking again', (t) => {
  const { pc, tick } = restartingLink(t, false);
  pc.moveTo('connecting');
  // Chromium calls the link failed once every pair it has failed, though the other side's relay candidate may still come.
  pc.moveTo('failed');
  tick(DISCONNECTED_RESTART_MS - 1);
  assert.equal(pc.restarts, 0, 'no restart at once');
  pc.moveTo('connecting');
  pc.moveTo('connected');
  tick(RESTART_BACKOFF_MAX_MS);
  assert.equal(pc.restarts, 0, 'the candidate that came meanwhile connected it');
});

test('a link that was flowing restarts ICE at once when it fails (the polite side DISCONNECTED_RESTART_MS later)', async (t) => {
  for (const polite of [false, true]) {
    await t.test(polite ? 'polite' : 'impolite', (t) => {
      const { pc, tick } = restartingLink(t, polite);
      pc.moveTo('connected');
      pc.moveTo('failed');
      tick(0);
      assert.equal(pc.restarts, polite ? 0 : 1);
      tick(DISCONNECTED_RESTART_MS);
      assert.equal(pc.restarts, 1);
    });
  }
});

test('ICE restarts that keep failing wait twice as long each time, up to RESTART_BACKOFF_MAX_MS, and start over once the link connects', (t) => {
  const { pc, tick } = restartingLink(t, false);
  pc.moveTo('connected');
  /** Fails the link and returns how long it took until the next restart. */
  const nextRestartAfter = () => {
    const restarts = pc.restarts;
    pc.moveTo('checking' as RTCPeerConnectionState);
    pc.moveTo('failed');
    let waited = 0;
    while (pc.restarts === restarts && waited <= RESTART_BACKOFF_MAX_MS) {
      tick(0);
      if (pc.restarts > restarts) break;
      tick(100);
      waited += 100;
    }
    return waited;
  };
  const waits = Array.from({ length: 6 }, nextRestartAfter);
  assert.deepEqual(waits, [0, DISCONNECTED_RESTART_MS, 2 * DISCONNECTED_RESTART_MS, RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MAX_MS]);
  pc.moveTo('connected');
  assert.equal(nextRestartAfter(), 0, 'a link that connected again restarts at once on its next failure');
});
