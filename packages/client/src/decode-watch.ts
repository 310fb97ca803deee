/**
 * Notices a picture that arrives but is not decoded. After a path comes
 * back (a cut link, an ICE restart onto a new pair) the frames arriving may
 * build on one that was lost on the way, and Chromium's receiver asks for a
 * new key frame only after 3 s without a decodable frame. Seen from our
 * statistics, frames keep arriving while none is decoded: we ask the sender
 * for a key frame ourselves (peer-link.ts), over the peers' own data
 * channel. Two signs count: complete frames that are not decoded (where the
 * browser counts them, framesReceived), soon; and video packets that keep
 * coming with no frame decoded, later, since a large key frame on a slow
 * link is packets for a while too. The second covers frames the receiver
 * never counts as complete: ones that build on a frame lost for good, or
 * that follow a key frame the stale-frame guard dropped (the network bench
 * saw both keep a picture frozen for 3 s).
 */

/** How long frames may keep arriving with none decoded before a key frame is asked for. */
export const DECODE_STUCK_MS = 250;
/** Frames that must have arrived undecoded meanwhile: a sender that sends nothing (paused, held) is not stuck. */
export const DECODE_STUCK_FRAMES = 3;
/**
 * How long video packets may keep arriving with no frame decoded before a
 * key frame is asked for, on a stream that has decoded before. Longer than
 * a large key frame takes on a slow link (asking then would only send
 * another), shorter than the receiver's own 3 s.
 */
export const DECODE_STUCK_PACKETS_MS = 1_000;
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
  /** Complete frames received (inbound-rtp framesReceived), where the browser counts them. */
  framesReceived: number | undefined;
  /** Video packets received (inbound-rtp packetsReceived). */
  packetsReceived: number;
  framesDecoded: number;
}

export class DecodeWatch {
  private decoded: number | undefined;
  /** The counters at the last decode, and when what arrived since (frames; packets) first showed. */
  private receivedAtLastDecode = 0;
  private packetsAtLastDecode = 0;
  private undecodedSince: number | undefined;
  private packetsUndecodedSince: number | undefined;
  /** The packet count at the last reading: the packet sign needs packets still coming, not one stray before a cut. */
  private lastPackets: number | undefined;
  private lastRequestAt = Number.NEGATIVE_INFINITY;
  private requests = 0;

  /** One reading of the counters at `now` (ms); true when the sender should be asked for a key frame now. */
  observe(counters: VideoCounters, now: number): boolean {
    const packetsArriving = this.lastPackets !== undefined && counters.packetsReceived > this.lastPackets;
    this.lastPackets = counters.packetsReceived;
    if (counters.framesDecoded !== this.decoded) {
      this.decoded = counters.framesDecoded;
      this.receivedAtLastDecode = counters.framesReceived ?? 0;
      this.packetsAtLastDecode = counters.packetsReceived;
      this.undecodedSince = undefined;
      this.packetsUndecodedSince = undefined;
      this.requests = 0;
      return false;
    }
    const undecoded = (counters.framesReceived ?? 0) - this.receivedAtLastDecode;
    if (undecoded > 0) this.undecodedSince ??= now;
    // Packets that stop (a cut) end the spell; not at the start of a stream either: its first key frame is the receiver's own to wait for.
    if (!packetsArriving) this.packetsUndecodedSince = undefined;
    else if (counters.packetsReceived > this.packetsAtLastDecode && counters.framesDecoded > 0) this.packetsUndecodedSince ??= now;
    const framesStuck = this.undecodedSince !== undefined && now - this.undecodedSince >= DECODE_STUCK_MS && undecoded >= DECODE_STUCK_FRAMES;
    const packetsStuck = this.packetsUndecodedSince !== undefined && now - this.packetsUndecodedSince >= DECODE_STUCK_PACKETS_MS;
    if (!(framesStuck || packetsStuck) || now - this.lastRequestAt < KEY_FRAME_REQUEST_EVERY_MS || this.requests >= MAX_KEY_FRAME_REQUESTS) return false;
    this.lastRequestAt = now;
    this.requests++;
    return true;
  }
}
