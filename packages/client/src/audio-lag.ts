/**
 * Notices the other person's voice reaching us seconds late. When a link
 * drops for a few seconds, the other side's operating system may hold what
 * it sent meanwhile and release it all when the link returns (Linux keeps up
 * to about 200 KB for a neighbour it cannot reach; the network bench's 3 s
 * cut delivered 2.4 s of stale audio in one burst). The browser's audio
 * jitter buffer then plays every stale packet and drains the backlog only
 * slowly by time-stretching: in the bench, the voice stayed 1.5–2 s late for
 * more than 4 s after the restore, which makes conversation impossible.
 * No API empties that buffer; a new receiving stream starts from an empty
 * one, so the link renegotiates its audio receiver (peer-link.ts).
 */

/**
 * Mean delay of the audio played over one reading above which the voice is
 * taken for late. A jitter buffer on a bad but live network holds a few
 * hundred milliseconds; a backlog released at once holds seconds.
 */
export const AUDIO_LAG_LIMIT_MS = 500;
/** Readings in a row above the limit before we act: one long reading can be a passing spike. */
export const AUDIO_LAG_READINGS = 2;
/**
 * The least time between two restarts of the audio receiver: a network
 * whose delay really is that high would otherwise restart it on every
 * reading, each costing a renegotiation and a moment of silence.
 */
export const AUDIO_RESTART_EVERY_MS = 10_000;

/** The longest the receiver stays off while its link renegotiates, should the other side never answer. */
export const AUDIO_RESTART_NEGOTIATION_MS = 5_000;

/** A link's incoming audio, as its statistics count it (inbound-rtp). */
export interface AudioCounters {
  /** Seconds the samples played so far spent in the jitter buffer, summed. */
  jitterBufferDelay: number;
  /** Samples played so far. */
  jitterBufferEmittedCount: number;
}

export class AudioLagWatch {
  private last: AudioCounters | undefined;
  private lateReadings = 0;
  private lastRestartAt = Number.NEGATIVE_INFINITY;

  /** One reading of the counters at `now` (ms); true when the audio receiver should be restarted now. */
  observe(counters: AudioCounters, now: number): boolean {
    const last = this.last;
    this.last = counters;
    const played = counters.jitterBufferEmittedCount - (last?.jitterBufferEmittedCount ?? 0);
    // Nothing played since the last reading (a muted or cut-off sender), or a new stream whose counters started over.
    if (!last || played <= 0) return false;
    const meanDelayMs = (1000 * (counters.jitterBufferDelay - last.jitterBufferDelay)) / played;
    this.lateReadings = meanDelayMs > AUDIO_LAG_LIMIT_MS ? this.lateReadings + 1 : 0;
    if (this.lateReadings < AUDIO_LAG_READINGS || now - this.lastRestartAt < AUDIO_RESTART_EVERY_MS) return false;
    this.lastRestartAt = now;
    this.lateReadings = 0;
    // The new stream counts from zero: the next reading starts the comparison afresh.
    this.last = undefined;
    return true;
  }
}
