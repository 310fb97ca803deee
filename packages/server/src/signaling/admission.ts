import type { ErrorCode } from '@videoapp/protocol';
import { PerMinuteLimit } from '../rate-limit.ts';
import type { RoomRegistry } from '../registry/room-registry.ts';
import { hostKeyMatches, verifyPasscode } from '../room-secrets.ts';

/** `life`: the room's life the newcomer was admitted to (see RoomAccess). */
export type Admission = { ok: true; host: boolean; life: string } | { ok: false; code: ErrorCode; message: string };

export interface AdmissionLimits {
  passcodeAttemptsPerMinutePerAddress: number;
  passcodeAttemptsPerMinutePerRoom: number;
}

/**
 * Decides whether someone may enter a room before the registry is asked to
 * add them: the host (who holds the room's host key) always may; anyone else
 * needs the passcode if there is one, and finds a locked room closed.
 * Passcode tries are limited per address and per room, so guessing a passcode
 * is as hopeless as guessing a room ID.
 */
export class RoomAdmission {
  private readonly triesByAddress: PerMinuteLimit;
  private readonly triesByRoom: PerMinuteLimit;

  constructor(
    private readonly registry: RoomRegistry,
    limits: AdmissionLimits,
  ) {
    this.triesByAddress = new PerMinuteLimit(limits.passcodeAttemptsPerMinutePerAddress);
    this.triesByRoom = new PerMinuteLimit(limits.passcodeAttemptsPerMinutePerRoom);
  }

  async admit(roomId: string, presented: { passcode?: string; hostKey?: string }, address: string): Promise<Admission> {
    const access = await this.registry.access(roomId);
    if (!access) return { ok: false, code: 'room-not-found', message: 'no such room, or it has expired' };
    if (presented.hostKey !== undefined && hostKeyMatches(presented.hostKey, access.hostKeyHash)) return { ok: true, host: true, life: access.life };
    if (access.passcodeHash !== undefined) {
      if (presented.passcode === undefined) return { ok: false, code: 'wrong-passcode', message: 'this room needs a passcode' };
      if (!this.triesByAddress.take(address) || !this.triesByRoom.take(roomId)) return { ok: false, code: 'rate-limited', message: 'too many passcode attempts; wait a minute' };
      if (!(await verifyPasscode(presented.passcode, access.passcodeHash))) return { ok: false, code: 'wrong-passcode', message: 'that passcode is not right' };
    }
    if (access.locked) return { ok: false, code: 'room-locked', message: 'the host has locked this room' };
    return { ok: true, host: false, life: access.life };
  }
}
