// Loudness of a sound in short windows, and the two figures the noise-suppression tests compare:
// the level of the noise-only stretches and of the speech. Received audio is read from WebRTC's
// statistics (totalAudioEnergy, totalSamplesDuration of inbound audio), the source clip from its
// samples with the same measure, so the two compare.
import type { Page } from 'playwright-core';

/** The window over which one level is taken: long enough for a syllable, short against a segment. */
export const LEVEL_WINDOW_MS = 200;
/** WebRTC's audio level is the peak of each 100 ms of audio; the clip is measured the same way. */
const PEAK_BLOCK_MS = 100;
/** Below this a window counts as silence (the floor of 16-bit audio), so log10 never sees 0. */
const SILENCE_DB = -100;

export interface SegmentLevels {
  /** The level of the quiet stretches: the 25th percentile of windows, well inside the noise-only half of the clip. */
  noiseDb: number;
  /** The level of the speech: the 90th percentile, the voiced part of the speech half. */
  speechDb: number;
}

const toDb = (meanSquare: number) => Math.max(SILENCE_DB, 10 * Math.log10(meanSquare));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Noise and speech levels of a sound made of equal noise-only and
 * speech-over-noise stretches, from its window levels: percentiles, so the
 * reading needs no alignment with the clip's segments.
 */
export function segmentLevels(windowDb: number[]): SegmentLevels {
  if (windowDb.length < 10) throw new Error(`too few level windows to judge: ${windowDb.length}`);
  return { noiseDb: percentile(windowDb, 25), speechDb: percentile(windowDb, 90) };
}

/** Window levels (dBFS) of raw samples, measured as WebRTC measures received audio. */
export function sampleLevels(samples: Float32Array, sampleRate: number): number[] {
  const block = (sampleRate * PEAK_BLOCK_MS) / 1000;
  const blocksPerWindow = LEVEL_WINDOW_MS / PEAK_BLOCK_MS;
  const levels: number[] = [];
  for (let start = 0; start + block * blocksPerWindow <= samples.length; start += block * blocksPerWindow) {
    let sum = 0;
    for (let b = 0; b < blocksPerWindow; b++) {
      let peak = 0;
      for (let i = start + b * block; i < start + (b + 1) * block; i++) peak = Math.max(peak, Math.abs(samples[i]!));
      sum += peak * peak;
    }
    levels.push(toDb(sum / blocksPerWindow));
  }
  return levels;
}

/**
 * Window levels (dBFS) of the audio a Chromium page receives, over
 * `durationMs`: the rise of totalAudioEnergy over the rise of
 * totalSamplesDuration in each window, summed over its peer connections.
 */
export async function receivedLevels(page: Page, durationMs: number): Promise<number[]> {
  const readings = await page.evaluate(
    ({ durationMs, windowMs }) =>
      new Promise<[number, number][]>((resolve) => {
        const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
        const read = async (): Promise<[number, number]> => {
          let energy = 0;
          let duration = 0;
          for (const pc of pcs.filter((p) => p.connectionState !== 'closed')) {
            (await pc.getStats()).forEach((s: Record<string, unknown>) => {
              if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
              energy += (s.totalAudioEnergy as number) ?? 0;
              duration += (s.totalSamplesDuration as number) ?? 0;
            });
          }
          return [energy, duration];
        };
        const seen: [number, number][] = [];
        const started = performance.now();
        const tick = async () => {
          seen.push(await read());
          if (performance.now() - started >= durationMs) resolve(seen);
          else setTimeout(tick, windowMs);
        };
        void tick();
      }),
    { durationMs, windowMs: LEVEL_WINDOW_MS },
  );
  const levels: number[] = [];
  for (let i = 1; i < readings.length; i++) {
    const energy = readings[i]![0] - readings[i - 1]![0];
    const duration = readings[i]![1] - readings[i - 1]![1];
    if (duration > 0) levels.push(toDb(energy / duration));
  }
  return levels;
}
