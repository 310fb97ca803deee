import { inboundStats } from './media-transport.ts';

/** How often received audio levels are read to find who is speaking (mesh rooms; the SFU says so itself). */
export const TALKING_POLL_MS = 400;
/** Audio level (0..1, as getStats reports it) above which a person counts as speaking: well above room noise. */
export const TALKING_LEVEL = 0.05;
/** How long someone stays "speaking" after their level drops: the pauses between words must not make the highlight flicker. */
export const TALKING_HOLD_MS = 1_500;

/**
 * Who is speaking, from the audio level of what we receive from each person.
 * Reports a change only: talking starts with one loud reading, and stops
 * TALKING_HOLD_MS after the last one.
 */
export class TalkingWatch {
  private readonly lastLoud = new Map<string, number>();
  private readonly talking = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading = false;

  constructor(
    private readonly read: () => { peerId: string; stats: Promise<RTCStatsReport> | undefined }[],
    private readonly report: (peerId: string, talking: boolean) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sample(), TALKING_POLL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const peerId of this.talking) this.report(peerId, false);
    this.talking.clear();
    this.lastLoud.clear();
  }

  /** Folds one reading of `peerId`'s audio level in; exported for the unit tests' clock. */
  observe(peerId: string, level: number | undefined, now: number): void {
    if (level !== undefined && level >= TALKING_LEVEL) this.lastLoud.set(peerId, now);
    const talking = now - (this.lastLoud.get(peerId) ?? Number.NEGATIVE_INFINITY) < TALKING_HOLD_MS;
    if (talking === this.talking.has(peerId)) return;
    if (talking) this.talking.add(peerId);
    else this.talking.delete(peerId);
    this.report(peerId, talking);
  }

  private async sample(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      for (const { peerId, stats } of this.read()) {
        const report = await stats?.catch(() => undefined);
        if (!report) continue;
        const audio = inboundStats(report).find((s) => s.kind === 'audio');
        this.observe(peerId, typeof audio?.audioLevel === 'number' ? audio.audioLevel : undefined, Date.now());
      }
    } finally {
      this.reading = false;
    }
  }
}
