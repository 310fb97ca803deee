import { MAX_CANDIDATES_PER_PEER } from '@videoapp/protocol';
import type { Member } from '../registry/room-registry.ts';

/**
 * Numbered frames kept for re-sending after a dropped socket. The client
 * acknowledges on every numbered message it sends and on every heartbeat, so
 * in practice this holds a fraction of a second's worth; the cap only matters
 * for a client that stops acknowledging.
 */
export const MAX_UNACKED_FRAMES = 256;

export interface FrameSink {
  /** Sends one text message: a string, or its UTF-8 bytes. */
  sendFrame(frame: string | Buffer): void;
}

/**
 * One person's place in one room. It outlives a dropped socket for a grace
 * period, so a short signaling outage is a pause rather than a departure.
 * Frames to the client are numbered and kept until acknowledged, so a new
 * socket gets whatever the old one lost; numbered frames from the client are
 * accepted once, so its re-sends are harmless.
 *
 * A server holds one of these per connected person, most of them idle, so it
 * is kept small: the registry holds the session itself as the room's member,
 * and what only some sessions need is created on first use.
 */
export class Session implements Member {
  private socket: FrameSink | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private repeatTimer: NodeJS.Timeout | undefined;
  private candidatesSent: Map<string, number> | undefined;
  private sentSeq = 0;
  /**
   * Frames not yet acknowledged, oldest first: they carry the numbers sentSeq - length + 1 … sentSeq.
   * Kept encoded, outside the JS heap: under load thousands of frames wait for their acknowledgement
   * at any moment, and as strings every young-generation collection copied them.
   */
  private unacked: Buffer[] | undefined;
  /** The last numbered client message taken. */
  receivedSeq = 0;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly roomId: string,
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

  /**
   * Numbers a serialized server message, keeps it until acknowledged, and
   * sends it if a socket is attached. The number goes last: JSON.parse keeps
   * the last of repeated keys, so no `seq` inside a relayed message can stand
   * in for the server's.
   */
  deliver(frame: string): void {
    const seq = ++this.sentSeq;
    // Encoded once, the closing brace then overwritten by the number and a new brace: a relayed frame is
    // spliced from pieces, and numbering it as a string would copy its ~1.5 KB twice more.
    const frameBytes = Buffer.byteLength(frame);
    const numbering = `,"seq":${seq}}`;
    const numbered = Buffer.allocUnsafe(frameBytes - 1 + numbering.length);
    numbered.write(frame);
    numbered.write(numbering, frameBytes - 1, 'latin1');
    const unacked = (this.unacked ??= []);
    unacked.push(numbered);
    if (unacked.length > MAX_UNACKED_FRAMES) unacked.shift();
    this.socket?.sendFrame(numbered);
  }

  /** The client has everything up to `seq`. */
  acknowledge(seq: number): void {
    const unacked = this.unacked;
    if (!unacked) return;
    const kept = this.sentSeq - seq;
    if (kept <= 0) this.unacked = undefined;
    else if (kept < unacked.length) this.unacked = unacked.slice(unacked.length - kept);
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
    const unacked = this.unacked ?? [];
    const firstKept = this.sentSeq - unacked.length + 1;
    for (let i = Math.max(0, fromSeq - firstKept); i < unacked.length; i++) this.socket?.sendFrame(unacked[i]!);
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
    this.unacked = undefined;
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
