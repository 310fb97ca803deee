/**
 * The people knocking at a room ("Ask to join"), as every process sees them.
 * A knocker is not a member: they have no peer id, no inbox and no place in
 * the room's roster, so nothing sent to the room can reach them.
 */

/** `waiting` for the host; then `admitted` (may join with the token) or `denied`. */
export type KnockState = 'waiting' | 'admitted' | 'denied';

export interface KnockRecord {
  /** Public: the host admits or denies by it. */
  id: string;
  /** Private: with the id, it makes the knock token only the knocker holds. */
  secret: string;
  name: string;
  /** When they first knocked (epoch ms): the queue's order, kept across reloads. */
  at: number;
  state: KnockState;
  /** Counts the sockets the knocker has come back on, so a late "their socket closed" cannot remove a knocker who already returned. */
  visit: number;
}

export type AddKnockOutcome = 'added' | 'waiting-list-full' | 'room-not-found';

/** The room store's half that keeps knocks; the rooms service decides who may knock and who may answer. */
export interface KnockQueue {
  /** Whether newcomers must knock; it holds for the room until the host turns it off. */
  setAskToJoin(roomId: string, on: boolean): Promise<void>;
  /**
   * Adds a waiting knock unless `max` are waiting already, in one step (so a
   * flood across processes cannot overshoot the cap).
   */
  addKnock(roomId: string, knock: KnockRecord, max: number): Promise<AddKnockOutcome>;
  knock(roomId: string, knockId: string): Promise<KnockRecord | undefined>;
  /** Every knock of the room, oldest first. */
  knocks(roomId: string): Promise<KnockRecord[]>;
  /** Moves a knock from `waiting` to `to`; the moved record, or undefined (changing nothing) when it was not waiting. Of racing callers one wins. */
  answerKnock(roomId: string, knockId: string, to: Exclude<KnockState, 'waiting'>): Promise<KnockRecord | undefined>;
  /** The knocker is back on a new socket: the knock's next visit number, or undefined when it is gone. */
  revisitKnock(roomId: string, knockId: string): Promise<number | undefined>;
  /** Removes a knock (only if it is still on visit `visit`, when given); true for the one call that removed it. */
  removeKnock(roomId: string, knockId: string, visit?: number): Promise<boolean>;
  /** Members holding host rights (who see and answer knocks). */
  hostIds(roomId: string): Promise<string[]>;
}

/** Oldest first; ties (same millisecond) broken by id, so every process lists the same order. */
export function byArrival(a: KnockRecord, b: KnockRecord): number {
  return a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
