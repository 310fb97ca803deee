import { HAND_CHANGES_PER_MINUTE, REACTIONS_PER_MINUTE, type ReactionEmoji, type ServerMessage } from '@videoapp/protocol';
import type { SignalBus } from '../bus/signal-bus.ts';
import type { Metrics } from '../metrics.ts';
import { PerMinuteLimit } from '../rate-limit.ts';
import type { RoomStore } from '../store/room-store.ts';
import type { Member } from './member.ts';
import type { Refusal } from './rooms-service.ts';

export interface RoomHandsDeps {
  store: RoomStore;
  bus: SignalBus;
  metrics: Metrics;
}

const HANDS_LIMITED: Refusal = { code: 'rate-limited', message: `at most ${HAND_CHANGES_PER_MINUTE} hand raises and lowers a minute` };
const REACTIONS_LIMITED: Refusal = { code: 'rate-limited', message: `at most ${REACTIONS_PER_MINUTE} reactions a minute` };
const NOT_HOST: Refusal = { code: 'not-room-host', message: "only the room's host can lower someone else's hand" };
const NOT_IN_ROOM: Refusal = { code: 'peer-not-found', message: 'that person is not in your room' };

/**
 * Raised hands and reactions. Hands are room state, kept in the store (so a
 * newcomer, a reloaded page or another process sees them, in the order they
 * went up); reactions are passing events, only relayed. Everyone, the sender
 * included, hears of each change from here, so every screen shows the same
 * order. The per-minute limits count in the process holding the member's
 * socket, as chat does.
 */
export class RoomHands {
  private readonly handChanges = new PerMinuteLimit(HAND_CHANGES_PER_MINUTE);
  private readonly reactions = new PerMinuteLimit(REACTIONS_PER_MINUTE);

  constructor(private readonly deps: RoomHandsDeps) {}

  /** Raises or lowers the member's own hand; a re-sent message (after a resume) is taken once. */
  async own(member: Member, raised: boolean, seq: number | undefined): Promise<Refusal | undefined> {
    if (!this.handChanges.take(member.id)) return HANDS_LIMITED;
    if (!(await this.firstTime(member, seq))) return undefined;
    const { store } = this.deps;
    const changed = raised ? await store.raiseHand(member.roomId, member.id) : await store.lowerHand(member.roomId, member.id);
    if (changed) await this.announce(member.roomId, { type: 'hand', peerId: member.id, raised });
    return undefined;
  }

  /** The host lowers someone's hand (lowering a hand already down changes nothing). */
  async lowerOther(member: Member, peerId: string, seq: number | undefined): Promise<Refusal | undefined> {
    if (peerId === member.id) return this.own(member, false, seq);
    if (!member.host) return NOT_HOST;
    if (!this.handChanges.take(member.id)) return HANDS_LIMITED;
    const { store } = this.deps;
    if (!(await store.members(member.roomId)).some((m) => m.id === peerId)) return NOT_IN_ROOM;
    if (!(await this.firstTime(member, seq))) return undefined;
    if (await store.lowerHand(member.roomId, peerId)) await this.announce(member.roomId, { type: 'hand', peerId, raised: false, by: member.id });
    return undefined;
  }

  async react(member: Member, emoji: ReactionEmoji, seq: number | undefined): Promise<Refusal | undefined> {
    if (!this.reactions.take(member.id)) return REACTIONS_LIMITED;
    const outcome = await this.deps.bus.send({
      roomId: member.roomId,
      addressee: { allBut: '' },
      frame: JSON.stringify({ type: 'reaction', from: member.id, emoji } satisfies ServerMessage),
      cause: seq === undefined ? undefined : { peerId: member.id, seq },
    });
    if (outcome === 'sent') this.deps.metrics.relayed('reaction');
    return undefined;
  }

  /**
   * Tells a member who just joined or came back which hands are up now, if
   * any (with none, there is nothing to say: a client starts with none);
   * later changes reach them as `hand` messages.
   */
  async tell(member: Member): Promise<void> {
    const peerIds = await this.deps.store.raisedHands(member.roomId);
    if (peerIds.length === 0) return;
    await this.deps.bus.send({ roomId: member.roomId, addressee: { to: member.id }, frame: JSON.stringify({ type: 'raised-hands', peerIds } satisfies ServerMessage) });
  }

  /** False for a numbered message already taken (re-sent after a resume). */
  private firstTime(member: Member, seq: number | undefined): Promise<boolean> {
    return seq === undefined ? Promise.resolve(true) : this.deps.bus.take(member.id, seq);
  }

  private async announce(roomId: string, message: ServerMessage): Promise<void> {
    // No member has the empty id: `allBut: ''` is everyone, the sender included.
    await this.deps.bus.send({ roomId, addressee: { allBut: '' }, frame: JSON.stringify(message) });
    this.deps.metrics.relayed(message.type);
  }
}
