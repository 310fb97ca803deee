/**
 * What forwarding costs Janus, measured against what encoding costs a sender.
 *
 * Method: a real Janus (Debian's, our generated configuration) and headless
 * Node peers (@roamhq/wrtc, libwebrtc) in this process. For a room of `n`
 * people, `n` peers publish a synthetic VP8 camera (SYNTHETIC_WIDTH ×
 * SYNTHETIC_HEIGHT at SYNTHETIC_FPS), then `n` subscribers each take the
 * other `n − 1` feeds in one connection: n·(n − 1) forwarded video streams.
 * Janus's CPU is read from /proc/<pid>/stat over a fixed window, once with
 * only the publishers (Janus receives, forwards nothing) and once with the
 * subscribers too; the difference divided by the forwarded streams is its CPU
 * per forwarded stream. The baseline, measured in the same run on the same
 * machine: this process's CPU per published stream while only publishers run,
 * which is what a sender pays to encode one stream (plus making the synthetic
 * frames) — in a mesh a sender pays it once per other person; through the SFU
 * once, and Janus pays the forwarding.
 */
import { readFileSync } from 'node:fs';
import type { SfuCandidate, SfuPublication, SfuRoom, SfuRoomKey, SfuSubscription } from '../../packages/server/src/sfu/sfu-adapter.ts';
import { FrameCounter, RTCPeerConnection, SYNTHETIC_FPS, SYNTHETIC_HEIGHT, SYNTHETIC_WIDTH, SyntheticCamera, until } from '../../tests/support/wrtc-peer.ts';

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 on every Linux we run on). */
const CLOCK_TICKS_PER_SECOND = 100;
/** Longest a peer may take to be published, or to decode its first frames. */
const SETTLE_TIMEOUT_MS = 30_000;
/** Frames each subscribed stream must have decoded before measuring: media flows everywhere. */
const FRAMES_BEFORE_MEASURING = 10;

export interface ForwardingPlan {
  /** Room sizes to measure. */
  roomSizes: number[];
  /** How long each CPU window lasts. */
  windowMs: number;
}

export const FULL_FORWARDING_PLAN: ForwardingPlan = { roomSizes: [3, 6], windowMs: 10_000 };
export const QUICK_FORWARDING_PLAN: ForwardingPlan = { roomSizes: [3], windowMs: 2_000 };

export interface ForwardingResult {
  roomSize: number;
  forwardedStreams: number;
  /** Janus's CPU (share of one core) with only the publishers, and with the subscribers as well. */
  janusCpuPublishersOnly: number;
  janusCpuForwarding: number;
  /** Janus's CPU per forwarded stream, share of one core. */
  janusCpuPerForwardedStream: number;
  /** This process's CPU per published stream while only publishers run (the encoding baseline). */
  encodeCpuPerStream: number;
  /** Average bytes per second one subscriber received per forwarded stream. */
  forwardedBytesPerStreamPerSecond: number;
  frameSize: string;
}

/** What the bench needs of the SFU: our adapter, or anything shaped like it. */
export interface ForwardingSfu {
  createRoom(roomId: string): Promise<SfuRoomKey>;
  openRoom(roomId: string, key: SfuRoomKey): Promise<SfuRoom>;
  destroyRoom(key: SfuRoomKey): Promise<void>;
  publish(room: SfuRoom, displayName: string, offerSdp: string): Promise<SfuPublication>;
  subscribe(room: SfuRoom, feeds: readonly number[]): Promise<SfuSubscription>;
}

/** Janus's CPU time so far, in seconds (user + system). */
function cpuSecondsOf(pid: number): number {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Every libwebrtc object this bench made, kept reachable until the process
 * exits: libwebrtc as wrapped by @roamhq/wrtc may crash the process when the
 * garbage collector finalizes a closed one (see tests/support/wrtc-peer.ts).
 */
const neverCollected: unknown[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU share of one core used by `pid` and by this process over `windowMs`. */
async function cpuOver(pid: number, windowMs: number): Promise<{ janus: number; self: number }> {
  const janusBefore = cpuSecondsOf(pid);
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  await sleep(windowMs);
  const seconds = (performance.now() - started) / 1000;
  const self = process.cpuUsage(selfBefore);
  return { janus: (cpuSecondsOf(pid) - janusBefore) / seconds, self: (self.user + self.system) / 1e6 / seconds };
}

function sfuCandidate(candidate: RTCIceCandidate | null): SfuCandidate {
  if (!candidate?.candidate) return null;
  return { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex };
}

interface Publisher {
  camera: SyntheticCamera;
  pc: InstanceType<typeof RTCPeerConnection>;
  publication: SfuPublication;
}

async function publish(sfu: ForwardingSfu, room: SfuRoom, name: string): Promise<Publisher> {
  const camera = new SyntheticCamera();
  const pc = new RTCPeerConnection();
  pc.addTransceiver(camera.track, { direction: 'sendonly' });
  const early: SfuCandidate[] = [];
  let publication: SfuPublication | undefined;
  pc.onicecandidate = ({ candidate }) => {
    if (publication) void publication.trickle(sfuCandidate(candidate)).catch(() => {});
    else early.push(sfuCandidate(candidate));
  };
  await pc.setLocalDescription(await pc.createOffer());
  publication = await sfu.publish(room, name, pc.localDescription!.sdp);
  await pc.setRemoteDescription({ type: 'answer', sdp: publication.answerSdp });
  for (const candidate of early) await publication.trickle(candidate);
  return { camera, pc, publication };
}

interface Subscriber {
  pc: InstanceType<typeof RTCPeerConnection>;
  subscription: SfuSubscription;
  frames: FrameCounter[];
}

async function subscribe(sfu: ForwardingSfu, room: SfuRoom, feeds: number[]): Promise<Subscriber> {
  const pc = new RTCPeerConnection();
  const frames: FrameCounter[] = [];
  pc.ontrack = ({ track }) => {
    if (track.kind === 'video') frames.push(new FrameCounter(track));
  };
  const subscription = await sfu.subscribe(room, feeds);
  pc.onicecandidate = ({ candidate }) => void subscription.trickle(sfuCandidate(candidate)).catch(() => {});
  await pc.setRemoteDescription({ type: 'offer', sdp: subscription.offerSdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await subscription.start(pc.localDescription!.sdp);
  return { pc, subscription, frames };
}

/** Bytes of video received so far on a subscriber connection. */
async function videoBytesReceived(pc: InstanceType<typeof RTCPeerConnection>): Promise<number> {
  let bytes = 0;
  for (const report of (await pc.getStats()).values()) {
    if (report.type === 'inbound-rtp' && report.kind === 'video') bytes += report.bytesReceived ?? 0;
  }
  return bytes;
}

async function measureRoom(sfu: ForwardingSfu, janusPid: number, roomSize: number, windowMs: number, log: (line: string) => void): Promise<ForwardingResult> {
  const roomId = `bench-forwarding-${roomSize}`;
  const key = await sfu.createRoom(roomId);
  const room = await sfu.openRoom(roomId, key);
  const publishers: Publisher[] = [];
  const subscribers: Subscriber[] = [];
  try {
    for (let i = 0; i < roomSize; i++) publishers.push(await publish(sfu, room, `Peer ${i + 1}`));
    // Publishers up: give their encoders a moment to ramp, then measure encoding alone.
    await sleep(2_000);
    const alone = await cpuOver(janusPid, windowMs);

    for (const own of publishers) {
      const others = publishers.filter((p) => p !== own).map((p) => p.publication.feedId);
      subscribers.push(await subscribe(sfu, room, others));
    }
    const forwardedStreams = roomSize * (roomSize - 1);
    await until(
      `${FRAMES_BEFORE_MEASURING} frames on each of ${forwardedStreams} forwarded streams`,
      () => subscribers.every((s) => s.frames.length === roomSize - 1 && s.frames.every((f) => f.count >= FRAMES_BEFORE_MEASURING)),
      SETTLE_TIMEOUT_MS,
    );
    const bytesBefore = await Promise.all(subscribers.map((s) => videoBytesReceived(s.pc)));
    const started = performance.now();
    const forwarding = await cpuOver(janusPid, windowMs);
    const seconds = (performance.now() - started) / 1000;
    const bytesAfter = await Promise.all(subscribers.map((s) => videoBytesReceived(s.pc)));
    const bytes = bytesAfter.reduce((sum, b, i) => sum + b - bytesBefore[i]!, 0);
    const sample = subscribers[0]!.frames[0]!;
    const result: ForwardingResult = {
      roomSize,
      forwardedStreams,
      janusCpuPublishersOnly: alone.janus,
      janusCpuForwarding: forwarding.janus,
      janusCpuPerForwardedStream: (forwarding.janus - alone.janus) / forwardedStreams,
      encodeCpuPerStream: alone.self / roomSize,
      forwardedBytesPerStreamPerSecond: bytes / seconds / forwardedStreams,
      frameSize: `${sample.width}×${sample.height}`,
    };
    log(
      `  ${roomSize} people, ${forwardedStreams} forwarded streams: Janus ${(alone.janus * 100).toFixed(1)}% → ${(forwarding.janus * 100).toFixed(1)}% of a core; ` +
        `${(result.janusCpuPerForwardedStream * 100).toFixed(2)}% per forwarded stream vs ${(result.encodeCpuPerStream * 100).toFixed(2)}% to encode one; ` +
        `${Math.round(result.forwardedBytesPerStreamPerSecond / 1000)} kB/s per stream at ${result.frameSize}`,
    );
    return result;
  } finally {
    neverCollected.push(publishers, subscribers);
    for (const s of subscribers) {
      for (const f of s.frames) f.stop();
      await s.subscription.leave().catch(() => {});
      s.pc.close();
    }
    for (const p of publishers) {
      await p.publication.leave().catch(() => {});
      p.camera.stop();
      p.pc.close();
    }
    await sfu.destroyRoom(key).catch(() => {});
  }
}

/** Runs the plan's room sizes one after another against `sfu`, whose Janus runs as `janusPid`. */
export async function runForwarding(sfu: ForwardingSfu, janusPid: number, plan: ForwardingPlan, log: (line: string) => void): Promise<ForwardingResult[]> {
  log(`  synthetic VP8 camera ${SYNTHETIC_WIDTH}×${SYNTHETIC_HEIGHT} at ${SYNTHETIC_FPS} fps per publisher; CPU windows of ${plan.windowMs} ms`);
  const results: ForwardingResult[] = [];
  for (const size of plan.roomSizes) results.push(await measureRoom(sfu, janusPid, size, plan.windowMs, log));
  return results;
}
