import { type ErrorCode, type KnockDenial, MAX_LISTED_KNOCKERS, MAX_WAITING_KNOCKERS, type ServerMessage } from '@videoapp/protocol';
import type { SignalBus } from '../bus/signal-bus.ts';
import { type Logger, roomTag } from '../log.ts';
import type { KnockRecord } from '../store/knock-queue.ts';
import type { RoomStore } from '../store/room-store.ts';
import { admit } from './admission.ts';
import { knockIdOf, knockTokenMatches, knockTokenOf, newKnockKeys } from './knock-token.ts';
import type { Member } from './member.ts';
import type { RateLimits } from './rate-limits.ts';

/** Where a knock is: the room it waits at, and the socket visit it is on. */
export interface KnockAddress {
  roomId: string;
  knockId: string;
  visit: number;
}

/** What the door needs of a knocker's socket. */
export interface KnockerSocket {
  readonly address: string;
  send(message: ServerMessage): void;
  sendFrame(frame: string): void;
  /** The socket now waits as this knock; its next message may cancel it. */
  knocking(knock: KnockAddress): void;
  /** The host answered: the socket waits no more. */
  knockAnswered(): void;
}

export interface KnockRefusal {
  code: ErrorCode;
  message: string;
}

export interface KnockDoorDeps {
  store: RoomStore;
  bus: SignalBus;
  limits: RateLimits;
  log: Logger;
  /** How long a knocker whose socket closed keeps their place. */
  graceMs: number;
}

/** How every `knock-waiting` frame begins (JSON.stringify writes `type` first, as it comes first in each message built here). */
const WAITING_FRAME = '{"type":"knock-waiting"';
const NOT_WAITING: KnockRefusal = { code: 'knock-not-found', message: 'nobody with that knock is waiting: it was cancelled, timed out or answered already' };

/**
 * "Ask to join": newcomers wait outside the room until its host admits or
 * denies them. A knocker is never a member: they get no peer id, no roster,
 * no ICE servers, and nothing sent to the room reaches them; all they hear is
 * their place in the queue and the host's answer. The queue lives in the
 * store and answers travel through the signal bus, so a knocker and the host
 * may be on different processes, and either may reload.
 */
export class KnockDoor {
  /** Knockers whose socket this process holds. */
  private readonly local = new Map<string, { socket: KnockerSocket; knock: KnockAddress }>();
  /** Clean-ups due after the grace period: knockers whose socket closed here (unless they came back), answered knocks. */
  private readonly leaving = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: KnockDoorDeps) {
    deps.bus.onKnockerNews((knockId, frame) => this.deliver(knockId, frame));
  }

  /** A first knock, or (with `token`) a knocker coming back on a new socket. */
  async knock(socket: KnockerSocket, request: { roomId: string; name: string; passcode?: string; token?: string }): Promise<KnockRefusal | undefined> {
    const { store, limits, log } = this.deps;
    if (!(await limits.take('knock', socket.address))) return { code: 'rate-limited', message: 'too many knocks; wait a minute' };
    if (request.token !== undefined) return this.knockAgain(socket, request.roomId, request.token);
    const admission = await admit(store, limits, request.roomId, { passcode: request.passcode }, socket.address, 'knock');
    if (!admission.ok) return admission;
    // Asked after the host turned "Ask to join" off (the lobby read the room before): in at once, nothing to keep.
    if (!admission.askToJoin) return void socket.send({ type: 'knock-admitted' });
    const knock: KnockRecord = { ...newKnockKeys(), name: request.name, at: Date.now(), state: 'waiting', visit: 1 };
    const added = await store.addKnock(request.roomId, knock, MAX_WAITING_KNOCKERS);
    if (added === 'room-not-found') return { code: 'room-not-found', message: 'no such room, or it has expired' };
    if (added === 'waiting-list-full') {
      log.info('knock-refused', { room: roomTag(request.roomId), code: added, address: socket.address });
      return { code: 'waiting-list-full', message: `${MAX_WAITING_KNOCKERS} people are already waiting to be let in; try again later` };
    }
    log.info('knocked', { room: roomTag(request.roomId), knock: knock.id });
    await this.greet(socket, request.roomId, knock);
    await this.tellHosts(request.roomId);
    return undefined;
  }

  /** The knocker gives up. */
  async cancel(knock: KnockAddress, socket: KnockerSocket): Promise<void> {
    if (this.local.get(knock.knockId)?.socket === socket) this.local.delete(knock.knockId);
    if (await this.deps.store.removeKnock(knock.roomId, knock.knockId)) await this.queueMoved(knock.roomId);
  }

  /** The knocker's socket closed: they keep their place for the grace period (a reload returns within it). */
  away(knock: KnockAddress, socket: KnockerSocket): void {
    if (this.local.get(knock.knockId)?.socket !== socket) return;
    this.local.delete(knock.knockId);
    this.later(() => this.expire(knock));
  }

  /** The host admits or denies a waiting knocker. */
  async answer(member: Member, knockId: string, answer: 'admitted' | 'denied'): Promise<KnockRefusal | undefined> {
    if (!member.host) return { code: 'not-room-host', message: 'only the host can let people in' };
    const knock = await this.deps.store.answerKnock(member.roomId, knockId, answer);
    if (!knock) return NOT_WAITING;
    this.deps.log.info('knock-answered', { room: roomTag(member.roomId), knock: knockId, answer });
    this.forgetLater(member.roomId, knockId);
    await this.tellKnocker(knockId, answer === 'admitted' ? { type: 'knock-admitted' } : { type: 'knock-denied', reason: 'denied' });
    await this.queueMoved(member.roomId);
    return undefined;
  }

  /** "Ask to join" turned off: whoever is waiting is let in, as anyone arriving now would be. */
  async admitEveryone(roomId: string): Promise<void> {
    await this.answerAllWaiting(roomId, 'admitted');
  }

  /** Somebody ended their place (hung up, or was lost): with no host left to answer, the knockers are told so. */
  async hostMayBeGone(roomId: string): Promise<void> {
    if ((await this.deps.store.hostIds(roomId)).length === 0) await this.answerAllWaiting(roomId, 'denied', 'host-left');
  }

  /** An admitted knocker is in: their knock is spent. */
  async spent(roomId: string, knockId: string): Promise<void> {
    await this.deps.store.removeKnock(roomId, knockId);
  }

  /** Sends the waiting list to every host of the room (a host who joins or returns gets it too). */
  async tellHosts(roomId: string, only?: string): Promise<void> {
    const { store, bus } = this.deps;
    const waiting = (await store.knocks(roomId)).filter((k) => k.state === 'waiting');
    // A host arriving needs no word of an empty line; a line that just emptied is news to the hosts there.
    if (only !== undefined && waiting.length === 0) return;
    const message: ServerMessage = { type: 'knockers', knockers: waiting.slice(0, MAX_LISTED_KNOCKERS).map(({ id, name }) => ({ id, name })), waiting: waiting.length };
    const frame = JSON.stringify(message);
    for (const hostId of only === undefined ? await store.hostIds(roomId) : [only]) await bus.send({ roomId, addressee: { to: hostId }, frame });
  }

  /** Someone left the queue: the hosts get the new list, and each knocker still waiting their new place. */
  private async queueMoved(roomId: string): Promise<void> {
    await this.tellHosts(roomId);
    const waiting = (await this.deps.store.knocks(roomId)).filter((k) => k.state === 'waiting');
    for (const [i, knock] of waiting.entries()) await this.tellKnocker(knock.id, { type: 'knock-waiting', token: knockTokenOf(knock), position: i + 1 });
  }

  close(): void {
    for (const timer of this.leaving) clearTimeout(timer);
    this.leaving.clear();
    this.local.clear();
  }

  private async knockAgain(socket: KnockerSocket, roomId: string, token: string): Promise<KnockRefusal | undefined> {
    const { store } = this.deps;
    const knock = await store.knock(roomId, knockIdOf(token));
    if (!knock || !knockTokenMatches(token, knock)) return NOT_WAITING;
    const visit = await store.revisitKnock(roomId, knock.id);
    if (visit === undefined) return NOT_WAITING;
    await this.greet(socket, roomId, { ...knock, visit });
    return undefined;
  }

  /** Tells the knocker where they stand: waiting (and where in the queue), or the host's answer if it came while they were away. */
  private async greet(socket: KnockerSocket, roomId: string, knock: KnockRecord): Promise<void> {
    if (knock.state !== 'waiting') {
      socket.send(knock.state === 'admitted' ? { type: 'knock-admitted' } : { type: 'knock-denied', reason: 'denied' });
      return;
    }
    const address = { roomId, knockId: knock.id, visit: knock.visit };
    this.local.set(knock.id, { socket, knock: address });
    socket.knocking(address);
    const queue = (await this.deps.store.knocks(roomId)).filter((k) => k.state === 'waiting');
    const position = Math.max(1, queue.findIndex((k) => k.id === knock.id) + 1);
    socket.send({ type: 'knock-waiting', token: knockTokenOf(knock), position });
  }

  /**
   * An answered knock is kept for the grace period, long enough for the
   * admitted to join with it (or anyone away to hear the answer on return),
   * then dropped, so answered knocks do not pile up in a long call.
   */
  private forgetLater(roomId: string, knockId: string): void {
    this.later(() => this.deps.store.removeKnock(roomId, knockId));
  }

  private later(task: () => Promise<unknown>): void {
    const timer = setTimeout(() => {
      this.leaving.delete(timer);
      task().catch((err: unknown) => this.deps.log.warn('knock-cleanup-failed', { message: err instanceof Error ? err.message : String(err) }));
    }, this.deps.graceMs);
    timer.unref();
    this.leaving.add(timer);
  }

  private async expire(knock: KnockAddress): Promise<void> {
    const record = await this.deps.store.knock(knock.roomId, knock.knockId);
    if (!(await this.deps.store.removeKnock(knock.roomId, knock.knockId, knock.visit))) return;
    this.deps.log.info('knock-expired', { room: roomTag(knock.roomId), knock: knock.knockId });
    if (record?.state === 'waiting') await this.queueMoved(knock.roomId);
  }

  private async answerAllWaiting(roomId: string, answer: 'admitted' | 'denied', reason: KnockDenial = 'denied'): Promise<void> {
    const { store } = this.deps;
    let answered = 0;
    for (const knock of await store.knocks(roomId)) {
      if (knock.state !== 'waiting' || !(await store.answerKnock(roomId, knock.id, answer))) continue;
      answered++;
      this.forgetLater(roomId, knock.id);
      await this.tellKnocker(knock.id, answer === 'admitted' ? { type: 'knock-admitted' } : { type: 'knock-denied', reason });
    }
    if (answered > 0) await this.tellHosts(roomId);
  }

  private tellKnocker(knockId: string, message: ServerMessage): Promise<void> {
    return this.deps.bus.tellKnocker(knockId, JSON.stringify(message));
  }

  /** Passes on what a knocker is told: a new place in the queue, or the host's answer, after which the socket waits no more. */
  private deliver(knockId: string, frame: string): void {
    const waiting = this.local.get(knockId);
    if (!waiting) return;
    waiting.socket.sendFrame(frame);
    if (frame.startsWith(WAITING_FRAME)) return;
    this.local.delete(knockId);
    waiting.socket.knockAnswered();
  }
}
