import type { Call, HandChange } from '@videoapp/client';
import type { ReactionEmoji } from '@videoapp/protocol';
import { Announcer } from './announcer.ts';
import { RaisedHandsList } from './raised-hands-list.ts';
import { floatReaction, ReactionPicker } from './reactions.ts';

export interface HandsHooks {
  /** Where a person's reactions float: their tile, or the corner of our own picture (`undefined` id). */
  reactionSpot: (peerId: string | undefined) => HTMLElement | undefined;
  /** Marks a person's tile with their raised hand. */
  showHand: (peerId: string, raised: boolean) => void;
  /** The control bar shows whether our hand is up and whether the picker is open. */
  changed: () => void;
}

/**
 * Raised hands and reactions in the room: what the server says becomes
 * tile marks, the ordered list, floating emoji and a spoken line each.
 */
export class HandsAndReactions {
  readonly announcer = new Announcer();
  readonly list: RaisedHandsList;
  readonly picker: ReactionPicker;

  constructor(
    private readonly call: Call,
    private readonly hooks: HandsHooks,
  ) {
    this.list = new RaisedHandsList((peerId) => call.lowerHandOf(peerId));
    this.picker = new ReactionPicker(
      (emoji) => call.react(emoji),
      () => hooks.changed(),
    );
    call.on('hand', (change) => this.onHand(change));
    call.on('reaction', ({ peerId, emoji }) => this.onReaction(peerId, emoji));
  }

  get ownHandRaised(): boolean {
    const self = this.call.selfId;
    return self !== undefined && this.call.raisedHands.includes(self);
  }

  toggleOwnHand(): void {
    this.call.raiseHand(!this.ownHandRaised);
  }

  private onHand(change: HandChange): void {
    const self = this.call.selfId;
    if (change.peerId !== self) this.hooks.showHand(change.peerId, change.raised);
    this.renderList();
    this.hooks.changed();
    const text = this.describe(change);
    if (text) this.announcer.say(text);
  }

  private onReaction(peerId: string, emoji: ReactionEmoji): void {
    const own = peerId === this.call.selfId;
    const spot = this.hooks.reactionSpot(own ? undefined : peerId);
    if (spot) floatReaction(spot, emoji);
    const name = own ? 'You' : this.nameOf(peerId);
    if (name) this.announcer.say(`${name} reacted ${emoji}`);
  }

  /** The spoken line for a hand going up or down; none for a hand that left with its person (their departure is said already). */
  private describe({ peerId, raised, by }: HandChange): string | undefined {
    const self = this.call.selfId;
    const who = peerId === self ? 'You' : this.nameOf(peerId);
    if (!who) return undefined;
    if (raised) return peerId === self ? 'You raised your hand' : `${who} raised their hand`;
    if (by === undefined || by === peerId) return peerId === self ? 'You lowered your hand' : `${who} lowered their hand`;
    if (peerId === self) return `${this.nameOf(by) || 'The host'} lowered your hand`;
    return by === self ? `You lowered ${who}'s hand` : `${this.nameOf(by) || 'The host'} lowered ${who}'s hand`;
  }

  private renderList(): void {
    const self = this.call.selfId;
    const host = this.call.isHost;
    this.list.render(
      this.call.raisedHands.flatMap((peerId) => {
        const name = peerId === self ? 'You' : this.nameOf(peerId);
        return name ? [{ peerId, name, self: peerId === self, canLower: host || peerId === self }] : [];
      }),
    );
  }

  private nameOf(peerId: string): string | undefined {
    const peer = this.call.participants().find((p) => p.id === peerId);
    return peer && (peer.name || 'Someone');
  }
}
