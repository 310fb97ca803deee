import { type IceCandidate, MAX_CANDIDATES_PER_PEER, MAX_SFU_STREAMS, type ServerMessage, type SfuStreamInfo, type VideoWant } from '@videoapp/protocol';
import type { FeedId, SfuAdapter, SfuCandidate, SfuPublication, SfuRoom, SfuStreamChoice, SfuSubscribedStream, SfuSubscription } from '../sfu/sfu-adapter.ts';

/** What one member's session needs from the room around it. */
export interface SessionContext {
  sfu: SfuAdapter;
  /** The room's SFU room, made on demand. */
  room(): Promise<SfuRoom>;
  /** The feeds this member should receive: the latest of each other person's, with whose it is. */
  feedsFor(peerId: string): Map<FeedId, string>;
  peerOfFeed(feedId: FeedId): string | undefined;
  /** A numbered message to this member. */
  send(message: ServerMessage): Promise<void>;
}

/** Which simulcast layer each wish asks for; `off` pauses the stream instead. */
const LAYER: Record<Exclude<VideoWant, 'off'>, 0 | 1 | 2> = { low: 0, medium: 1, high: 2 };
/** What a subscriber gets of a person it has not asked about (see `sfu-view`). */
const DEFAULT_WANT: VideoWant = 'low';

type Publishing = { state: 'idle' } | { state: 'published'; publication: SfuPublication };
/** `offered`: Janus's offer went to the client, whose answer is awaited; `flowing`: answered, media forwarded. */
type Subscribing = { state: 'idle' } | { state: 'offered' | 'flowing'; subscription: SfuSubscription; streams: readonly SfuSubscribedStream[] };
export type SfuConnectionKind = 'publish' | 'subscribe';

/** Why a session refused a request; the rooms service turns it into the client's error. */
export class SessionRefusal extends Error {
  override readonly name = 'SessionRefusal';
}

/**
 * One member's two connections to the SFU: its publication (answered with
 * `sfu-answer`) and its subscription to everyone else (offered with
 * `sfu-offer`, kept in line with who publishes). Everything it does to the SFU
 * runs in order, one step at a time, so an answer never races an update.
 */
export class SfuSession {
  private publishing: Publishing = { state: 'idle' };
  private subscribing: Subscribing = { state: 'idle' };
  /** Connections from before a reset, left once their replacements are up (make-before-break). */
  private stale: { kind: SfuConnectionKind; leave(): Promise<void> }[] = [];
  private readonly candidates: Record<SfuConnectionKind, number> = { publish: 0, subscribe: 0 };
  /** Candidates of a first publication that arrived before the SFU answered it (the client trickles at once). */
  private early: SfuCandidate[] = [];
  private readonly wants = new Map<string, VideoWant>();
  /** The choice last made for each m-line (by feed, since Janus may reuse an m-line for another feed). */
  private readonly applied = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly peerId: string,
    private readonly context: SessionContext,
  ) {}

  /** Runs `task` after every step queued before it. */
  private run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The client's offer: a first publication, or a renegotiation of the one it has. */
  publish(offerSdp: string): Promise<void> {
    return this.run(async () => {
      if (this.publishing.state === 'published') {
        this.candidates.publish = 0;
        return this.context.send({ type: 'sfu-answer', sdp: await this.publishing.publication.renegotiate(offerSdp) });
      }
      const early = this.early;
      this.early = [];
      this.candidates.publish = 0;
      const publication = await this.context.sfu.publish(await this.context.room(), publisherName(this.peerId, Date.now()), offerSdp);
      this.publishing = { state: 'published', publication };
      await this.context.send({ type: 'sfu-answer', sdp: publication.answerSdp });
      for (const candidate of early) await publication.trickle(candidate);
      await this.leaveStale('publish');
    });
  }

  /** The client's answer to the latest `sfu-offer`. */
  answer(answerSdp: string): Promise<void> {
    return this.run(async () => {
      const subscribing = this.subscribing;
      if (subscribing.state !== 'offered') throw new SessionRefusal('no subscriber offer is awaiting an answer');
      this.candidates.subscribe = 0;
      await subscribing.subscription.start(answerSdp);
      this.subscribing = { ...subscribing, state: 'flowing' };
      await this.leaveStale('subscribe');
      await this.applyView();
      // Publishers that came or went while the answer was awaited.
      await this.reconcile();
    });
  }

  /** The client's subscriber connection needs fresh ICE: the SFU's new offer, for the same m-lines, goes to it as an `sfu-offer`. */
  restartIce(): Promise<void> {
    return this.run(async () => {
      const subscribing = this.subscribing;
      if (subscribing.state === 'idle') throw new SessionRefusal('no subscription to the SFU to restart');
      // Restarting under an offer not yet answered would leave that answer with nothing to apply to.
      if (subscribing.state === 'offered') throw new SessionRefusal('answer the pending sfu-offer first');
      await this.offer(subscribing.subscription, await subscribing.subscription.restartIce(), subscribing.streams);
    });
  }

  trickle(connection: SfuConnectionKind, candidate: IceCandidate): Promise<void> {
    if (++this.candidates[connection] > MAX_CANDIDATES_PER_PEER) return Promise.reject(new SessionRefusal('candidate limit reached for this negotiation'));
    if (connection === 'publish' && this.publishing.state === 'idle') {
      // The first publication is on its way (or about to be asked for): kept for it.
      this.early.push(sfuCandidate(candidate));
      return Promise.resolve();
    }
    return this.run(async () => {
      const target =
        connection === 'publish' ? (this.publishing.state === 'published' ? this.publishing.publication : undefined) : this.subscribing.state === 'idle' ? undefined : this.subscribing.subscription;
      if (!target) throw new SessionRefusal(`no ${connection} connection to the SFU to add a candidate to`);
      await target.trickle(sfuCandidate(candidate));
    });
  }

  /** What the member wants of each person's video; people not named keep what they had. */
  view(feeds: readonly { peerId: string; video: VideoWant }[]): Promise<void> {
    for (const { peerId, video } of feeds) this.wants.set(peerId, video);
    return this.run(() => this.applyView());
  }

  /** Publishers changed: subscribe to whoever is new, drop whoever went. */
  refresh(): Promise<void> {
    return this.run(() => this.reconcile());
  }

  /**
   * The member must publish and subscribe anew (it resumed, maybe from another
   * process): its connections are kept until the new ones are up, then left.
   */
  reset(): Promise<void> {
    return this.run(async () => {
      if (this.publishing.state === 'published') this.stale.push({ kind: 'publish', leave: this.publishing.publication.leave });
      if (this.subscribing.state !== 'idle') this.stale.push({ kind: 'subscribe', leave: this.subscribing.subscription.leave });
      this.forget();
    });
  }

  /** The SFU lost every connection (it restarted, or the room went): nothing to leave. */
  lost(): void {
    this.stale = [];
    this.forget();
  }

  /** Leaves both connections (the member left the room or the SFU). */
  close(): Promise<void> {
    return this.run(async () => {
      const leaving = this.stale.map((connection) => connection.leave());
      if (this.publishing.state === 'published') leaving.push(this.publishing.publication.leave());
      if (this.subscribing.state !== 'idle') leaving.push(this.subscribing.subscription.leave());
      this.stale = [];
      this.forget();
      await Promise.allSettled(leaving);
    });
  }

  /** Holds anything in the SFU. */
  get active(): boolean {
    return this.publishing.state !== 'idle' || this.subscribing.state !== 'idle' || this.stale.length > 0;
  }

  private forget(): void {
    this.early = [];
    this.publishing = { state: 'idle' };
    this.subscribing = { state: 'idle' };
    this.applied.clear();
    this.candidates.publish = 0;
    this.candidates.subscribe = 0;
  }

  private async reconcile(): Promise<void> {
    const subscribing = this.subscribing;
    if (subscribing.state === 'offered') return; // the answer reconciles
    const wanted = this.context.feedsFor(this.peerId);
    if (subscribing.state === 'idle') {
      if (wanted.size === 0) return;
      const subscription = await this.context.sfu.subscribe(await this.context.room(), [...wanted.keys()]);
      await this.offer(subscription, subscription.offerSdp, subscription.streams);
      return;
    }
    const current = new Set(subscribing.streams.flatMap((s) => (s.feedId === undefined ? [] : [s.feedId])));
    const add = [...wanted.keys()].filter((feed) => !current.has(feed));
    const remove = [...current].filter((feed) => !wanted.has(feed));
    const updated = await subscribing.subscription.update({ add, remove });
    if (updated) await this.offer(subscribing.subscription, updated.sdp, updated.streams);
  }

  private async offer(subscription: SfuSubscription, sdp: string, streams: readonly SfuSubscribedStream[]): Promise<void> {
    this.subscribing = { state: 'offered', subscription, streams };
    this.candidates.subscribe = 0;
    await this.context.send({ type: 'sfu-offer', sdp, streams: this.streamsOf(streams) });
  }

  /** The m-lines as the client understands them: by person, never by feed. */
  private streamsOf(streams: readonly SfuSubscribedStream[]): SfuStreamInfo[] {
    const named: SfuStreamInfo[] = [];
    for (const { mid, kind, feedId } of streams) {
      const peerId = feedId === undefined ? undefined : this.context.peerOfFeed(feedId);
      if (peerId !== undefined && kind !== 'data') named.push({ mid, peerId, kind });
    }
    return named.slice(0, MAX_SFU_STREAMS);
  }

  /** Asks the SFU for what the member wants of each video stream it receives, where that changed. */
  private async applyView(): Promise<void> {
    if (this.subscribing.state !== 'flowing') return; // applied once the answer is in
    const choices: SfuStreamChoice[] = [];
    for (const { mid, kind, feedId } of this.subscribing.streams) {
      const peerId = feedId === undefined ? undefined : this.context.peerOfFeed(feedId);
      if (kind !== 'video' || peerId === undefined) continue;
      const want = this.wants.get(peerId) ?? DEFAULT_WANT;
      const key = `${feedId} ${want}`;
      if (this.applied.get(mid) === key) continue;
      this.applied.set(mid, key);
      choices.push(want === 'off' ? { mid, send: false } : { mid, send: true, substream: LAYER[want] });
    }
    await this.subscribing.subscription.choose(choices);
  }

  private async leaveStale(kind: SfuConnectionKind): Promise<void> {
    const leaving = this.stale.filter((connection) => connection.kind === kind);
    this.stale = this.stale.filter((connection) => connection.kind !== kind);
    await Promise.allSettled(leaving.map((connection) => connection.leave()));
  }
}

/**
 * The display name a publication gets in the SFU, which announces it to every
 * process: whose it is, and when it began, so that of a person's feeds the
 * newest wins (after a resume on another process, the old one lingers in the
 * SFU until it notices the old connection gone). Our processes' clocks agree
 * far better than the seconds a resume takes.
 */
export function publisherName(peerId: string, since: number): string {
  return `${peerId}@${since}`;
}

/** Whose a publication is and since when, from its display name; undefined for a name we did not give. */
export function readPublisherName(displayName: string): { peerId: string; since: number } | undefined {
  const match = /^([0-9a-z]+)@(\d+)$/.exec(displayName);
  return match ? { peerId: match[1]!, since: Number(match[2]) } : undefined;
}

/** A candidate as the SFU takes it; an empty one ends the client's gathering. */
function sfuCandidate({ candidate, sdpMid, sdpMLineIndex }: IceCandidate): SfuCandidate {
  return candidate === '' ? null : { candidate, sdpMid, sdpMLineIndex };
}
