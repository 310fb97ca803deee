import { type LinkStats, summarizeStats } from './stats.ts';

/** How often the engine reads each link's statistics while it is connected. */
export const QUALITY_INTERVAL_MS = 2_000;

/**
 * Where "good" ends and "fair" and "poor" begin. Round-trip times past
 * ~300 ms make conversation awkward (people talk over each other); loss past
 * a few percent shows as frozen video and clipped words.
 */
export const QUALITY_THRESHOLDS = {
  fair: { rttMs: 250, loss: 0.02 },
  poor: { rttMs: 500, loss: 0.08, availableKbps: 100 },
} as const;

export type QualityLevel = 'good' | 'fair' | 'poor';

/** Why a link is not rated good, in the order they matter. */
export type QualityIssue = 'no-media' | 'high-loss' | 'high-latency' | 'low-bandwidth';

/** One reading of a link's quality: the figures, and what they add up to. */
export interface LinkQuality {
  peerId: string;
  level: QualityLevel;
  issues: QualityIssue[];
  rttMs: number | undefined;
  /** Share of inbound packets lost since the previous reading, 0..1. */
  loss: number;
  availableKbps: number | undefined;
  /** What can reach us, in kbit/s, where the browser says (it decides the SFU layers we can take). */
  availableIncomingKbps: number | undefined;
  videoWidth: number | undefined;
  videoHeight: number | undefined;
  framesPerSecond: number | undefined;
  /** `host`, `srflx`, `prflx` or `relay` on our side of the selected path. */
  path: string | undefined;
}

/** Rates the interval between two readings of the same link (`before` absent on the first reading). */
export function rateQuality(peerId: string, now: LinkStats, before: LinkStats | undefined): LinkQuality {
  const received = now.packetsReceived - (before?.packetsReceived ?? 0);
  const lost = Math.max(0, now.packetsLost - (before?.packetsLost ?? 0));
  const loss = received + lost > 0 ? lost / (received + lost) : 0;
  const issues: QualityIssue[] = [];
  let level: QualityLevel = 'good';
  const worse = (to: QualityLevel, issue: QualityIssue) => {
    if (to === 'poor' || level === 'good') level = to;
    if (!issues.includes(issue)) issues.push(issue);
  };
  // Nothing at all arrived since the last reading: the other side is frozen, whatever the other figures say.
  if (before && received === 0) worse('poor', 'no-media');
  if (loss > QUALITY_THRESHOLDS.poor.loss) worse('poor', 'high-loss');
  else if (loss > QUALITY_THRESHOLDS.fair.loss) worse('fair', 'high-loss');
  if (now.rttMs !== undefined && now.rttMs > QUALITY_THRESHOLDS.poor.rttMs) worse('poor', 'high-latency');
  else if (now.rttMs !== undefined && now.rttMs > QUALITY_THRESHOLDS.fair.rttMs) worse('fair', 'high-latency');
  if (now.availableKbps !== undefined && now.availableKbps < QUALITY_THRESHOLDS.poor.availableKbps) worse('poor', 'low-bandwidth');
  return {
    peerId,
    level,
    issues,
    rttMs: now.rttMs,
    loss,
    availableKbps: now.availableKbps,
    availableIncomingKbps: now.availableIncomingKbps,
    videoWidth: now.videoWidth,
    videoHeight: now.videoHeight,
    framesPerSecond: now.framesPerSecond,
    path: now.localCandidateType,
  };
}

/**
 * Reads the statistics of every watched link on one timer and reports each
 * link's quality. `read` returns nothing for a link that is not connected,
 * which also forgets its last reading so a reconnect starts a fresh interval.
 */
export class QualityWatch {
  private readonly previous = new Map<string, LinkStats | undefined>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading = false;

  constructor(
    private readonly read: (peerId: string) => Promise<RTCStatsReport> | undefined,
    private readonly report: (quality: LinkQuality) => void,
    private readonly intervalMs = QUALITY_INTERVAL_MS,
  ) {}

  watch(peerId: string): void {
    this.previous.set(peerId, undefined);
    this.timer ??= setInterval(() => void this.sample(), this.intervalMs);
  }

  isWatching(peerId: string): boolean {
    return this.previous.has(peerId);
  }

  unwatch(peerId: string): void {
    this.previous.delete(peerId);
    if (this.previous.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.previous.clear();
  }

  private async sample(): Promise<void> {
    // A getStats slower than the interval must not pile up readings.
    if (this.reading) return;
    this.reading = true;
    try {
      for (const peerId of [...this.previous.keys()]) {
        const pending = this.read(peerId);
        if (!pending) {
          this.previous.set(peerId, undefined);
          continue;
        }
        const report = await pending.catch(() => undefined);
        if (!report || !this.previous.has(peerId)) continue; // failed (link closing), or unwatched while we waited
        const now = summarizeStats(report);
        const before = this.previous.get(peerId);
        this.previous.set(peerId, now);
        this.report(rateQuality(peerId, now, before));
      }
    } finally {
      this.reading = false;
    }
  }
}
