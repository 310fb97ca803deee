/**
 * Notices a picture that arrives but is not decoded. After a path comes
 * back (a cut link, an ICE restart onto a new pair) the frames arriving may
 * build on one that was lost on the way, and Chromium's receiver asks for a
 * new key frame only after 3 s without a decodable frame. Seen from our
 * statistics, complete frames keep arriving while none is decoded: we ask
 * the sender for a key frame ourselves (peer-link.ts), over the peers' own
 * data channel. (The network bench's freeze after a 3 s cut is mostly of
 * another kind, which this does not mend: decodable frames held seconds in
 * the receiver's jitter buffer; see bench/README.md.)
 * Browsers that do not count received frames (framesReceived) are not
 * watched.
 */

/** How long frames may keep arriving with none decoded before a key frame is asked for. */
export const DECODE_STUCK_MS = 250;
/** Frames that must have arrived undecoded meanwhile: a sender that sends nothing (paused, held) is not stuck. */
export const DECODE_STUCK_FRAMES = 3;
/** The least time between two requests, and between two key frames sent on request (a peer is not trusted to ask sparingly). */
export const KEY_FRAME_REQUEST_EVERY_MS = 1_000;
/**
 * Requests in one stuck spell before we stop asking: a stream that no key
 * frame mends (a decoder that fails on it) would otherwise have the sender
 * restart its encoder every second for as long as the call lasts.
 */
export const MAX_KEY_FRAME_REQUESTS = 5;

/** A link's incoming video, as its statistics count it. */
export interface VideoCounters {
  /** Complete frames received (inbound-rtp framesReceived). */
  framesReceived: number;
  framesDecoded: number;
}

export class DecodeWatch {
  private decoded: number | undefined;
  private receivedAtLastDecode = 0;
  /** When frames first arrived that were not decoded since the last decode. */
  private undecodedSince: number | undefined;
  private lastRequestAt = Number.NEGATIVE_INFINITY;
  private requests = 0;

  /** One reading of the counters at `now` (ms); true when the sender should be asked for a key frame now. */
  observe(counters: VideoCounters, now: number): boolean {
    if (counters.framesDecoded !== this.decoded) {
      this.decoded = counters.framesDecoded;
      this.receivedAtLastDecode = counters.framesReceived;
      this.undecodedSince = undefined;
      this.requests = 0;
      return false;
    }
    const undecoded = counters.framesReceived - this.receivedAtLastDecode;
    if (undecoded <= 0) return false;
    this.undecodedSince ??= now;
    const stuck = now - this.undecodedSince >= DECODE_STUCK_MS && undecoded >= DECODE_STUCK_FRAMES;
    if (!stuck || now - this.lastRequestAt < KEY_FRAME_REQUEST_EVERY_MS || this.requests >= MAX_KEY_FRAME_REQUESTS) return false;
    this.lastRequestAt = now;
    this.requests++;
    return true;
  }
}
