import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { CHROMIUM_PATH } from './requires.ts';

export { CHROMIUM_PATH };

/** Flags for Debian's Chromium run as root in a sandbox with no internet, with fake camera and microphone. */
export function chromiumArgs(options: { fakeMediaUi?: boolean; extra?: string[] } = {}): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--use-fake-device-for-media-stream',
    ...(options.fakeMediaUi === false ? [] : ['--use-fake-ui-for-media-stream']),
    // Keep background tabs (the other party) decoding at full rate.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    '--autoplay-policy=no-user-gesture-required',
    ...(options.extra ?? []),
  ];
}

export function launchChromium(options: { fakeMediaUi?: boolean; extra?: string[]; executablePath?: string } = {}): Promise<Browser> {
  return chromium.launch({ executablePath: options.executablePath ?? CHROMIUM_PATH, headless: true, args: chromiumArgs(options) });
}

/**
 * Instruments a page without changing the app: remembers every RTCPeerConnection,
 * every track getUserMedia returns (`__tracks`) and every copy the page makes of a
 * track with clone() (`__copies`: a copy of the camera holds the camera open too),
 * and, when the page is left, writes the states of both to sessionStorage so a
 * test can read them after navigation.
 * `__callPcs()` lists the connections a call is using: open, and negotiated
 * with someone (not a spare link waiting, its offer made, for the next
 * newcomer to the room).
 */
export const INSTRUMENT = () => {
  const w = window as unknown as { __pcs: RTCPeerConnection[]; __callPcs: () => RTCPeerConnection[]; __tracks: MediaStreamTrack[]; __copies: MediaStreamTrack[]; __displayTracks: MediaStreamTrack[] };
  w.__pcs = [];
  w.__callPcs = () => w.__pcs.filter((pc) => pc.connectionState !== 'closed' && pc.remoteDescription !== null);
  w.__tracks = [];
  w.__copies = [];
  w.__displayTracks = [];
  if (typeof MediaStreamTrack !== 'undefined') {
    const clone = MediaStreamTrack.prototype.clone;
    MediaStreamTrack.prototype.clone = function (this: MediaStreamTrack) {
      const copy = clone.call(this);
      w.__copies.push(copy);
      return copy;
    };
  }
  const Original = window.RTCPeerConnection;
  if (Original) {
    window.RTCPeerConnection = class extends Original {
      constructor(config?: RTCConfiguration) {
        super(config);
        w.__pcs.push(this);
      }
    } as typeof RTCPeerConnection;
  }
  const md = navigator.mediaDevices;
  if (md?.getUserMedia) {
    const getUserMedia = md.getUserMedia.bind(md);
    md.getUserMedia = async (constraints?: MediaStreamConstraints) => {
      const stream = await getUserMedia(constraints);
      w.__tracks.push(...stream.getTracks());
      return stream;
    };
  }
  if (md?.getDisplayMedia) {
    const getDisplayMedia = md.getDisplayMedia.bind(md);
    md.getDisplayMedia = async (options?: DisplayMediaStreamOptions) => {
      const stream = await getDisplayMedia(options);
      w.__displayTracks.push(...stream.getTracks());
      return stream;
    };
  }
  // Registered after the app's own pagehide listener (module scripts run before DOMContentLoaded), so it sees the result.
  document.addEventListener('DOMContentLoaded', () => {
    window.addEventListener('pagehide', () => {
      sessionStorage.setItem('__tracksAtPagehide', JSON.stringify([...w.__tracks, ...w.__copies].map((t) => t.readyState)));
    });
  });
};

export async function instrumentedContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone', 'clipboard-read', 'clipboard-write'], ...options });
  // tsx compiles test files with esbuild's keepNames, which wraps functions handed to page.evaluate in a `__name` helper.
  await context.addInitScript('globalThis.__name = (f) => f;');
  await context.addInitScript(INSTRUMENT);
  return context;
}

export interface RemoteMediaCounts {
  framesDecoded: number;
  audioPacketsReceived: number;
  frameWidth: number;
  frameHeight: number;
  candidateType: string | undefined;
}

/** What both Playwright's and Puppeteer's pages offer: running a function in the page. */
export interface Evaluator {
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  waitForTimeout?(ms: number): Promise<void>;
}

/** Sums inbound media over every connection the page's call uses (`__callPcs`), from getStats. */
export function remoteMedia(page: Evaluator): Promise<RemoteMediaCounts> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs();
    const counts = { framesDecoded: 0, audioPacketsReceived: 0, frameWidth: 0, frameHeight: 0, candidateType: undefined as string | undefined };
    for (const pc of pcs) {
      const report = await pc.getStats();
      const byId = new Map<string, Record<string, unknown>>();
      report.forEach((s: Record<string, unknown>) => {
        byId.set(s.id as string, s);
      });
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          counts.framesDecoded += (s.framesDecoded as number) ?? 0;
          counts.frameWidth = Math.max(counts.frameWidth, (s.frameWidth as number) ?? 0);
          counts.frameHeight = Math.max(counts.frameHeight, (s.frameHeight as number) ?? 0);
        }
        if (s.type === 'inbound-rtp' && s.kind === 'audio') counts.audioPacketsReceived += (s.packetsReceived as number) ?? 0;
        if (s.type === 'candidate-pair' && (s.nominated || s.selected) && s.state === 'succeeded') {
          counts.candidateType = byId.get(s.localCandidateId as string)?.candidateType as string | undefined;
        }
      });
    }
    return counts;
  });
}

/**
 * How long past its window a media check keeps looking for the counters to rise before it calls
 * the media stopped: on a loaded machine a decoder can pause for a moment without anything being wrong.
 */
const STALL_GRACE_MS = 5_000;

/**
 * Asserts that remote video frames are decoded and audio packets received, and that both are
 * still rising `windowMs` later (or, on a loaded machine, within STALL_GRACE_MS more).
 */
export async function expectMediaFlowing(page: Evaluator, label: string, windowMs = 2000): Promise<RemoteMediaCounts> {
  const deadline = Date.now() + 15_000;
  let first = await remoteMedia(page);
  while (first.framesDecoded === 0 || first.audioPacketsReceived === 0) {
    if (Date.now() > deadline) throw new Error(`${label}: no remote media after 15 s: ${JSON.stringify(first)}`);
    await sleep(200);
    first = await remoteMedia(page);
  }
  await sleep(windowMs);
  const rose = (now: RemoteMediaCounts) => now.framesDecoded > first.framesDecoded && now.audioPacketsReceived > first.audioPacketsReceived;
  const second = await pollUntil(() => remoteMedia(page), rose, STALL_GRACE_MS);
  if (second.framesDecoded <= first.framesDecoded) throw new Error(`${label}: frames stopped at ${second.framesDecoded}`);
  if (second.audioPacketsReceived <= first.audioPacketsReceived) throw new Error(`${label}: audio packets stopped at ${second.audioPacketsReceived}`);
  return second;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads until `ok` holds or `timeoutMs` has passed; returns the last reading either way, for the caller to judge. */
async function pollUntil<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await sleep(200);
    value = await read();
  }
  return value;
}

/**
 * Video frames the page has encoded to send, over every peer connection (getStats outbound-rtp): how
 * fast a track the page makes itself, such as the blurred camera, really goes out.
 */
export function videoFramesEncoded(page: Evaluator): Promise<number> {
  return page.evaluate(async () => {
    let frames = 0;
    for (const pc of (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs()) {
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'outbound-rtp' && s.kind === 'video') frames += (s.framesEncoded as number) ?? 0;
      });
    }
    return frames;
  });
}

/**
 * Frames each video element of the page has shown so far (getVideoPlaybackQuality), by its first class
 * (`local`, `remote`, `preview`...): how fast a track the page makes itself, such as the blurred
 * camera, really runs where it is shown.
 */
export function videoFramesShown(page: Evaluator): Promise<Record<string, number>> {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('video')].map((video) => [video.classList[0] ?? '', video.getVideoPlaybackQuality().totalVideoFrames])));
}

/** readyState of every track the page got from getUserMedia. */
export function trackStates(page: Evaluator): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.map((t) => t.readyState));
}

/** readyState of every copy the page made of a track (the scaled pictures of our own camera, own-picture.ts). */
export function copyStates(page: Evaluator): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __copies: MediaStreamTrack[] }).__copies.map((t) => t.readyState));
}

/** A fingerprint of the remote video's current picture, to tell a moving picture from a frozen one. */
export function remotePictureHash(page: Evaluator): Promise<string> {
  return page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>('video.remote');
    if (!video || video.videoWidth === 0) return '';
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 36;
    const g = canvas.getContext('2d')!;
    g.drawImage(video, 0, 0, canvas.width, canvas.height);
    const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) hash = (Math.imul(hash, 31) + data[i]! + data[i + 1]! * 3 + data[i + 2]! * 7) | 0;
    return String(hash);
  });
}

/** How long the remote video must keep moving before the moment it started counts (see timeUntilMoving). */
const KEEPS_MOVING_MS = 1_000;
/** The longest pause between two decoded frames that still counts as moving: below 2 fps the picture is frozen. */
const LONGEST_MOVING_GAP_MS = 500;
/** How often timeUntilMoving reads the decoded frame count. */
const MOVING_SAMPLE_MS = 100;

/**
 * Resolves with the time (ms from now) at which the remote video started
 * moving for good: framesDecoded rising with no pause over
 * LONGEST_MOVING_GAP_MS for KEEPS_MOVING_MS, and the picture changing over
 * that second. A few frames decoded and then a freeze again (frames held
 * across a cut, released at once) do not count.
 */
export async function timeUntilMoving(page: Evaluator, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let decoded = (await remoteMedia(page)).framesDecoded;
  let lastRiseAt = Number.NEGATIVE_INFINITY;
  let movingSince: { at: number; picture: string } | undefined;
  while (Date.now() - started < timeoutMs) {
    await sleep(MOVING_SAMPLE_MS);
    const now = Date.now();
    const next = (await remoteMedia(page)).framesDecoded;
    if (next > decoded) {
      lastRiseAt = now;
      movingSince ??= { at: now, picture: await remotePictureHash(page) };
    } else if (now - lastRiseAt > LONGEST_MOVING_GAP_MS) {
      movingSince = undefined;
    }
    decoded = next;
    if (movingSince && now - movingSince.at >= KEEPS_MOVING_MS) {
      const picture = await remotePictureHash(page);
      if (picture !== '' && picture !== movingSince.picture) return movingSince.at - started;
    }
  }
  throw new Error(`remote video not moving for ${KEEPS_MOVING_MS} ms within ${timeoutMs} ms`);
}

/**
 * How late the page plays the other person's voice: the mean time the audio
 * samples played over the next `windowMs` spent in the jitter buffer
 * (inbound-rtp jitterBufferDelay / jitterBufferEmittedCount), over every
 * open connection. undefined when none was played.
 */
export async function receivedAudioDelay(page: Evaluator, windowMs: number): Promise<number | undefined> {
  const read = () =>
    page.evaluate(async () => {
      let delay = 0;
      let played = 0;
      for (const pc of (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs()) {
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
          delay += (s.jitterBufferDelay as number) ?? 0;
          played += (s.jitterBufferEmittedCount as number) ?? 0;
        });
      }
      return { delay, played };
    });
  const before = await read();
  await sleep(windowMs);
  const after = await read();
  const played = after.played - before.played;
  // A receiver renegotiated meanwhile counts from zero again: only the new one's own figures mean anything.
  if (played < 0) return after.played > 0 ? (1000 * after.delay) / after.played : undefined;
  return played > 0 ? (1000 * (after.delay - before.delay)) / played : undefined;
}

/** Inbound and outbound media on one peer connection, which in a mesh is one other person. */
export interface PeerMedia {
  /** The peer id on the tile whose video element shows this connection's incoming video, if any. */
  tilePeerId: string | undefined;
  framesDecoded: number;
  audioPacketsReceived: number;
  /** What we encode towards this person, and the cap our sender holds. */
  sentFrameWidth: number;
  sentFrameHeight: number;
  maxBitrate: number | undefined;
  scaleResolutionDownBy: number | undefined;
}

/** getStats of every connection the call uses, one entry per other person (not summed). */
export function mediaPerPeer(page: Evaluator): Promise<PeerMedia[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs();
    const tiles = [...document.querySelectorAll<HTMLElement>('.tile')];
    return Promise.all(
      pcs.map(async (pc) => {
        const videoReceiver = pc.getReceivers().find((r) => r.track.kind === 'video');
        const tile = tiles.find((t) => (t.querySelector('video')?.srcObject as MediaStream | null)?.getVideoTracks().some((track) => track === videoReceiver?.track));
        const encoding = pc
          .getSenders()
          .find((s) => s.track?.kind === 'video')
          ?.getParameters().encodings?.[0];
        const media = {
          tilePeerId: tile?.dataset.peerId,
          framesDecoded: 0,
          audioPacketsReceived: 0,
          sentFrameWidth: 0,
          sentFrameHeight: 0,
          maxBitrate: encoding?.maxBitrate,
          scaleResolutionDownBy: encoding?.scaleResolutionDownBy,
        };
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') media.framesDecoded += (s.framesDecoded as number) ?? 0;
          if (s.type === 'inbound-rtp' && s.kind === 'audio') media.audioPacketsReceived += (s.packetsReceived as number) ?? 0;
          if (s.type === 'outbound-rtp' && s.kind === 'video') {
            media.sentFrameWidth = Math.max(media.sentFrameWidth, (s.frameWidth as number) ?? 0);
            media.sentFrameHeight = Math.max(media.sentFrameHeight, (s.frameHeight as number) ?? 0);
          }
        });
        return media;
      }),
    );
  });
}

/**
 * Asserts that media arrives from each of `peers` other people separately:
 * every connection decodes frames and receives audio, each shown in its own
 * tile, and every one of them is still rising `windowMs` later (or within
 * STALL_GRACE_MS more, on a loaded machine).
 */
export async function expectEachPeerFlowing(page: Evaluator, label: string, peers: number, windowMs = 2000): Promise<PeerMedia[]> {
  const deadline = Date.now() + 20_000;
  const ready = (list: PeerMedia[]) => list.length === peers && list.every((p) => p.framesDecoded > 0 && p.audioPacketsReceived > 0 && p.tilePeerId !== undefined);
  let first = await mediaPerPeer(page);
  while (!ready(first)) {
    if (Date.now() > deadline) throw new Error(`${label}: media not arriving from each of ${peers} peers after 20 s: ${JSON.stringify(first)}`);
    await sleep(250);
    first = await mediaPerPeer(page);
  }
  await sleep(windowMs);
  const allRose = (list: PeerMedia[]) => list.length === peers && list.every((now, i) => now.framesDecoded > first[i]!.framesDecoded && now.audioPacketsReceived > first[i]!.audioPacketsReceived);
  const second = await pollUntil(() => mediaPerPeer(page), allRose, STALL_GRACE_MS);
  if (second.length !== peers) throw new Error(`${label}: ${second.length} connections, expected ${peers}`);
  for (const [i, now] of second.entries()) {
    const before = first[i]!;
    if (now.framesDecoded <= before.framesDecoded) throw new Error(`${label}: frames from peer ${now.tilePeerId} stopped at ${now.framesDecoded}`);
    if (now.audioPacketsReceived <= before.audioPacketsReceived) throw new Error(`${label}: audio from peer ${now.tilePeerId} stopped at ${now.audioPacketsReceived}`);
  }
  if (new Set(second.map((p) => p.tilePeerId)).size !== peers) throw new Error(`${label}: two connections share a tile: ${JSON.stringify(second)}`);
  return second;
}

/** What one tile shows: whose picture, which transport feeds it, and how many frames its video track has decoded. */
export interface TileMedia {
  peerId: string;
  /** The name shown on the tile. */
  name: string;
  transport: string | undefined;
  framesDecoded: number;
  frameHeight: number;
}

/**
 * Decoded frames per tile, whichever transport feeds it (a mesh link of its
 * own, or the one SFU subscriber connection shared by everyone): each tile's
 * video track is found among the receivers of the page's connections and
 * read through that receiver's own statistics.
 */
export function mediaPerTile(page: Evaluator): Promise<TileMedia[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs();
    const receivers = pcs.flatMap((pc) => pc.getReceivers());
    const tiles = [...document.querySelectorAll<HTMLElement>('.tile')];
    return Promise.all(
      tiles.map(async (tile) => {
        const track = (tile.querySelector('video')?.srcObject as MediaStream | null)?.getVideoTracks()[0];
        const receiver = receivers.find((r) => r.track === track);
        const media = { peerId: tile.dataset.peerId ?? '', name: tile.querySelector('.tile-name')?.textContent ?? '', transport: tile.dataset.transport, framesDecoded: 0, frameHeight: 0 };
        (await receiver?.getStats())?.forEach((s: Record<string, unknown>) => {
          if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
          media.framesDecoded += (s.framesDecoded as number) ?? 0;
          media.frameHeight = Math.max(media.frameHeight, (s.frameHeight as number) ?? 0);
        });
        return media;
      }),
    );
  });
}
