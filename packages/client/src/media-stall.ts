/**
 * Notices a dead path on a connected link within about a second, well before
 * ICE does (a browser marks a connection `disconnected` only after several
 * seconds without an answer to its checks). While a call is up, media and
 * RTCP arrive many times a second in both directions, even from a person
 * with camera and microphone off (a disabled track still sends black frames
 * and silence), so bytes that stop arriving mean the path stopped carrying.
 */
import type { AudioCounters } from './audio-lag.ts';
import type { VideoCounters } from './decode-watch.ts';

/** How often a connected link's received byte count is read. */
export const MEDIA_WATCH_MS = 250;
/**
 * How often it is read while stalled: the moment bytes return is when the
 * other side can hear us again and gets a fresh key frame (peer-link.ts),
 * so each reading saved is time the person looks at a frozen picture.
 */
export const MEDIA_RESUME_WATCH_MS = 100;
/** No byte received for this long: the path is taken for dead. */
export const MEDIA_STALL_MS = 1_000;

export interface MediaStallEvents {
  /** Bytes stopped arriving MEDIA_STALL_MS ago. */
  stalled(): void;
  /** Bytes arrive again after a stall. */
  flowing(): void;
}

/** Reads a link's received byte count every MEDIA_WATCH_MS and reports when it stops and starts moving. */
export class MediaStallWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastBytes: number | undefined;
  private lastChangeAt = 0;
  private isStalled = false;

  constructor(
    private readonly readBytes: () => Promise<number | undefined>,
    private readonly events: MediaStallEvents,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get stalled(): boolean {
    return this.isStalled;
  }

  start(): void {
    if (this.timer) return;
    this.lastBytes = undefined;
    this.readEvery(MEDIA_WATCH_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.isStalled = false;
  }

  /** One reading: exposed for tests, which drive the clock themselves. */
  async read(): Promise<void> {
    const bytes = await this.readBytes().catch(() => undefined);
    if (bytes === undefined || !this.timer) return;
    const now = this.now();
    if (bytes !== this.lastBytes) {
      this.lastBytes = bytes;
      this.lastChangeAt = now;
      if (this.isStalled) {
        this.isStalled = false;
        this.readEvery(MEDIA_WATCH_MS);
        this.events.flowing();
      }
      return;
    }
    if (!this.isStalled && now - this.lastChangeAt >= MEDIA_STALL_MS) {
      this.isStalled = true;
      this.readEvery(MEDIA_RESUME_WATCH_MS);
      this.events.stalled();
    }
  }

  private readEvery(ms: number): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.read(), ms);
  }
}

/** One getStats of a link: what the stall watch, the decode watch (decode-watch.ts) and the audio lag watch (audio-lag.ts) each read. */
export interface LinkCounters {
  /**
   * Everything the connection has received over any candidate pair: grows
   * with every packet, whichever pair is in use (Firefox reports no transport
   * statistics, so the pairs are what both browsers have).
   */
  bytes: number | undefined;
  /** Incoming video, when the link receives any. */
  video: VideoCounters | undefined;
  /** Incoming audio, when the link receives any and the browser counts its jitter buffer. */
  audio: AudioCounters | undefined;
}

export async function linkCounters(pc: Pick<RTCPeerConnection, 'getStats'>): Promise<LinkCounters> {
  const report = await pc.getStats();
  let bytes: number | undefined;
  let video: VideoCounters | undefined;
  let audio: AudioCounters | undefined;
  report.forEach((stats: { type: string; kind?: string; bytesReceived?: number; framesReceived?: number; packetsReceived?: number; framesDecoded?: number } & Partial<AudioCounters>) => {
    if (stats.type === 'candidate-pair' && typeof stats.bytesReceived === 'number') bytes = (bytes ?? 0) + stats.bytesReceived;
    if (stats.type === 'inbound-rtp' && stats.kind === 'video' && typeof stats.packetsReceived === 'number' && typeof stats.framesDecoded === 'number') {
      const framesReceived = typeof stats.framesReceived === 'number' ? (video?.framesReceived ?? 0) + stats.framesReceived : video?.framesReceived;
      video = { framesReceived, packetsReceived: (video?.packetsReceived ?? 0) + stats.packetsReceived, framesDecoded: (video?.framesDecoded ?? 0) + stats.framesDecoded };
    }
    if (stats.type === 'inbound-rtp' && stats.kind === 'audio' && typeof stats.jitterBufferDelay === 'number' && typeof stats.jitterBufferEmittedCount === 'number') {
      audio = {
        jitterBufferDelay: (audio?.jitterBufferDelay ?? 0) + stats.jitterBufferDelay,
        jitterBufferEmittedCount: (audio?.jitterBufferEmittedCount ?? 0) + stats.jitterBufferEmittedCount,
      };
    }
  });
  return { bytes, video, audio };
}
