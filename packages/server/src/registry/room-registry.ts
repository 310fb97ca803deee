import type { ErrorCode, PeerInfo } from '@videoapp/protocol';

/** A person in a room as this process holds them: who they are, and the way to their socket. */
export interface Member {
  readonly id: string;
  readonly name: string;
  /** Hands a serialized server message to this member's socket, wherever it lives. */
  deliver(frame: string): void;
}

export type JoinOutcome = { ok: true; others: PeerInfo[] } | { ok: false; code: Extract<ErrorCode, 'room-not-found' | 'room-full' | 'room-locked'> };

export interface RoomStatus {
  peers: number;
  capacity: number;
  /** Joining needs a passcode. */
  passcode: boolean;
  locked: boolean;
}

/** A room's secrets, only ever as hashes (see room-secrets.ts). */
export interface RoomSecrets {
  hostKeyHash: string;
  passcodeHash?: string;
}

export interface RoomAccess extends RoomSecrets {
  locked: boolean;
  /**
   * Which life of the room this is: random, set when the room is created.
   * Resume tokens name it, so a room made anew under the same ID (after the
   * old one expired) honours none of the old one's tokens.
   */
  life: string;
}

/**
 * Where rooms and their members live. The signaling code above this interface
 * does not know whether it runs on one process (in memory) or several (Redis).
 */
export interface RoomRegistry {
  createRoom(secrets: RoomSecrets): Promise<string>;
  status(roomId: string): Promise<RoomStatus | undefined>;
  /** What a join must satisfy: the hashes to check and whether the room is locked. */
  access(roomId: string): Promise<RoomAccess | undefined>;
  setLocked(roomId: string, locked: boolean): Promise<void>;
  /**
   * Adds a member to the room's life `life` (as admission saw it); a locked
   * room refuses everyone but its host (checked here, so it cannot race a lock).
   */
  join(roomId: string, member: Member, options: { host: boolean; life: string }): Promise<JoinOutcome>;
  /**
   * Puts a returning member back under its old id, re-creating the room if it
   * is gone (the server restarted). Fails if the room has filled since, or if
   * the room now under that ID is another life of it.
   */
  restore(roomId: string, life: string, member: Member): Promise<JoinOutcome>;
  leave(roomId: string, peerId: string): Promise<void>;
  members(roomId: string): Promise<PeerInfo[]>;
  /** Sends to one member; false when that peer is not in the room. */
  sendTo(roomId: string, peerId: string, frame: string): boolean;
  /** Sends to every member but one. */
  broadcast(roomId: string, exceptPeerId: string, frame: string): void;
  roomCount(): number;
  close(): Promise<void>;
}
