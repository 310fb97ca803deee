/**
 * Runs in the benchmark page (bundled by bench/join/run.ts with esbuild). One
 * function per contender; each makes one call between two parties inside
 * this page, both with their camera already open (getUserMedia is not
 * timed), and returns the time from the start of the call to the first
 * decoded remote video frame shown on each side.
 *
 * "First frame" is the same everywhere: the remote video track goes into a
 * <video> element and requestVideoFrameCallback reports the first frame
 * presented. No side gets ICE servers (host candidates on loopback only).
 *
 * - floor: two RTCPeerConnections wired directly; the clock starts before
 *   addTrack and createOffer; candidates are handed across at once.
 * - videoapp: the real engine (`Call` from packages/client) against the real
 *   server. Alice has joined and is waiting; the clock starts when Bob calls
 *   `join`, so it includes Bob's WebSocket connect, hello and join, the
 *   server's relay of every description and candidate, and perfect negotiation.
 * - peerjs: the `peerjs` client against a local `peer` server. Both peers are
 *   registered (their `open` event fired) before the clock starts, as PeerJS
 *   needs; the clock starts at `peer.call`, the callee answers in its `call`
 *   handler at once.
 */
import { Call } from '@videoapp/client';
import { Peer } from 'peerjs';

export interface CallTiming {
  /** ms from the start of the call to the first remote frame on the caller's / callee's side. */
  caller: number;
  callee: number;
}

/** Longest a single call may take before the run reports it as failed. */
const CALL_TIMEOUT_MS = 15_000;

const cameras: MediaStream[] = [];
/** The capture size every contender sends: 640×480 unless the run asks for another (the UI benchmark uses the app's own 1280×720). */
let capture = { width: 640, height: 480 };

/** Opens both parties' fake cameras once, before any call is timed. */
async function openCameras(): Promise<void> {
  while (cameras.length < 2) cameras.push(await navigator.mediaDevices.getUserMedia({ audio: true, video: capture }));
}

/** Later calls capture at `width`×`height`; the cameras open at that size are closed. */
function setCapture(width: number, height: number): void {
  capture = { width, height };
  for (const stream of cameras.splice(0)) for (const track of stream.getTracks()) track.stop();
}

const shown: HTMLVideoElement[] = [];

/** Resolves with performance.now() when the first frame of `track` is presented. */
function firstFrame(track: MediaStreamTrack): Promise<number> {
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  video.width = 160;
  video.srcObject = new MediaStream([track]);
  document.body.append(video);
  shown.push(video);
  return new Promise((resolve) => video.requestVideoFrameCallback(() => resolve(performance.now())));
}

function clearVideos(): void {
  for (const video of shown.splice(0)) {
    video.srcObject = null;
    video.remove();
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no first frame after ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS))]);
}

async function floor(): Promise<CallTiming> {
  await openCameras();
  const caller = new RTCPeerConnection();
  const callee = new RTCPeerConnection();
  caller.onicecandidate = (e) => e.candidate && void callee.addIceCandidate(e.candidate).catch(() => {});
  callee.onicecandidate = (e) => e.candidate && void caller.addIceCandidate(e.candidate).catch(() => {});
  const frame = (pc: RTCPeerConnection) => new Promise<number>((resolve) => (pc.ontrack = (e) => e.track.kind === 'video' && resolve(firstFrame(e.track))));
  const callerFrame = frame(caller);
  const calleeFrame = frame(callee);
  const start = performance.now();
  for (const track of cameras[0]!.getTracks()) caller.addTrack(track, cameras[0]!);
  for (const track of cameras[1]!.getTracks()) callee.addTrack(track, cameras[1]!);
  await caller.setLocalDescription(await caller.createOffer());
  await callee.setRemoteDescription(caller.localDescription!);
  await callee.setLocalDescription(await callee.createAnswer());
  await caller.setRemoteDescription(callee.localDescription!);
  try {
    const [a, b] = await withTimeout(Promise.all([callerFrame, calleeFrame]), 'floor');
    return { caller: a - start, callee: b - start };
  } finally {
    caller.close();
    callee.close();
    clearVideos();
  }
}

function tracksOf(stream: MediaStream) {
  return { audio: stream.getAudioTracks()[0] ?? null, video: stream.getVideoTracks()[0] ?? null };
}

async function videoApp(signalingUrl: string, roomId: string): Promise<CallTiming> {
  await openCameras();
  const options = { signalingUrl, WebSocket, createPeerConnection: (config: RTCConfiguration) => new RTCPeerConnection(config) };
  const alice = new Call(options);
  const bob = new Call(options);
  const frame = (call: Call) => new Promise<number>((resolve) => call.on('track', ({ track }) => track.kind === 'video' && resolve(firstFrame(track))));
  const aliceFrame = frame(alice);
  const bobFrame = frame(bob);
  try {
    const waiting = new Promise<void>((resolve) => alice.on('state', (s) => s.kind === 'waiting' && resolve()));
    alice.join(roomId, 'Alice', tracksOf(cameras[0]!));
    await withTimeout(waiting, 'videoapp: Alice waiting');
    const start = performance.now();
    bob.join(roomId, 'Bob', tracksOf(cameras[1]!));
    const [b, a] = await withTimeout(Promise.all([bobFrame, aliceFrame]), 'videoapp');
    return { caller: b - start, callee: a - start };
  } finally {
    alice.leave();
    bob.leave();
    clearVideos();
  }
}

let peerCount = 0;

async function peerJs(port: number): Promise<CallTiming> {
  await openCameras();
  const options = { host: '127.0.0.1', port, path: '/', key: 'peerjs', secure: false, debug: 0, config: { iceServers: [] } };
  const n = ++peerCount;
  const caller = new Peer(`caller${n}x${Date.now()}`, options);
  const callee = new Peer(`callee${n}x${Date.now()}`, options);
  const opened = (peer: Peer) =>
    new Promise<void>((resolve, reject) => {
      peer.on('open', () => resolve());
      peer.on('error', reject);
    });
  const videoFrom = (stream: MediaStream) =>
    new Promise<MediaStreamTrack>((resolve) => {
      const video = stream.getVideoTracks()[0];
      if (video) return resolve(video);
      stream.addEventListener('addtrack', (e) => e.track.kind === 'video' && resolve(e.track));
    });
  try {
    await withTimeout(Promise.all([opened(caller), opened(callee)]), 'peerjs: open');
    const calleeFrame = new Promise<number>((resolve) =>
      callee.on('call', (incoming) => {
        incoming.answer(cameras[1]!);
        incoming.once('stream', (stream) => resolve(videoFrom(stream).then(firstFrame)));
      }),
    );
    const start = performance.now();
    const outgoing = caller.call(callee.id, cameras[0]!);
    const callerFrame = new Promise<number>((resolve) => outgoing.once('stream', (stream) => resolve(videoFrom(stream).then(firstFrame))));
    const [a, b] = await withTimeout(Promise.all([callerFrame, calleeFrame]), 'peerjs');
    return { caller: a - start, callee: b - start };
  } finally {
    caller.destroy();
    callee.destroy();
    clearVideos();
  }
}

Object.assign(window, { bench: { floor, videoApp, peerJs, setCapture } });
