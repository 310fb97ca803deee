import type { ErrorCode, PeerInfo } from '@videoapp/protocol';

/** Hands a serialized server message to one member's socket, wherever it lives. */
export type Deliver = (frame: string) => void;

export type JoinOutcome = { ok: true; others: PeerInfo[] } | { ok: false; code: Extract<ErrorCode, 'room-not-found' | 'room-full'> };

export interface RoomStatus {
  peers: number;
  capacity: number;
}

/**
 * Where rooms and their members live. The signaling code above this interface
 * does not know whether it runs on one process (in memory) or several (Redis).
 */
export interface RoomRegistry {
  createRoom(): Promise<string>;
  status(roomId: string): Promise<RoomStatus | undefined>;
  join(roomId: string, member: PeerInfo, deliver: Deliver): Promise<JoinOutcome>;
  /**
   * Puts a returning member back under its old id, re-creating the room if it
   * is gone (the server restarted). Fails only if the room has filled since.
   */
  restore(roomId: string, member: PeerInfo, deliver: Deliver): Promise<JoinOutcome>;
  leave(roomId: string, peerId: string): Promise<void>;
  members(roomId: string): Promise<PeerInfo[]>;
  /** Sends to one member; false when that peer is not in the room. */
  sendTo(roomId: string, peerId: string, frame: string): boolean;
  /** Sends to every member but one. */
  broadcast(roomId: string, exceptPeerId: string, frame: string): void;
  roomCount(): number;
  close(): Promise<void>;
}
