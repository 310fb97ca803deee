import type { NoiseSuppressor } from './noise-suppressor.ts';

/**
 * Where noise suppression stands for the microphone we send:
 * - off: the microphone goes out as it is (switched off, or music mode);
 * - starting: the suppressor is loading; meanwhile the microphone goes out as it is,
 *   so joining never waits for it;
 * - on: the cleaned track goes out;
 * - unavailable: it could not start in this browser; the microphone goes out as it is.
 */
export type SuppressionState = { kind: 'off' } | { kind: 'starting' } | { kind: 'on'; suppressor: NoiseSuppressor } | { kind: 'unavailable'; reason: string };

/**
 * The voice we send: the microphone, or the microphone cleaned by RNNoise.
 * Tells its owner whenever the track to send changes, so the call can
 * replace it on the wire (no renegotiation). The suppressor's code is
 * fetched the first time it is switched on. The lobby starts it, so its
 * loading is over before Join, and hands it to the room (`sendTo`).
 */
export class SentVoice {
  private current: SuppressionState = { kind: 'off' };
  private mic: MediaStreamTrack | undefined;
  /** Bumped by every change, so a suppressor that finishes loading after a newer change is dropped. */
  private generation = 0;
  /** Aborts the suppressor still starting when a newer change (or stop) comes: one waiting for a tap that never comes would hold its audio graph forever. */
  private starting = new AbortController();

  constructor(private onTrack: (track: MediaStreamTrack | null) => void = () => {}) {}

  /** From now on, tells `onTrack` of each new track to send (the room takes over the lobby's voice). */
  sendTo(onTrack: (track: MediaStreamTrack | null) => void): void {
    this.onTrack = onTrack;
  }

  get state(): SuppressionState {
    return this.current;
  }

  /** The track to send for our voice, if any. */
  get track(): MediaStreamTrack | null {
    return this.current.kind === 'on' ? this.current.suppressor.track : (this.mic ?? null);
  }

  /**
   * Sends `mic`, cleaned if `suppress`. Resolves once the track to send is
   * settled (the suppressor running, or given up on); the owner hears of each
   * new track through `onTrack`, the first one at once.
   */
  async use(mic: MediaStreamTrack | undefined, suppress: boolean): Promise<void> {
    const wanted = this.current.kind === 'on' || this.current.kind === 'starting';
    if (mic === this.mic && wanted === suppress && this.current.kind !== 'unavailable') return;
    const generation = ++this.generation;
    this.starting.abort();
    this.starting = new AbortController();
    const signal = this.starting.signal;
    this.mic = mic;
    this.dropSuppressor();
    this.current = mic && suppress ? { kind: 'starting' } : { kind: 'off' };
    this.onTrack(this.track);
    if (this.current.kind !== 'starting' || !mic) return;
    try {
      const { suppressNoise } = await import('./noise-suppressor.ts');
      const suppressor = await suppressNoise(mic, signal);
      if (generation !== this.generation) return suppressor.stop();
      this.current = { kind: 'on', suppressor };
    } catch (err) {
      if (generation !== this.generation) return;
      this.current = { kind: 'unavailable', reason: String((err as Error)?.message ?? err) };
    }
    this.onTrack(this.track);
  }

  /** Mutes or unmutes what we send (the microphone too, so its level meter shows the silence). */
  setEnabled(enabled: boolean): void {
    if (this.mic) this.mic.enabled = enabled;
    if (this.current.kind === 'on') this.current.suppressor.track.enabled = enabled;
  }

  /** Stops the suppressor's track and audio graph; the microphone itself belongs to the caller. */
  stop(): void {
    this.generation++;
    this.starting.abort();
    this.dropSuppressor();
    this.current = { kind: 'off' };
    this.mic = undefined;
  }

  private dropSuppressor(): void {
    if (this.current.kind === 'on') this.current.suppressor.stop();
  }
}
