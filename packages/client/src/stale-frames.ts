/**
 * Keeps stale video frames out of the receiver. When a link drops for a few
 * seconds, frames sent into it may be held on the way (by the sender's own
 * system, which keeps what it cannot deliver; by a queue in the network) and
 * arrive all at once when it returns, seconds late. Chromium's receiver
 * learns the sender's clock from every frame's arrival, so a burst of late
 * ones skews it: the network bench saw decodable frames after a 3 s cut wait
 * 2.7 s in the jitter buffer, until the receiver's own 3 s timeout. Frames
 * that old are no use to show anyway. A receive transform on each mesh
 * video receiver (stale-frame-worker.ts) passes every frame through this
 * guard, which drops the stale ones; the fresh key frame the sender starts
 * with after a stall (peer-link.ts) then decodes at once.
 *
 * Only frames right after a silence are judged, so ordinary jitter never
 * loses a frame: while frames keep coming, every one passes.
 */

/** A frame this much later than the best delay seen so far, just after a silence, is stale. */
export const STALE_FRAME_MS = 500;
/** No frame for this long is a silence (a cut link, a paused sender): the frames after it are judged. */
export const SILENCE_MS = 700;
/**
 * How long after a silence frames may be dropped. The held frames arrive
 * together within a few tens of milliseconds; a delay that stays this high
 * for longer is the network's new delay, and frames pass again.
 */
export const STALE_DROP_LIMIT_MS = 1_000;
/**
 * How fast the best delay seen is let rise (ms per ms): the sender's and our
 * clocks drift apart by up to about 100 ppm, so over a long call the best
 * delay of its first minutes would otherwise make fresh frames look late.
 */
export const FLOOR_RISE_PER_MS = 0.001;

/** RTP video timestamps count 90 000 ticks a second. */
const TICKS_PER_MS = 90;
const TIMESTAMP_RANGE = 2 ** 32;

export class StaleFrameGuard {
  /** The least delay seen (arrival minus RTP time, ms, on an arbitrary origin), and when it was last lowered or raised. */
  private floor = Number.POSITIVE_INFINITY;
  private floorAt = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  /** When the frames after the last silence started arriving, while they are still judged. */
  private judgingSince: number | undefined;
  /** The newest RTP time (unwrapped, ms) passed since then: a stale frame older than it is a held one arriving late. */
  private newestPassed: number | undefined;
  private lastTimestamp: number | undefined;
  private wraps = 0;
  dropped = 0;

  /** A frame with RTP timestamp `rtpTimestamp` arrived at `now` (ms): true to pass it on, false to drop it. */
  accept(rtpTimestamp: number, now: number): boolean {
    const rtpMs = this.unwrap(rtpTimestamp) / TICKS_PER_MS;
    const delay = now - rtpMs;
    // The stream's first frame ends no silence: nothing can have been held before it.
    if (this.lastArrival > Number.NEGATIVE_INFINITY && now - this.lastArrival >= SILENCE_MS) {
      this.judgingSince = now;
      this.newestPassed = undefined;
    }
    this.lastArrival = now;
    this.floor = Math.min(this.floor + (now - this.floorAt) * FLOOR_RISE_PER_MS, delay);
    this.floorAt = now;
    if (this.judgingSince !== undefined) {
      const stale = delay - this.floor > STALE_FRAME_MS;
      // Held frames may still come after fresh ones (the network bench saw them arrive out of order, some
      // completed by retransmissions), so a fresh frame does not end the judging: only the end of the window does.
      // After a fresh one, though, only frames older than it are held ones: a newer frame that is late (the deltas
      // queued behind a slow key frame) is live, and dropping it would leave every frame after it undecodable.
      if (now - this.judgingSince < STALE_DROP_LIMIT_MS) {
        const held = stale && (this.newestPassed === undefined || rtpMs < this.newestPassed);
        if (held) {
          this.dropped++;
          return false;
        }
        this.newestPassed = Math.max(this.newestPassed ?? rtpMs, rtpMs);
        return true;
      }
      // A delay that lasted through the window is the network's own now, from which later frames are judged.
      this.judgingSince = undefined;
      if (stale) this.floor = delay;
    }
    return true;
  }

  /** The timestamp on a scale that does not wrap (RTP timestamps wrap every 13 hours). */
  private unwrap(timestamp: number): number {
    if (this.lastTimestamp !== undefined) {
      if (timestamp - this.lastTimestamp < -TIMESTAMP_RANGE / 2) this.wraps++;
      else if (timestamp - this.lastTimestamp > TIMESTAMP_RANGE / 2) this.wraps--;
    }
    this.lastTimestamp = timestamp;
    return timestamp + this.wraps * TIMESTAMP_RANGE;
  }
}
