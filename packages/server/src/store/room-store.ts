import type { ErrorCode, MediaRoute, PeerInfo } from '@videoapp/protocol';
import type { SfuRoomKey } from '../sfu/sfu-adapter.ts';
import type { KnockQueue } from './knock-queue.ts';

export interface RoomStatus {
  peers: number;
  capacity: number;
  /** Joining needs a passcode. */
  passcode: boolean;
  locked: boolean;
  /** Newcomers knock and wait for the host. */
  askToJoin: boolean;
}

/** A room's secrets, only ever as hashes (see room-secrets.ts). */
export interface RoomSecrets {
  hostKeyHash: string;
  passcodeHash?: string;
}

export interface RoomAccess extends RoomSecrets {
  locked: boolean;
  /** Newcomers knock and wait for the host ("Ask to join"). */
  askToJoin: boolean;
  /**
   * Which life of the room this is: random, set when the room is created.
   * Resume tokens name it, so a room made anew under the same ID honours none
   * of an older life's tokens.
   */
  life: string;
}

/** A person in a room, as every process sees them. */
export interface MemberRecord {
  id: string;
  name: string;
  /** Created the room (presented its host key), so may lock it. */
  host: boolean;
}

export type JoinOutcome = { ok: true; others: PeerInfo[] } | { ok: false; code: Extract<ErrorCode, 'room-not-found' | 'room-full' | 'room-locked'> };

/** A member whose socket is gone: where to find them, so their grace can be counted and their departure announced. */
export interface MemberAddress {
  roomId: string;
  peerId: string;
}

/**
 * Rooms, their members, and the processes holding members' sockets.
 * Asynchronous, so one implementation can live in this process's memory and
 * another in Redis, shared by several processes; nothing above it knows which.
 *
 * Which process holds a member is written by the signal bus when it attaches
 * the member's socket (it routes frames by it). Entries of a process that
 * vanished do not linger: each process renews a lease, and members held under
 * a lapsed lease are handed to a survivor (`takeOrphans`), which counts their
 * grace and, if they never come back, declares them gone.
 */
export interface RoomStore extends KnockQueue {
  createRoom(secrets: RoomSecrets): Promise<string>;
  status(roomId: string): Promise<RoomStatus | undefined>;
  /** What a join must satisfy: the hashes to check, whether the room is locked, and its life. */
  access(roomId: string): Promise<RoomAccess | undefined>;
  setLocked(roomId: string, locked: boolean): Promise<void>;
  /** How the room's media travels now: `mesh` for a room that never moved (or is gone). */
  route(roomId: string): Promise<MediaRoute>;
  /**
   * Moves the room's route from `from` to `to` in one step; false, changing
   * nothing, when it was not `from`. Of several processes deciding the same
   * move at once, exactly one gets true and announces it.
   */
  moveRoute(roomId: string, from: MediaRoute, to: MediaRoute): Promise<boolean>;
  /** The SFU room recorded for the room (one for every process), if any. */
  sfuRoom(roomId: string): Promise<SfuRoomKey | undefined>;
  /**
   * Records `key` as the room's SFU room unless one is recorded already, in
   * one step: returns the one recorded now, which every process uses. A caller
   * whose key lost destroys the SFU room it made. Undefined when the room is
   * gone. The record goes with the room (and its expiry).
   */
  claimSfuRoom(roomId: string, key: SfuRoomKey): Promise<SfuRoomKey | undefined>;
  /**
   * Forgets the room's SFU room if it is still `key`; true only for the one
   * call that did, which then destroys it in the SFU (or knows it gone).
   */
  releaseSfuRoom(roomId: string, key: SfuRoomKey): Promise<boolean>;
  /**
   * Whether other processes share this store (Redis): what this process made
   * for a room (an SFU room) then outlives it, for them; in memory it does not.
   */
  readonly shared: boolean;
  /**
   * Adds a member to the room's life `life` (as admission saw it); a locked room refuses everyone but its host, and a full room
   * everyone (checked here, in one step, so neither can race a join).
   */
  join(roomId: string, life: string, member: MemberRecord): Promise<JoinOutcome>;
  /**
   * Puts a returning member back under its old id. A member still listed is simply taken over; a room that is gone (an
   * in-memory server restarted) is rebuilt, locked. Fails if the room now
   * under that ID is another life of it, or has filled since.
   */
  restore(roomId: string, life: string, member: MemberRecord): Promise<JoinOutcome>;
  /** Removes a member; true only for the one call that removed it, so a departure is announced once. */
  leave(roomId: string, peerId: string): Promise<boolean>;
  members(roomId: string): Promise<PeerInfo[]>;
  /**
   * Raises a member's hand, behind every hand already up; false (changing
   * nothing) when it is up already or they are not in the room. A member's
   * hand goes down by itself when they leave.
   */
  raiseHand(roomId: string, peerId: string): Promise<boolean>;
  /** Lowers a member's hand; true only for the one call that lowered it, so it is announced once. */
  lowerHand(roomId: string, peerId: string): Promise<boolean>;
  /** The members whose hand is up, in the order they raised it. */
  raisedHands(roomId: string): Promise<string[]>;
  /** The member's socket dropped: they keep their place until `until` (epoch ms) unless they come back. */
  markAway(address: MemberAddress, until: number): Promise<void>;
  markBack(address: MemberAddress): Promise<void>;
  /** Members away past their deadline; each is handed to exactly one caller, across all processes. */
  takeExpired(now: number): Promise<MemberAddress[]>;
  /** Keeps this process's lease alive; its members are orphaned when it lapses. */
  renewLease(processId: string): Promise<void>;
  /** Members held by processes whose lease lapsed; each handed to exactly one caller, who marks them away. */
  takeOrphans(): Promise<MemberAddress[]>;
  /** Whether the store can be used right now (Redis reachable); /readyz reports it. */
  readonly ready: boolean;
  close(): Promise<void>;
}
