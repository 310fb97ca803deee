// The call moving between the mesh and the SFU, end to end through the engine: a fake socket
// plays the server, fake peer connections play the browser, and mocked timers play the clock.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type ClientMessage, PROTOCOL_VERSION, type SfuStreamInfo } from '@videoapp/protocol';
import { SIMULCAST_LAYERS } from './browser-quirks.ts';
import { DECODE_POLL_MS, OLD_TRANSPORT_LINGER_MS } from './call.ts';
import { VIEW_DEBOUNCE_MS } from './layers.ts';
import { FRAMES_BEFORE_SHOWING } from './media-transport.ts';
import { SPARE_LINK_MAX_AGE_MS } from './mesh-transport.ts';
import { GROUP_VIDEO_MAX_BITRATE_BPS } from './send-cap.ts';
import { callOverFakeSocket } from './testing/fake-socket.ts';

const ROOM_ID = '0123-4567-89ab-cdef';
const HEARTBEAT_MS = 600_000;
const ADA = { id: 'ada1', name: 'Ada' };
const BO = { id: 'bo1', name: 'Bo' };
const CY = { id: 'cy1', name: 'Cy' };

let trackIds = 0;
function fakeTrack(kind: string) {
  return { kind, id: `track-${++trackIds}`, enabled: true, readyState: 'live' };
}

interface FakeTransceiver {
  mid: string | null;
  init: RTCRtpTransceiverInit | undefined;
  direction: string;
  sender: { track: unknown; replaceTrack(track: unknown): Promise<void>; getParameters(): { encodings: unknown[] }; setParameters(): Promise<void> };
  receiver: { track: ReturnType<typeof fakeTrack> };
}

/**
 * Just enough of an RTCPeerConnection for PeerLink and the SFU transport. A
 * remote offer's SDP here is a list of `mid:kind` pairs, one per m-line.
 */
class FakePeerConnection {
  connectionState: RTCPeerConnectionState = 'new';
  signalingState: RTCSignalingState = 'stable';
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescriptions: { type: string; sdp: string }[] = [];
  offers: (RTCOfferOptions | undefined)[] = [];
  closed = false;
  /** Inbound statistics the test sets: what getStats reports. */
  inbound: Record<string, unknown>[] = [];
  onconnectionstatechange: (() => void) | null = null;
  onicecandidate: ((event: { candidate: { candidate: string; sdpMid: string } | null }) => void) | null = null;
  ontrack: ((event: { track: unknown }) => void) | null = null;
  onnegotiationneeded: (() => void) | null = null;
  readonly transceivers: FakeTransceiver[] = [];
  /** setParameters calls on this connection's senders. */
  parameterChanges = 0;
  constructor(private readonly log: string[]) {}
  addTransceiver(trackOrKind: string | { kind: string }, init?: RTCRtpTransceiverInit): FakeTransceiver {
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    const transceiver: FakeTransceiver = {
      mid: null,
      init,
      direction: init?.direction ?? 'sendrecv',
      sender: {
        track: typeof trackOrKind === 'string' ? null : trackOrKind,
        async replaceTrack(track) {
          this.track = track;
        },
        getParameters: () => ({ encodings: init?.sendEncodings ?? [] }),
        setParameters: async () => {
          this.parameterChanges++;
        },
      },
      receiver: { track: fakeTrack(kind) },
    };
    this.transceivers.push(transceiver);
    return transceiver;
  }
  /** As a browser does after a remote offer: an offered transceiver of the kind with nothing to send takes the track. */
  addTrack(track: { kind: string }) {
    const free = this.transceivers.find((t) => t.receiver.track.kind === track.kind && t.sender.track === null);
    const transceiver = free ?? this.addTransceiver(track);
    transceiver.sender.track = track;
    return transceiver.sender;
  }
  createDataChannel() {
    return { readyState: 'connecting', close() {} };
  }
  getTransceivers() {
    return this.transceivers;
  }
  getConfiguration() {
    return {};
  }
  setConfiguration(): void {}
  async createOffer(options?: RTCOfferOptions) {
    this.offers.push(options);
    return { type: 'offer', sdp: `offer ${this.offers.length}` };
  }
  /** With no description, as a browser does: an answer to a remote offer, or else an offer of its own. */
  async setLocalDescription(description?: { type: string; sdp: string }) {
    if (!description && this.signalingState !== 'have-remote-offer') description = await this.createOffer();
    if (description) {
      this.localDescription = description;
      this.signalingState = 'have-local-offer';
      return;
    }
    this.localDescription = { type: 'answer', sdp: 'answer' };
    this.signalingState = 'stable';
  }
  async setRemoteDescription(description: { type: string; sdp: string }) {
    this.remoteDescriptions.push(description);
    if (description.type === 'answer') {
      this.signalingState = 'stable';
      return;
    }
    this.signalingState = 'have-remote-offer';
    for (const line of description.sdp.split(',')) {
      const [mid, kind] = line.split(':');
      if (!this.transceivers.some((t) => t.mid === mid)) Object.assign(this.addTransceiver(kind!, { direction: 'recvonly' }), { mid });
    }
  }
  async addIceCandidate() {}
  async getStats() {
    return new Map(this.inbound.map((s, i) => [`in${i}`, { type: 'inbound-rtp', id: `in${i}`, ...s }]));
  }
  restartIce(): void {}
  close(): void {
    this.closed = true;
    this.connectionState = 'closed';
    this.signalingState = 'closed';
    this.log.push(`close ${this.role}`);
  }
  role = '';
  moveTo(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }
  /** The mesh link's remote media arriving. */
  deliver(...kinds: string[]): void {
    for (const kind of kinds) this.ontrack?.({ track: fakeTrack(kind) });
  }
}

/** Where the last line starting with `prefix` is in the log (-1: none). */
const lastIndex = (log: string[], prefix: string) => log.map((l) => l.startsWith(prefix)).lastIndexOf(true);

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A call in a mesh room with Ada and Bo, both links connected and showing media. */
async function meshCallWithAdaAndBo(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
  const log: string[] = [];
  const pcs: FakePeerConnection[] = [];
  const { call, socket: current } = callOverFakeSocket(() => {
    const pc = new FakePeerConnection(log);
    pcs.push(pc);
    return pc;
  }, 'chromium');
  call.on('track', ({ peerId, track }) => log.push(`show ${peerId} ${track.kind} ${track.id}`));
  call.join(ROOM_ID, 'Me', { audio: fakeTrack('audio') as unknown as MediaStreamTrack, video: fakeTrack('video') as unknown as MediaStreamTrack });
  const socket = current();
  socket.open();
  socket.receive({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs: HEARTBEAT_MS });
  socket.receive({ type: 'joined', roomId: ROOM_ID, selfId: 'me1', peers: [ADA, BO], resumeToken: 'abcdefghijklmnop.qrstuv', iceServers: [], route: 'mesh' });
  t.after(() => call.leave());
  const [toAda, toBo] = pcs as [FakePeerConnection, FakePeerConnection];
  toAda.role = 'mesh ada1';
  toBo.role = 'mesh bo1';
  for (const pc of [toAda, toBo]) {
    pc.deliver('audio', 'video');
    pc.moveTo('connected');
  }
  const sent = (type: ClientMessage['type']) => socket.sent.filter((m) => m.type === type);
  const tick = async (ms: number) => {
    t.mock.timers.tick(ms);
    await flush();
    await flush();
  };
  return { call, socket, pcs, log, toAda, toBo, sent, tick };
}

test('a link we open to a newcomer sends its video held to its starting cap from the start, with no setParameters as the call begins', async (t) => {
  const { socket, pcs } = await meshCallWithAdaAndBo(t);
  // Cy's link is the third (no spare while others are here), held to the group bitrate from its creation.
  socket.receive({ type: 'peer-joined', peer: CY });
  await flush();
  const toCy = pcs[2]!;
  const video = toCy.transceivers.find((x) => x.receiver.track.kind === 'video')!;
  assert.deepEqual(
    video.init?.sendEncodings?.map((e) => e.maxBitrate),
    [GROUP_VIDEO_MAX_BITRATE_BPS],
  );
  assert.ok(video.sender.track, 'the camera goes in with the transceiver');
  assert.equal(toCy.parameterChanges, 0);
});

/** A call over a fake socket on mocked timers, whose peer connections are fakes kept in `pcs`. */
function callWithFakeConnections(t: TestContext, flavor: 'chromium' | 'other') {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
  const pcs: FakePeerConnection[] = [];
  const { call, socket } = callOverFakeSocket(() => {
    const pc = new FakePeerConnection([]);
    pcs.push(pc);
    return pc;
  }, flavor);
  return { call, socket, pcs };
}

/** A call alone in a mesh room, after its spare link was prepared. */
async function aloneInMeshRoom(t: TestContext) {
  const { call, socket: current, pcs } = callWithFakeConnections(t, 'chromium');
  call.join(ROOM_ID, 'Me', { audio: fakeTrack('audio') as unknown as MediaStreamTrack, video: fakeTrack('video') as unknown as MediaStreamTrack });
  const socket = current();
  socket.open();
  socket.receive({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs: HEARTBEAT_MS });
  socket.receive({ type: 'joined', roomId: ROOM_ID, selfId: 'me1', peers: [], resumeToken: 'abcdefghijklmnop.qrstuv', iceServers: [], route: 'mesh' });
  t.after(() => call.leave());
  t.mock.timers.tick(0);
  await flush();
  const sent = (type: ClientMessage['type']) => socket.sent.filter((m) => m.type === type);
  return { call, socket, pcs, sent };
}

test('alone in a mesh room, a link waits ready; a newcomer gets its offer, candidates inside, as they join; the next spare waits until the room is ours alone again', async (t) => {
  const { socket, pcs, sent } = await aloneInMeshRoom(t);
  assert.equal(pcs.length, 1, 'one spare link');
  const spare = pcs[0]!;
  assert.equal(spare.localDescription?.type, 'offer', 'its offer is made');
  assert.ok(
    spare.transceivers.some((x) => x.receiver.track.kind === 'video' && x.sender.track),
    'sending the camera',
  );
  assert.equal(sent('description').length, 0, 'the offer is held: nobody to send it to');
  // Gathering while it waits: as in a browser, the local description lists each candidate too.
  // As Chromium gives them: the candidate's own string names its ufrag, its SDP line does not.
  const host = 'candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host generation 0';
  spare.onicecandidate?.({ candidate: { candidate: `${host} ufrag abcd network-id 1`, sdpMid: '0' } });
  spare.localDescription = { type: 'offer', sdp: `offer 1\r\na=${host} network-id 1` };
  // One the description does not list (a browser slow to add it there) is not lost.
  const unlisted = 'candidate:3 1 udp 41885439 203.0.113.9 3478 typ relay raddr 0.0.0.0 rport 0';
  spare.onicecandidate?.({ candidate: { candidate: unlisted, sdpMid: '0' } });
  assert.equal(sent('candidate').length, 0, 'candidates held too');

  socket.receive({ type: 'peer-joined', peer: ADA });
  assert.equal(pcs.length, 1, 'Ada takes the spare: no new connection');
  assert.deepEqual(
    sent('description').map((m) => m.type === 'description' && [m.to, m.description.type, m.description.sdp]),
    [['ada1', 'offer', `offer 1\r\na=${host} network-id 1`]],
    'the offer as it stands now, its candidates inside',
  );
  assert.deepEqual(
    sent('candidate').map((m) => m.type === 'candidate' && m.candidate.candidate),
    [unlisted],
    'only the one not inside goes on its own',
  );
  const later = 'candidate:2 1 udp 1686052607 198.51.100.7 50001 typ srflx raddr 192.0.2.1 rport 50000';
  spare.onicecandidate?.({ candidate: { candidate: later, sdpMid: '0' } });
  assert.deepEqual(
    sent('candidate').map((m) => m.type === 'candidate' && [m.to, m.candidate.candidate]),
    [
      ['ada1', unlisted],
      ['ada1', later],
    ],
    'one gathered after the offer left trickles',
  );
  spare.moveTo('connected');
  t.mock.timers.tick(SPARE_LINK_MAX_AGE_MS);
  await flush();
  assert.equal(pcs.length, 1, 'no new spare while Ada is here');
  socket.receive({ type: 'peer-left', peerId: 'ada1', reason: 'left' });
  t.mock.timers.tick(0);
  await flush();
  assert.equal(pcs.length, 2, 'alone again: a new spare for the next newcomer');
  assert.equal(pcs[1]!.localDescription?.type, 'offer');
  assert.equal(sent('description').length, 1, 'its offer held too');
});

test('the spare link is made again with fresh TURN credentials, and closed when the room moves to the SFU', async (t) => {
  const { socket, pcs } = await aloneInMeshRoom(t);
  socket.receive({ type: 'ice-servers', iceServers: [{ urls: ['turn:turn.example:3478'], username: 'u', credential: 'c' }] });
  t.mock.timers.tick(0);
  await flush();
  assert.ok(pcs[0]!.closed, 'the spare gathered with the old credentials is closed');
  assert.equal(pcs.length, 2);
  socket.receive({ type: 'media-route', route: 'sfu' });
  await flush();
  assert.ok(pcs[1]!.closed, 'no spare on the SFU');
  const connections = pcs.length;
  t.mock.timers.tick(SPARE_LINK_MAX_AGE_MS);
  await flush();
  assert.equal(pcs.length, connections, 'nor a new one later');
});

test('the spare is made again when a new camera is sent, after a network change, and after SPARE_LINK_MAX_AGE_MS', async (t) => {
  const { call, pcs } = await aloneInMeshRoom(t);
  const remade = async (step: () => unknown, what: string) => {
    const before = pcs.at(-1)!;
    await step();
    t.mock.timers.tick(0);
    await flush();
    assert.ok(before.closed, `${what}: the old spare is closed`);
    assert.equal(pcs.at(-1)!.closed, false, `${what}: a new one waits`);
    assert.notEqual(pcs.at(-1), before);
  };
  const camera = fakeTrack('video');
  await remade(() => call.setLocalTrack('video', camera as unknown as MediaStreamTrack), 'another camera');
  assert.equal(pcs.at(-1)!.transceivers.find((x) => x.receiver.track.kind === 'video')?.sender.track, camera, 'the new spare sends it');
  await remade(() => call.networkChanged(), 'a network change');
  await remade(() => t.mock.timers.tick(SPARE_LINK_MAX_AGE_MS), 'its age');
  assert.equal(pcs.filter((pc) => !pc.closed).length, 1, 'one spare at a time');
});

test('told again of someone it already has (replayed after its own resume), the call opens no second link', async (t) => {
  const { socket, pcs, toAda, sent } = await meshCallWithAdaAndBo(t);
  const made = pcs.length;
  const descriptions = sent('description').length;
  socket.receive({ type: 'peer-joined', peer: ADA });
  await flush();
  assert.equal(pcs.length, made);
  assert.equal(toAda.closed, false);
  assert.equal(sent('description').length, descriptions);
});

const STREAMS: SfuStreamInfo[] = [
  { mid: '0', peerId: 'ada1', kind: 'audio' },
  { mid: '1', peerId: 'ada1', kind: 'video' },
  { mid: '2', peerId: 'bo1', kind: 'audio' },
  { mid: '3', peerId: 'bo1', kind: 'video' },
];
const offerSdp = (streams: SfuStreamInfo[]) => streams.map((s) => `${s.mid}:${s.kind}`).join(',');

/** The same call after the server moved the room to the SFU and the SFU offered everyone's media. */
async function movingToSfu(t: TestContext) {
  const setup = await meshCallWithAdaAndBo(t);
  setup.socket.receive({ type: 'media-route', route: 'sfu' });
  await flush();
  const publisher = setup.pcs[2]!;
  publisher.role = 'publisher';
  setup.socket.receive({ type: 'sfu-answer', sdp: 'sfu answer' });
  setup.socket.receive({ type: 'sfu-offer', sdp: offerSdp(STREAMS), streams: STREAMS });
  await flush();
  await flush();
  const subscriber = setup.pcs[3]!;
  subscriber.role = 'subscriber';
  subscriber.moveTo('connected');
  return { ...setup, publisher, subscriber };
}

test('on media-route sfu the call publishes in three simulcast layers and answers the subscriber offer', async (t) => {
  const { publisher, subscriber, sent, call } = await movingToSfu(t);
  const video = publisher.transceivers.find((x) => x.receiver.track.kind === 'video')!;
  assert.deepEqual(
    video.init?.sendEncodings?.map((e) => e.rid),
    SIMULCAST_LAYERS.map((l) => l.rid),
  );
  assert.equal(video.init?.direction, 'sendonly');
  assert.equal(video.sender.track && (video.sender.track as { kind: string }).kind, 'video', 'our camera is on the publisher');
  assert.equal(sent('sfu-publish').length, 1);
  assert.deepEqual(publisher.remoteDescriptions, [{ type: 'answer', sdp: 'sfu answer' }]);
  assert.deepEqual(
    subscriber.remoteDescriptions.map((d) => d.type),
    ['offer'],
  );
  assert.deepEqual(
    sent('sfu-subscribe-answer').map((m) => (m as { sdp: string }).sdp),
    ['answer'],
  );
  assert.equal(call.mediaRoute.kind, 'moving');
});

test('make-before-break: each person switches to the SFU once their SFU video decodes; the mesh closes after the last', async (t) => {
  const { call, log, toAda, toBo, subscriber, tick } = await movingToSfu(t);
  const adaSfuVideo = subscriber.transceivers.find((x) => x.mid === '1')!.receiver.track;
  assert.ok(!log.some((l) => l.includes(adaSfuVideo.id)), 'SFU tracks are not shown before they decode');
  assert.equal(call.peerList().find((p) => p.id === 'ada1')?.transport, 'mesh');

  subscriber.inbound = [{ kind: 'video', mid: '1', framesDecoded: FRAMES_BEFORE_SHOWING - 1 }];
  await tick(DECODE_POLL_MS);
  assert.ok(!log.some((l) => l.includes(adaSfuVideo.id)), 'a stream that has barely begun is not shown yet');
  subscriber.inbound = [{ kind: 'video', mid: '1', framesDecoded: FRAMES_BEFORE_SHOWING }];
  await tick(DECODE_POLL_MS);
  assert.ok(log.includes(`show ada1 video ${adaSfuVideo.id}`), log.join('\n'));
  assert.equal(call.peerList().find((p) => p.id === 'ada1')?.transport, 'sfu');
  assert.ok(!toAda.closed && !toBo.closed, 'the mesh stays up while Bo is still shown from it');

  subscriber.inbound.push({ kind: 'video', mid: '3', framesDecoded: FRAMES_BEFORE_SHOWING });
  await tick(DECODE_POLL_MS);
  assert.ok(!toAda.closed && !toBo.closed, 'the old pictures last while the new streams are painted');
  await tick(OLD_TRANSPORT_LINGER_MS);
  assert.ok(toAda.closed && toBo.closed, 'the mesh closed once everyone decodes through the SFU');
  const lastShow = lastIndex(log, 'show bo1');
  const firstClose = log.findIndex((l) => l.startsWith('close mesh'));
  assert.ok(lastShow < firstClose, `shown from the SFU before the mesh closed:\n${log.join('\n')}`);
  assert.deepEqual(call.mediaRoute, { kind: 'settled', route: 'sfu' });
  assert.deepEqual(
    call.peerList().map((p) => [p.id, p.transport, p.link]),
    [
      ['ada1', 'sfu', 'connected'],
      ['bo1', 'sfu', 'connected'],
    ],
  );
});

test('someone without a camera switches once their SFU audio arrives', async (t) => {
  const { call, socket, subscriber, tick } = await movingToSfu(t);
  socket.receive({ type: 'peer-media', peerId: 'bo1', media: { audio: true, video: false } });
  subscriber.inbound = [
    { kind: 'video', mid: '1', framesDecoded: FRAMES_BEFORE_SHOWING },
    { kind: 'audio', mid: '2', packetsReceived: 40 },
  ];
  await tick(DECODE_POLL_MS);
  assert.deepEqual(call.mediaRoute, { kind: 'settled', route: 'sfu' });
});

test('back to the mesh make-before-break: links reopen, and sfu-leave goes out only once the mesh decodes', async (t) => {
  const { call, socket, pcs, log, publisher, subscriber, sent, tick } = await movingToSfu(t);
  subscriber.inbound = [
    { kind: 'video', mid: '1', framesDecoded: FRAMES_BEFORE_SHOWING },
    { kind: 'video', mid: '3', framesDecoded: FRAMES_BEFORE_SHOWING },
  ];
  await tick(DECODE_POLL_MS);
  await tick(OLD_TRANSPORT_LINGER_MS);
  socket.receive({ type: 'peer-left', peerId: 'bo1', reason: 'left' });
  socket.receive({ type: 'media-route', route: 'mesh' });
  await flush();
  assert.ok(pcs[0]!.closed && pcs[1]!.closed, 'settled on the SFU');
  const meshToAda = pcs[4]!;
  meshToAda.role = 'mesh again';
  assert.ok(meshToAda.transceivers.length >= 2, 'we offer (our id sorts after theirs: we would be impolite)');
  meshToAda.deliver('audio', 'video');
  meshToAda.moveTo('connected');
  await tick(DECODE_POLL_MS);
  assert.equal(sent('sfu-leave').length, 0, 'the SFU stays until the mesh decodes');
  assert.ok(!publisher.closed && !subscriber.closed);
  assert.equal(call.peerList()[0]?.transport, 'sfu');

  meshToAda.inbound = [{ kind: 'video', framesDecoded: FRAMES_BEFORE_SHOWING }];
  await tick(DECODE_POLL_MS);
  await tick(OLD_TRANSPORT_LINGER_MS);
  assert.equal(sent('sfu-leave').length, 1);
  assert.ok(publisher.closed && subscriber.closed);
  assert.equal(call.peerList()[0]?.transport, 'mesh');
  assert.ok(lastIndex(log, 'show ada1') < log.indexOf('close publisher'), log.join('\n'));
  assert.deepEqual(call.mediaRoute, { kind: 'settled', route: 'mesh' });
});

test('sfu-reset publishes again on a fresh connection and takes the next offer on a fresh subscriber', async (t) => {
  const { socket, pcs, publisher, subscriber, sent } = await movingToSfu(t);
  socket.receive({ type: 'sfu-reset' });
  await flush();
  assert.ok(publisher.closed && subscriber.closed);
  assert.equal(sent('sfu-publish').length, 2);
  socket.receive({ type: 'sfu-offer', sdp: offerSdp(STREAMS), streams: STREAMS });
  await flush();
  await flush();
  assert.equal(pcs.length, 6, 'a new publisher and a new subscriber');
  assert.equal(sent('sfu-subscribe-answer').length, 2);
});

test('a failed publisher restarts ICE through sfu-publish; a failed subscriber asks the server for an ICE restart and re-sends the whole view', async (t) => {
  const { publisher, subscriber, sent, call, tick } = await movingToSfu(t);
  call.setTileView('ada1', { width: 1280, height: 720 });
  await tick(VIEW_DEBOUNCE_MS);
  publisher.moveTo('failed');
  await flush();
  assert.equal(publisher.offers.at(-1)?.iceRestart, true);
  assert.equal(sent('sfu-publish').length, publisher.offers.length, 'every restart sent its offer');
  const views = sent('sfu-view').length;
  const publishes = sent('sfu-publish').length;
  subscriber.moveTo('failed');
  await flush();
  assert.equal(sent('sfu-subscribe-restart').length, 1, 'the server is asked for a fresh offer');
  assert.equal(sent('sfu-publish').length, publishes, 'the publisher, still connected, is left alone');
  assert.equal(sent('sfu-view').length, views + 1);
  assert.deepEqual((sent('sfu-view').at(-1) as { feeds: unknown }).feeds, [
    { peerId: 'ada1', video: 'high' },
    { peerId: 'bo1', video: 'low' },
  ]);
});

test('on the SFU chat goes through the server, and lines from it arrive as chat', async (t) => {
  const { call, socket, sent } = await movingToSfu(t);
  assert.equal(call.chatReady, true);
  const result = call.sendChat('hello all');
  assert.equal(result.ok, true);
  assert.equal((sent('chat')[0] as { text: string }).text, 'hello all');
  const heard: string[] = [];
  call.on('chat', ({ name, message }) => heard.push(`${name}: ${message.text}`));
  socket.receive({ type: 'chat', from: 'ada1', text: 'hi' });
  assert.deepEqual(heard, ['Ada: hi']);
});

test('talking from the server marks the participant', async (t) => {
  const { call, socket } = await movingToSfu(t);
  socket.receive({ type: 'talking', peerId: 'bo1', talking: true });
  assert.equal(call.peerList().find((p) => p.id === 'bo1')?.talking, true);
});

test('a room joined on the SFU opens no mesh link', async (t) => {
  const { call, socket: current, pcs } = callWithFakeConnections(t, 'other');
  t.after(() => call.leave());
  call.join(ROOM_ID, 'Me', {});
  const socket = current();
  socket.open();
  socket.receive({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs: HEARTBEAT_MS });
  socket.receive({ type: 'joined', roomId: ROOM_ID, selfId: 'me1', peers: [ADA, BO], resumeToken: 'abcdefghijklmnop.qrstuv', iceServers: [], route: 'sfu' });
  socket.receive({ type: 'peer-joined', peer: { id: 'cy1', name: 'Cy' } });
  await flush();
  assert.equal(pcs.length, 1, 'only the publisher');
  assert.equal(pcs[0]!.transceivers.find((x) => x.receiver.track.kind === 'video')?.init?.sendEncodings, undefined, 'one layer where simulcast is not known to work');
  assert.deepEqual(call.mediaRoute, { kind: 'settled', route: 'sfu' });
});

test('media the SFU offers for someone before the server says they joined is shown once they do', async (t) => {
  const { call, socket, log } = await movingToSfu(t);
  const withCy: SfuStreamInfo[] = [...STREAMS, { mid: '4', peerId: 'cy1', kind: 'audio' }, { mid: '5', peerId: 'cy1', kind: 'video' }];
  socket.receive({ type: 'sfu-offer', sdp: offerSdp(withCy), streams: withCy });
  await flush();
  await flush();
  assert.ok(!log.some((l) => l.startsWith('show cy1')));
  socket.receive({ type: 'peer-joined', peer: { id: 'cy1', name: 'Cy' } });
  assert.equal(call.peerList().find((p) => p.id === 'cy1')?.transport, 'sfu');
  assert.equal(log.filter((l) => l.startsWith('show cy1')).length, 2, 'audio and video');
});

test('through the SFU, someone it does not forward yet is still connecting while the others are connected', async (t) => {
  const { call, socket, pcs } = await movingToSfu(t);
  const adaOnly = STREAMS.filter((s) => s.peerId === 'ada1');
  socket.receive({ type: 'sfu-offer', sdp: offerSdp(adaOnly), streams: adaOnly });
  await flush();
  await flush();
  pcs[3]!.moveTo('connected');
  const status = () => Object.fromEntries(call.peerList().map((p) => [p.id, [p.transport, p.link]]));
  // Bo is still shown from his mesh link, which is connected; Ada's SFU media has not decoded yet either.
  assert.deepEqual(status(), { ada1: ['mesh', 'connected'], bo1: ['mesh', 'connected'] });
  socket.receive({ type: 'peer-joined', peer: { id: 'cy1', name: 'Cy' } });
  assert.deepEqual(status().cy1, [undefined, 'connecting'], 'a newcomer with nothing forwarded yet');
});

test('leaving closes both SFU connections (and any mesh link still lingering) at once', async (t) => {
  const { call, publisher, subscriber, toAda, toBo, sent } = await movingToSfu(t);
  call.leave();
  assert.ok(publisher.closed && subscriber.closed && toAda.closed && toBo.closed);
  assert.equal(sent('leave').length, 1);
  assert.equal(sent('sfu-leave').length, 0, '`leave` already tells the server everything');
});
