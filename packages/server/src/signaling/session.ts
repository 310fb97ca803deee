import { MAX_CANDIDATES_PER_PEER } from '@videoapp/protocol';

/** Frames queued for a session whose socket is away; past this the oldest are dropped. */
export const MAX_AWAY_OUTBOX = 512;

export interface FrameSink {
  sendFrame(frame: string): void;
}

/**
 * One person's place in one room. It outlives a dropped socket for a grace
 * period, so a short signaling outage is a pause rather than a departure, and
 * what is sent to it meanwhile is queued and delivered on resume.
 */
export class Session {
  private socket: FrameSink | undefined;
  private outbox: string[] = [];
  private graceTimer: NodeJS.Timeout | undefined;
  /** Created on the first candidate: a server holds a session per person, most of them idle. */
  private candidatesSent: Map<string, number> | undefined;

  constructor(
    readonly peerId: string,
    readonly name: string,
    readonly roomId: string,
    readonly resumeToken: string,
    socket: FrameSink,
  ) {
    this.socket = socket;
  }

  get isAway(): boolean {
    return this.socket === undefined;
  }

  readonly deliver = (frame: string): void => {
    if (this.socket) this.socket.sendFrame(frame);
    else if (this.outbox.length < MAX_AWAY_OUTBOX) this.outbox.push(frame);
  };

  /** The socket dropped: keep the place for `graceMs`, then call `onExpired`. */
  awaitResume(graceMs: number, onExpired: () => void): void {
    this.socket = undefined;
    this.graceTimer = setTimeout(onExpired, graceMs);
  }

  /** A new socket took this session over: send it what was queued meanwhile. */
  resume(socket: FrameSink): void {
    clearTimeout(this.graceTimer);
    this.socket = socket;
    const queued = this.outbox;
    this.outbox = [];
    for (const frame of queued) socket.sendFrame(frame);
  }

  end(): void {
    clearTimeout(this.graceTimer);
    this.socket = undefined;
    this.outbox = [];
  }

  /** Counts a candidate sent to `peerId`; false once past the limit for this negotiation. */
  countCandidate(peerId: string): boolean {
    this.candidatesSent ??= new Map();
    const sent = (this.candidatesSent.get(peerId) ?? 0) + 1;
    this.candidatesSent.set(peerId, sent);
    return sent <= MAX_CANDIDATES_PER_PEER;
  }

  /** A new description starts a new round of candidates. */
  resetCandidates(peerId: string): void {
    this.candidatesSent?.delete(peerId);
  }
}
