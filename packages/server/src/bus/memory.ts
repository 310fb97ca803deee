import type { MemoryRoomStore } from '../store/memory.ts';
import type { MemberAddress } from '../store/room-store.ts';
import { type Attachment, type FrameSink, MAX_UNACKED_FRAMES, numbered, type Outgoing, type SendOutcome, type SignalBus } from './signal-bus.ts';

/** One member's numbering both ways, and the frames the client has not acknowledged. */
interface Inbox {
  sink: FrameSink | undefined;
  sentSeq: number;
  /** Not yet acknowledged, oldest first: they carry the numbers sentSeq - length + 1 … sentSeq. */
  unacked: string[];
  /** The last numbered client message taken. */
  receivedSeq: number;
}

/**
 * The bus within one process: every member's socket is here, so delivering is
 * a function call. Most members are idle most of the time, so an inbox keeps
 * nothing but its counters between messages.
 */
export class MemorySignalBus implements SignalBus {
  private readonly inboxes = new Map<string, Inbox>();
  private readonly knockerListeners: ((knockId: string, frame: string) => void)[] = [];

  constructor(private readonly store: MemoryRoomStore) {}

  async send({ roomId, addressee, frame, cause }: Outgoing): Promise<SendOutcome> {
    if (cause && !this.takeNow(cause.peerId, cause.seq)) return 'duplicate';
    if ('to' in addressee) {
      if (!this.store.hasMember(roomId, addressee.to)) return 'not-member';
      this.deliver(addressee.to, frame);
    } else {
      for (const peerId of this.store.memberIds(roomId)) if (peerId !== addressee.allBut) this.deliver(peerId, frame);
    }
    return 'sent';
  }

  async attach({ peerId }: MemberAddress, sink: FrameSink, afterSeq: number, greet: (attachment: Attachment) => void): Promise<Attachment> {
    const inbox = this.inbox(peerId);
    const previous = inbox.sink;
    inbox.sink = sink;
    if (previous && previous !== sink) previous.supersede();
    this.acknowledge(peerId, afterSeq);
    // After a restart numbering starts over, whatever the client saw before.
    const attachment = { resendFrom: Math.min(afterSeq, inbox.sentSeq) + 1, receivedSeq: inbox.receivedSeq };
    greet(attachment);
    const firstKept = inbox.sentSeq - inbox.unacked.length + 1;
    for (let i = Math.max(0, attachment.resendFrom - firstKept); i < inbox.unacked.length; i++) sink.sendFrame(inbox.unacked[i]!);
    return attachment;
  }

  async take(peerId: string, seq: number): Promise<boolean> {
    return this.takeNow(peerId, seq);
  }

  detach(peerId: string, sink: FrameSink): void {
    const inbox = this.inboxes.get(peerId);
    if (inbox?.sink === sink) inbox.sink = undefined;
  }

  acknowledge(peerId: string, seq: number): void {
    const inbox = this.inboxes.get(peerId);
    if (!inbox || inbox.unacked.length === 0) return;
    const kept = inbox.sentSeq - seq;
    if (kept <= 0) inbox.unacked = [];
    else if (kept < inbox.unacked.length) inbox.unacked = inbox.unacked.slice(inbox.unacked.length - kept);
  }

  /** Within one process a member is never taken over by another. */
  onTakenOver(): void {}

  async tellKnocker(knockId: string, frame: string): Promise<void> {
    for (const listener of this.knockerListeners) listener(knockId, frame);
  }

  onKnockerNews(listener: (knockId: string, frame: string) => void): void {
    this.knockerListeners.push(listener);
  }

  async forget(peerId: string): Promise<void> {
    this.inboxes.delete(peerId);
  }

  async close(): Promise<void> {
    this.inboxes.clear();
  }

  private inbox(peerId: string): Inbox {
    let inbox = this.inboxes.get(peerId);
    if (!inbox) {
      inbox = { sink: undefined, sentSeq: 0, unacked: [], receivedSeq: 0 };
      this.inboxes.set(peerId, inbox);
    }
    return inbox;
  }

  private takeNow(peerId: string, seq: number): boolean {
    const inbox = this.inbox(peerId);
    if (seq <= inbox.receivedSeq) return false;
    inbox.receivedSeq = seq;
    return true;
  }

  private deliver(peerId: string, frame: string): void {
    const inbox = this.inbox(peerId);
    const message = numbered(frame, ++inbox.sentSeq);
    inbox.unacked.push(message);
    if (inbox.unacked.length > MAX_UNACKED_FRAMES) inbox.unacked.shift();
    inbox.sink?.sendFrame(message);
  }
}
