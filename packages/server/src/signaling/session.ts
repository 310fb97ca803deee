import { MAX_CANDIDATES_PER_PEER } from '@videoapp/protocol';

/**
 * Numbered frames kept for re-sending after a dropped socket. The client
 * acknowledges every heartbeat, so in practice this holds a few seconds' worth;
 * the cap only matters for a client that stops acknowledging.
 */
export const MAX_UNACKED_FRAMES = 256;

export interface FrameSink {
  sendFrame(frame: string): void;
}

/**
 * One person's place in one room. It outlives a dropped socket for a grace
 * period, so a short signaling outage is a pause rather than a departure.
 * Frames to the client are numbered and kept until acknowledged, so a new
 * socket gets whatever the old one lost; numbered frames from the client are
 * accepted once, so its re-sends are harmless.
 */
export class Session {
  private socket: FrameSink | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private repeatTimer: NodeJS.Timeout | undefined;
  /** Created on the first candidate: a server holds a session per person, most of them idle. */
  private candidatesSent: Map<string, number> | undefined;
  private sentSeq = 0;
  private unacked: { seq: number; frame: string }[] = [];
  /** The last numbered client message taken. */
  receivedSeq = 0;

  constructor(
    readonly peerId: string,
    readonly name: string,
    readonly roomId: string,
    readonly resumeToken: string,
    socket: FrameSink,
    /** Created the room (presented its host key), so may lock it. */
    readonly host = false,
  ) {
    this.socket = socket;
  }

  get isAway(): boolean {
    return this.socket === undefined;
  }

  isAttachedTo(socket: FrameSink): boolean {
    return this.socket === socket;
  }

  /** Numbers a serialized server message, keeps it until acknowledged, and sends it if a socket is attached. */
  readonly deliver = (frame: string): void => {
    const seq = ++this.sentSeq;
    const numbered = `{"seq":${seq},${frame.slice(1)}`;
    this.unacked.push({ seq, frame: numbered });
    if (this.unacked.length > MAX_UNACKED_FRAMES) this.unacked.shift();
    this.socket?.sendFrame(numbered);
  };

  /** The client has everything up to `seq`. */
  acknowledge(seq: number): void {
    let drop = 0;
    while (drop < this.unacked.length && this.unacked[drop]!.seq <= seq) drop++;
    if (drop > 0) this.unacked = this.unacked.slice(drop);
  }

  /** Takes a numbered client message once; false for one already taken (a re-send after a resume). */
  accept(seq: number | undefined): boolean {
    if (seq === undefined) return true;
    if (seq <= this.receivedSeq) return false;
    this.receivedSeq = seq;
    return true;
  }

  /** The socket dropped: keep the place for `graceMs`, then call `onExpired`. */
  awaitResume(graceMs: number, onExpired: () => void): void {
    this.socket = undefined;
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(onExpired, graceMs);
  }

  /**
   * A new socket took this session over, having received everything up to
   * `clientLastSeq`. Returns the first sequence number that will be re-sent by `resend`.
   */
  resume(socket: FrameSink, clientLastSeq: number): number {
    clearTimeout(this.graceTimer);
    this.socket = socket;
    this.acknowledge(clientLastSeq);
    // A session rebuilt after a server restart numbers from 1 again, whatever the client saw before.
    return Math.min(clientLastSeq, this.sentSeq) + 1;
  }

  /** Sends again every kept frame from `fromSeq` on. */
  resend(fromSeq: number): void {
    for (const { seq, frame } of this.unacked) if (seq >= fromSeq) this.socket?.sendFrame(frame);
  }

  /** Delivers `frame()` every `intervalMs` while the session lives; queued like any frame while the socket is away. */
  repeatDelivery(intervalMs: number, frame: () => string): void {
    clearInterval(this.repeatTimer);
    this.repeatTimer = setInterval(() => this.deliver(frame()), intervalMs);
    this.repeatTimer.unref();
  }

  end(): void {
    clearTimeout(this.graceTimer);
    clearInterval(this.repeatTimer);
    this.socket = undefined;
    this.unacked = [];
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
