import { MAX_CANDIDATES_PER_PEER } from '@videoapp/protocol';
import type { MemberRecord } from '../store/room-store.ts';

/**
 * One person's place in one room, as the process holding their socket knows
 * it: who they are, and what only this process needs to count (candidates
 * per negotiation, the timers that keep them supplied with fresh credentials).
 * Their numbered frames live in the signal bus, so the place can move to
 * another process with nothing lost.
 */
export class Member implements MemberRecord {
  private timers: NodeJS.Timeout[] | undefined;
  private candidatesSent: Map<string, number> | undefined;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly roomId: string,
    /** Which life of the room this place belongs to (see RoomAccess). */
    readonly roomLife: string,
    readonly host: boolean,
  ) {}

  get address(): { roomId: string; peerId: string } {
    return { roomId: this.roomId, peerId: this.id };
  }

  /** Runs `task` every `intervalMs` until the member ends. */
  every(intervalMs: number, task: () => void): void {
    const timer = setInterval(task, intervalMs);
    timer.unref();
    this.timers ??= [];
    this.timers.push(timer);
  }

  end(): void {
    for (const timer of this.timers ?? []) clearInterval(timer);
    this.timers = undefined;
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
