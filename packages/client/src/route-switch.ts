/**
 * Moving a room's media from one transport to the other make-before-break,
 * as a state machine with no I/O: it is told what happens (the server's
 * route, media arriving or decoding on a transport, people leaving, time
 * passing) and answers with what to do (open or close a transport, show a
 * person from a transport). The call carries the actions out.
 */

/** How a person's media reaches us: a mesh link of our own, or the SFU. */
export type Transport = 'mesh' | 'sfu';

/** Settled on one transport, or moving from one to the other with both open. */
export type RoutePhase = { kind: 'settled'; route: Transport } | { kind: 'moving'; from: Transport; to: Transport; since: number };

export type RouteAction = { kind: 'open'; transport: Transport } | { kind: 'close'; transport: Transport } | { kind: 'show'; peerId: string; transport: Transport };

/**
 * Longest a move may wait for everyone's media to decode on the new
 * transport before the old one is closed anyway: the server has decided the
 * route (a mesh cannot take a fifth person), and someone who sends nothing at
 * all would otherwise hold the old transport open for ever.
 */
export const MAKE_BEFORE_BREAK_TIMEOUT_MS = 10_000;

/** How media from a transport stands for one person: tracks have arrived, or frames are decoding. */
export type MediaProgress = 'arrived' | 'decoding';

export class RouteSwitch {
  private phase: RoutePhase;
  /** Which transport each person is shown from; absent until their first media arrives. */
  private readonly feeds = new Map<string, Transport>();

  constructor(route: Transport) {
    this.phase = { kind: 'settled', route };
  }

  get current(): RoutePhase {
    return this.phase;
  }

  /** Where the room is going (or is): the transport new connections are made on. */
  get destination(): Transport {
    return this.phase.kind === 'settled' ? this.phase.route : this.phase.to;
  }

  /** Whether `transport` is open (settled on it, or either end of a move). */
  isOpen(transport: Transport): boolean {
    return this.phase.kind === 'settled' ? this.phase.route === transport : true;
  }

  feedOf(peerId: string): Transport | undefined {
    return this.feeds.get(peerId);
  }

  /** The server named the room's route. `peers`: everyone else in the room now. */
  moveTo(route: Transport, now: number, peers: Iterable<string>): RouteAction[] {
    const phase = this.phase;
    if (phase.kind === 'settled') {
      if (phase.route === route) return [];
      this.phase = { kind: 'moving', from: phase.route, to: route, since: now };
      return [{ kind: 'open', transport: route }, ...this.settleIfDone(peers)];
    }
    if (phase.to === route) return [];
    // Turned back mid-move: the old transport never closed, so everyone can be shown from it again at once.
    this.phase = { kind: 'settled', route };
    const actions: RouteAction[] = [];
    for (const [peerId, feed] of this.feeds) {
      if (feed === route) continue;
      this.feeds.set(peerId, route);
      actions.push({ kind: 'show', peerId, transport: route });
    }
    actions.push({ kind: 'close', transport: phase.to });
    return actions;
  }

  /**
   * Media for `peerId` on `transport` arrived or decodes. Someone not shown
   * yet is shown from the first open transport that has their media (the
   * room's first picture must not wait); someone shown from the old
   * transport moves to the new one only once its frames decode.
   */
  media(peerId: string, transport: Transport, progress: MediaProgress, peers: Iterable<string>): RouteAction[] {
    if (!this.isOpen(transport)) return [];
    const feed = this.feeds.get(peerId);
    if (feed === transport) return [];
    const switching = feed !== undefined;
    if (switching && (transport !== this.destination || progress !== 'decoding')) return [];
    this.feeds.set(peerId, transport);
    return [{ kind: 'show', peerId, transport }, ...this.settleIfDone(peers)];
  }

  /** `peerId` left: they hold no move up any more. */
  left(peerId: string, peers: Iterable<string>): RouteAction[] {
    this.feeds.delete(peerId);
    return this.settleIfDone(peers);
  }

  /** Time passed: a move that has waited MAKE_BEFORE_BREAK_TIMEOUT_MS finishes without the people still missing. */
  tick(now: number, peers: Iterable<string>): RouteAction[] {
    const phase = this.phase;
    if (phase.kind !== 'moving' || now - phase.since < MAKE_BEFORE_BREAK_TIMEOUT_MS) return [];
    const actions: RouteAction[] = [];
    for (const peerId of peers) {
      if (this.feeds.get(peerId) === phase.to) continue;
      this.feeds.set(peerId, phase.to);
      actions.push({ kind: 'show', peerId, transport: phase.to });
    }
    return [...actions, ...this.settleIfDone(peers)];
  }

  /** People still shown from the old transport (or not at all) during a move. */
  waitingFor(peers: Iterable<string>): string[] {
    const phase = this.phase;
    if (phase.kind !== 'moving') return [];
    return [...peers].filter((id) => this.feeds.get(id) !== phase.to);
  }

  /** Everyone is shown from the new transport: the old one may close. */
  private settleIfDone(peers: Iterable<string>): RouteAction[] {
    const phase = this.phase;
    if (phase.kind !== 'moving' || this.waitingFor(peers).length > 0) return [];
    this.phase = { kind: 'settled', route: phase.to };
    return [{ kind: 'close', transport: phase.from }];
  }
}
