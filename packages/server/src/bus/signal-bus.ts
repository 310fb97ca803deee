import type { MemberAddress } from '../store/room-store.ts';

/**
 * Frames to clients are numbered per member. The number goes last: JSON.parse
 * keeps the last of repeated keys, so no `seq` inside a relayed message can
 * stand in for the server's.
 */
export function numbered(frame: string, seq: number): string {
  return `${frame.slice(0, -1)},"seq":${seq}}`;
}

/**
 * Frames kept per member for re-sending after a dropped socket. The client
 * acknowledges on every numbered message it sends and on every heartbeat, so
 * in practice an inbox holds a fraction of a second's worth; the cap only
 * matters for a client that stops acknowledging.
 */
export const MAX_UNACKED_FRAMES = 256;

/** Where a frame for one member goes: the socket of the process that holds them. */
export interface FrameSink {
  sendFrame(frame: string): void;
  /** Another socket (maybe on another process) took this member over. */
  supersede(): void;
}

/** To one member, or to every member of the room but one (a broadcast from that one). */
export type Addressee = { to: string } | { allBut: string };

export interface Outgoing {
  roomId: string;
  addressee: Addressee;
  /** A serialized server message without its `seq`; the bus numbers it per addressee. */
  frame: string;
  /**
   * The numbered client message this frame answers: taken once. A re-send of
   * a number already taken (after a resume) delivers nothing.
   */
  cause?: { peerId: string; seq: number };
}

/** `not-member`: the one addressee is not in the room. `duplicate`: the cause's number was taken before. */
export type SendOutcome = 'sent' | 'not-member' | 'duplicate';

export interface Attachment {
  /** The first of this member's numbers being sent again (1 when numbering started over). */
  resendFrom: number;
  /** The last numbered client message taken from this member. */
  receivedSeq: number;
}

/**
 * Delivers numbered frames to a member wherever their socket is, in order,
 * without loss: each member has an inbox that keeps the last frames (see
 * MAX_UNACKED_FRAMES), so a socket that moves (to a new connection, or to
 * another process after a crash) gets what it missed.
 */
export interface SignalBus {
  send(message: Outgoing): Promise<SendOutcome>;
  /**
   * This process now holds the member's socket, whose client has every frame up
   * to `afterSeq`. Calls `greet` (which sends the unnumbered `joined` or
   * `resumed`), then hands `sink` every kept frame from `resendFrom` on, then
   * each new one as it comes. A sink attached before (here or on another
   * process) is superseded.
   */
  attach(member: MemberAddress, sink: FrameSink, afterSeq: number, greet: (attachment: Attachment) => void): Promise<Attachment>;
  /**
   * Takes a numbered client message whose outcome is sent later or not at all
   * (SFU requests): false when its number was taken before (a re-send after a
   * resume), which the caller then ignores.
   */
  take(peerId: string, seq: number): Promise<boolean>;
  /** The socket closed: frames wait in the inbox until the member is attached again. */
  detach(peerId: string, sink: FrameSink): void;
  /** The client has every frame up to `seq`; what is kept for it may be dropped. */
  acknowledge(peerId: string, seq: number): void;
  /** `listener` hears of each member this process held that another process has since attached. */
  onTakenOver(listener: (peerId: string) => void): void;
  /**
   * Tells a knocker (who is no member: no inbox, no numbers) something, on
   * whichever process holds their socket. Only the fast path: a knocker whose
   * socket was down reads their knock's state from the store when they return.
   */
  tellKnocker(knockId: string, frame: string): Promise<void>;
  /** `listener` hears every frame told to a knocker, to pass on to those whose socket this process holds. */
  onKnockerNews(listener: (knockId: string, frame: string) => void): void;
  /** The session ended: its inbox and numbering go. */
  forget(peerId: string): Promise<void>;
  close(): Promise<void>;
}
