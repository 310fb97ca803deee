import type { ErrorCode } from '@videoapp/protocol';
import { hostKeyMatches, verifyPasscode } from '../room-secrets.ts';
import type { RoomStore } from '../store/room-store.ts';
import { knockIdOf, knockTokenMatches } from './knock-token.ts';
import type { RateLimits } from './rate-limits.ts';

/**
 * `life`: the room's life the newcomer was admitted to (see RoomAccess); `locked`: whether the room was locked as they entered;
 * `knockId`: the admitted knock they came in by (spent once they are in).
 */
export type Admission = { ok: true; host: boolean; life: string; locked: boolean; askToJoin: boolean; knockId?: string } | { ok: false; code: ErrorCode; message: string };

/** What a newcomer presents; `knock` is the token of a knock the host admitted. */
export interface Presented {
  passcode?: string;
  hostKey?: string;
  knock?: string;
  /** Was in this life of the room a moment ago (a reloaded page; the rooms service checked its signed token). */
  returning?: boolean;
}

/**
 * Decides whether someone may enter a room (or, with `for: 'knock'`, knock
 * at it) before the store is asked to add them: the host (who holds the
 * room's host key) always may; someone the host admitted after a knock may
 * (their passcode was checked when they knocked), and so may someone who was
 * in the room a moment ago (a reload) without knocking again; anyone else needs the
 * passcode if there is one, finds a locked room closed, and must knock when
 * the host asks newcomers to. Passcode tries are limited per address and per
 * room, so guessing a passcode is as hopeless as guessing a room ID.
 */
export async function admit(store: RoomStore, limits: RateLimits, roomId: string, presented: Presented, address: string, purpose: 'join' | 'knock' = 'join'): Promise<Admission> {
  const access = await store.access(roomId);
  if (!access) return { ok: false, code: 'room-not-found', message: 'no such room, or it has expired' };
  if (presented.hostKey !== undefined && hostKeyMatches(presented.hostKey, access.hostKeyHash)) return { ok: true, host: true, life: access.life, locked: access.locked, askToJoin: access.askToJoin };
  if (presented.knock !== undefined && purpose === 'join') {
    const knock = await store.knock(roomId, knockIdOf(presented.knock));
    if (knock?.state === 'admitted' && knockTokenMatches(presented.knock, knock))
      return { ok: true, host: false, life: access.life, locked: access.locked, askToJoin: access.askToJoin, knockId: knock.id };
  }
  // A returning page passed the passcode the first time: its signed token says so.
  if (access.passcodeHash !== undefined && !presented.returning) {
    if (presented.passcode === undefined) return { ok: false, code: 'wrong-passcode', message: 'this room needs a passcode' };
    const allowed = (await limits.take('passcode-by-address', address)) && (await limits.take('passcode-by-room', roomId));
    if (!allowed) return { ok: false, code: 'rate-limited', message: 'too many passcode attempts; wait a minute' };
    if (!(await verifyPasscode(presented.passcode, access.passcodeHash))) return { ok: false, code: 'wrong-passcode', message: 'that passcode is not right' };
  }
  if (access.locked) return { ok: false, code: 'room-locked', message: 'the host has locked this room' };
  if (access.askToJoin && purpose === 'join' && !presented.returning) return { ok: false, code: 'knock-required', message: 'the host lets people in one by one: ask to join, then wait' };
  return { ok: true, host: false, life: access.life, locked: false, askToJoin: access.askToJoin };
}
