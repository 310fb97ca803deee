// An in-page stand-in for the server, Ada (a mesh peer) and the SFU, so the engine's route switch
// can run in a real browser without Janus: the engine gets a fake WebSocket whose "server" answers
// from RTCPeerConnections in the same page. The SFU stand-in forwards Ada's camera on a subscriber
// offer like Janus would, with `streams` naming her m-lines; it cannot take simulcast, so it answers
// the publisher with one layer. Tests against the real SFU live beside the server's Janus tests.
import type { Page } from 'playwright-core';

/** What the page exposes as `window.standIn` for the test to drive. */
export interface StandInHandle {
  /** Types of the messages the engine sent, in order. */
  sent: string[];
  /** Every feed the engine asked for in `sfu-view`, in order. */
  views: { peerId: string; video: string }[];
  /** Sends the engine a server message. */
  deliver(message: Record<string, unknown>): void;
  /** Forget Ada's mesh connection: the next offer from the engine gets a fresh one (the engine closed its side). */
  resetMesh(): void;
  /** Errors the stand-ins ran into (a test asserts there are none). */
  errors: string[];
}

/** Who the stand-in server says is in the room, and on which route; `replaceWebSocket`: the page's own app talks to it too. */
export interface StandInConfig {
  peers: { id: string; name: string }[];
  route: 'mesh' | 'sfu';
  replaceWebSocket?: boolean;
}

/**
 * Installs, in the page, `window.StandInSocket` (a WebSocket whose far end is
 * the stand-in server) and `window.standIn` (see StandInHandle). Ada, the
 * first of `peers`, offers a mesh link as the engine joins and answers its
 * mesh offers after, with a fake camera of her own, and the
 * SFU stand-in forwards that camera as hers. Runs as an init script too
 * (before the app), so it opens no media until a connection needs it.
 */
export const STAND_IN = (config: StandInConfig) => {
  type Msg = Record<string, unknown> & { type: string };
  const w = window as unknown as { standIn: StandInHandle; StandInSocket: unknown };
  const ada = config.peers[0]!;
  let adaMedia: Promise<MediaStream> | undefined;
  const adas = () => {
    adaMedia ??= navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    return adaMedia;
  };
  const gathered = (pc: RTCPeerConnection) =>
    new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
  let socket: { onmessage: ((e: { data: string }) => void) | null } | undefined;
  let mesh: RTCPeerConnection | undefined;
  /** Ada's steps one after another, as a real peer's would be: a candidate waits for the offer before it. */
  let meshSteps: Promise<unknown> = Promise.resolve();
  const meshStep = (step: () => Promise<unknown>, what: string) => {
    meshSteps = meshSteps.then(step).catch(fail(what));
  };
  let publisher: RTCPeerConnection | undefined;
  let subscriber: RTCPeerConnection | undefined;
  const standIn: StandInHandle = {
    sent: [],
    views: [],
    errors: [],
    deliver: (message) => socket?.onmessage?.({ data: JSON.stringify(message) }),
    resetMesh: () => {
      mesh?.close();
      mesh = undefined;
    },
  };
  w.standIn = standIn;
  const fail = (what: string) => (err: unknown) => standIn.errors.push(`${what}: ${err}`);

  const meshLink = () => {
    if (!mesh) {
      mesh = new RTCPeerConnection();
      mesh.onicecandidate = ({ candidate }) => candidate && standIn.deliver({ type: 'candidate', from: ada.id, candidate: candidate.toJSON() });
    }
    return mesh;
  };

  /** Ada, already in a mesh room, opens the link to the engine as it joins, as those in a room do. */
  async function meshOffer(): Promise<void> {
    const pc = meshLink();
    for (const track of (await adas()).getTracks()) pc.addTransceiver(track, { direction: 'sendrecv' });
    await pc.setLocalDescription();
    standIn.deliver({ type: 'description', from: ada.id, description: { type: 'offer', sdp: pc.localDescription!.sdp } });
  }

  /** Ada answers the engine's mesh offers with her camera (and takes its answer to hers). */
  async function meshDescription(description: RTCSessionDescriptionInit): Promise<void> {
    const pc = meshLink();
    const media = await adas();
    await pc.setRemoteDescription(description);
    if (description.type !== 'offer') return;
    for (const t of pc.getTransceivers()) {
      const track = media.getTracks().find((x) => x.kind === t.receiver.track.kind);
      if (track && !t.sender.track) {
        t.direction = 'sendrecv';
        await t.sender.replaceTrack(track);
      }
    }
    await pc.setLocalDescription();
    standIn.deliver({ type: 'description', from: ada.id, description: { type: 'answer', sdp: pc.localDescription!.sdp } });
  }

  /** The SFU answers our publisher (candidates inside the SDP: the protocol trickles none towards us), then offers Ada's media. */
  async function publish(sdp: string): Promise<void> {
    publisher?.close();
    publisher = new RTCPeerConnection();
    await publisher.setRemoteDescription({ type: 'offer', sdp });
    await publisher.setLocalDescription();
    await gathered(publisher);
    standIn.deliver({ type: 'sfu-answer', sdp: publisher.localDescription!.sdp });
    if (subscriber) return;
    subscriber = new RTCPeerConnection();
    const media = await adas();
    const sending = media.getTracks().map((track) => ({ kind: track.kind, transceiver: subscriber!.addTransceiver(track, { direction: 'sendonly' }) }));
    await subscriber.setLocalDescription();
    await gathered(subscriber);
    const streams = sending.map(({ kind, transceiver }) => ({ mid: transceiver.mid, peerId: ada.id, kind }));
    standIn.deliver({ type: 'sfu-offer', sdp: subscriber.localDescription!.sdp, streams });
  }

  function handle(msg: Msg): void {
    standIn.sent.push(msg.type);
    switch (msg.type) {
      case 'hello':
        return standIn.deliver({ type: 'welcome', version: msg.version, heartbeatMs: 600_000 });
      case 'join':
        standIn.deliver({ type: 'joined', roomId: msg.roomId, selfId: 'me1', peers: config.peers, resumeToken: 'abcdefghijklmnop.qrstuv', iceServers: [], route: config.route });
        // The stand-ins send plain media, as a peer that cannot encrypt frames says it does: the room's SFU media stays plain.
        for (const peer of config.peers) standIn.deliver({ type: 'e2ee-key', from: peer.id });
        if (config.route === 'mesh') meshStep(meshOffer, 'mesh offer');
        return;
      case 'description':
        return meshStep(() => meshDescription(msg.description as RTCSessionDescriptionInit), 'mesh');
      case 'candidate':
        return meshStep(async () => mesh?.addIceCandidate(msg.candidate as RTCIceCandidateInit), 'mesh candidate');
      case 'sfu-publish':
        return void publish(msg.sdp as string).catch(fail('publish'));
      case 'sfu-subscribe-answer':
        return void subscriber?.setRemoteDescription({ type: 'answer', sdp: msg.sdp as string }).catch(fail('subscribe'));
      case 'sfu-view':
        return void standIn.views.push(...(msg.feeds as StandInHandle['views']));
      case 'sfu-candidate': {
        const pc = msg.connection === 'publish' ? publisher : subscriber;
        const candidate = msg.candidate as RTCIceCandidateInit;
        return void (candidate.candidate ? pc?.addIceCandidate(candidate).catch(fail('sfu candidate')) : undefined);
      }
      case 'sfu-leave':
        publisher?.close();
        subscriber?.close();
        publisher = subscriber = undefined;
        return;
    }
  }

  class StandInSocket {
    readyState = 0;
    onopen: (() => void) | null = null;
    onmessage: ((e: { data: string }) => void) | null = null;
    onclose: (() => void) | null = null;
    constructor() {
      socket = this;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.();
      });
    }
    send(frame: string): void {
      handle(JSON.parse(frame));
    }
    close(): void {
      this.readyState = 3;
    }
  }
  w.StandInSocket = StandInSocket;
  if (config.replaceWebSocket) (window as unknown as { WebSocket: unknown }).WebSocket = StandInSocket;
};

/**
 * In the page: installs the stand-ins for a room where Ada is, opens our fake camera, and creates
 * `window.call` joined on `route`. Every connection the engine makes is also kept in
 * `window.enginePcs`, apart from the stand-ins' own.
 */
export async function joinStandInRoom(page: Page, route: 'mesh' | 'sfu'): Promise<void> {
  await page.evaluate(STAND_IN, { peers: [{ id: 'ada1', name: 'Ada' }], route });
  await page.evaluate(async () => {
    const w = window as unknown as {
      VideoAppClient: typeof import('@videoapp/client');
      call: import('@videoapp/client').Call;
      enginePcs: RTCPeerConnection[];
      StandInSocket: typeof WebSocket;
    };
    const ours = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    w.enginePcs = [];
    w.call = new w.VideoAppClient.Call({
      signalingUrl: 'ws://stand-in/ws',
      WebSocket: w.StandInSocket,
      createPeerConnection: (config) => {
        const pc = new RTCPeerConnection(config);
        w.enginePcs.push(pc);
        return pc;
      },
    });
    w.call.join('0123-4567-89ab-cdef', 'Me', { audio: ours.getAudioTracks()[0]!, video: ours.getVideoTracks()[0]! });
  });
}

/**
 * Starts sampling, every `everyMs`, the decoded frames of the video track the engine tells the UI
 * to show for `peerId` (whichever connection carries it), and returns a function that stops and
 * reports the longest time the shown picture went without a new frame.
 */
export async function watchShownFrames(page: Page, peerId: string, everyMs: number): Promise<() => Promise<{ longestGapMs: number; samples: number }>> {
  await page.evaluate(
    ({ peerId, everyMs }) => {
      const w = window as unknown as { call: import('@videoapp/client').Call; enginePcs: RTCPeerConnection[]; frameWatch: { stop: () => void; longestGapMs: number; samples: number } };
      let shown = w.call.peerList().find((p) => p.id === peerId)?.tracks.video;
      const off = w.call.on('track', (e) => {
        if (e.peerId === peerId && e.track.kind === 'video') shown = e.track;
      });
      const state = { longestGapMs: 0, samples: 0, lastFrames: -1, lastChange: performance.now() };
      const timer = setInterval(async () => {
        const receiver = w.enginePcs.flatMap((pc) => (pc.connectionState === 'closed' ? [] : pc.getReceivers())).find((r) => r.track === shown);
        let frames = 0;
        (await receiver?.getStats())?.forEach((s: Record<string, unknown>) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames = (s.framesDecoded as number) ?? 0;
        });
        const now = performance.now();
        state.samples++;
        if (frames !== state.lastFrames) {
          state.longestGapMs = Math.max(state.longestGapMs, now - state.lastChange);
          state.lastFrames = frames;
          state.lastChange = now;
        }
      }, everyMs);
      w.frameWatch = {
        stop: () => {
          clearInterval(timer);
          off();
        },
        get longestGapMs() {
          return Math.round(Math.max(state.longestGapMs, performance.now() - state.lastChange));
        },
        get samples() {
          return state.samples;
        },
      };
    },
    { peerId, everyMs },
  );
  return () =>
    page.evaluate(() => {
      const w = window as unknown as { frameWatch: { stop: () => void; longestGapMs: number; samples: number } };
      w.frameWatch.stop();
      return { longestGapMs: w.frameWatch.longestGapMs, samples: w.frameWatch.samples };
    });
}
