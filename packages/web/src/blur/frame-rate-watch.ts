import { BLUR_MIN_FPS, BLUR_SLOW_SECONDS, BLUR_WARMUP_SECONDS } from './blur-limits.ts';

/** How blur is keeping up with the camera. */
export type BlurPace = { kind: 'warming-up' } | { kind: 'keeping-up'; fps: number } | { kind: 'too-slow'; fps: number };

/**
 * Judges the processed frame rate from one reading a second: too slow once
 * BLUR_SLOW_SECONDS readings in a row fall below BLUR_MIN_FPS, and keeping up
 * again at the first reading that does not.
 */
export function nextPace(pace: BlurPace, reading: { second: number; fps: number; slowStreak: number }): { pace: BlurPace; slowStreak: number } {
  if (reading.second < BLUR_WARMUP_SECONDS) return { pace, slowStreak: 0 };
  const slowStreak = reading.fps < BLUR_MIN_FPS ? reading.slowStreak + 1 : 0;
  if (slowStreak >= BLUR_SLOW_SECONDS) return { pace: { kind: 'too-slow', fps: reading.fps }, slowStreak };
  if (slowStreak === 0) return { pace: { kind: 'keeping-up', fps: reading.fps }, slowStreak };
  return { pace: pace.kind === 'warming-up' ? pace : { ...pace, fps: reading.fps }, slowStreak };
}

/** Feeds one reading a second into nextPace and reports each change of kind. */
export class FrameRateWatch {
  private pace: BlurPace = { kind: 'warming-up' };
  private slowStreak = 0;
  private second = 0;

  constructor(private readonly onChange: (pace: BlurPace) => void) {}

  get current(): BlurPace {
    return this.pace;
  }

  /** `fps`: frames processed over the last second. */
  reading(fps: number): void {
    const next = nextPace(this.pace, { second: this.second++, fps, slowStreak: this.slowStreak });
    this.slowStreak = next.slowStreak;
    const changed = next.pace.kind !== this.pace.kind;
    this.pace = next.pace;
    if (changed) this.onChange(this.pace);
  }
}
