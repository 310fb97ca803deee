import type { MessageOf, ServerMessage } from '@videoapp/protocol';

/** One hand going up or down, as the UI announces it; `by` is the host when the host lowered it. */
export interface HandChange {
  peerId: string;
  raised: boolean;
  by: string | undefined;
}

/**
 * The room's raised hands, earliest first, as the server keeps them: a
 * snapshot on joining or resuming, then one change at a time. The server is
 * the only authority (it orders hands raised on different processes), so
 * nothing here changes until it says so.
 */
export class RaisedHands {
  private order: string[] = [];

  get list(): readonly string[] {
    return this.order;
  }

  isRaised(peerId: string): boolean {
    return this.order.includes(peerId);
  }

  /** Applies the server's snapshot; returns what changed, for announcements. */
  replace(msg: MessageOf<ServerMessage, 'raised-hands'>): HandChange[] {
    const before = new Set(this.order);
    this.order = [...new Set(msg.peerIds)];
    const after = new Set(this.order);
    return [
      ...this.order.filter((id) => !before.has(id)).map((peerId) => ({ peerId, raised: true, by: undefined })),
      ...[...before].filter((id) => !after.has(id)).map((peerId) => ({ peerId, raised: false, by: undefined })),
    ];
  }

  /** Applies one change; undefined when it changes nothing (already so). */
  apply(msg: MessageOf<ServerMessage, 'hand'>): HandChange | undefined {
    if (msg.raised === this.isRaised(msg.peerId)) return undefined;
    this.order = msg.raised ? [...this.order, msg.peerId] : this.order.filter((id) => id !== msg.peerId);
    return { peerId: msg.peerId, raised: msg.raised, by: msg.by };
  }

  /** Someone left: their hand goes with them (the server drops it without a message). */
  remove(peerId: string): boolean {
    const had = this.isRaised(peerId);
    this.order = this.order.filter((id) => id !== peerId);
    return had;
  }

  clear(): void {
    this.order = [];
  }
}
