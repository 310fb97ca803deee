import type { IceCandidate, IceServer, SfuStreamInfo } from '@videoapp/protocol';
import { addPublishedVideo, inboundMid, type WebRtcFlavor } from './browser-quirks.ts';
import { Emitter } from './emitter.ts';
import type { FrameCryptor } from './frame-cryptor.ts';
import { inboundStats, type MediaTransport, type PeerTracks, showsDecodingMedia, type TransportEvents } from './media-transport.ts';
import { OpQueue, QueueClosedError } from './op-queue.ts';
import { type LinkState, type LocalTracks, type MediaKind, type PeerConnectionFactory, toCandidateInit } from './peer-link.ts';

/** How long an SFU connection may stay `disconnected` before we restart its ICE (as PeerLink does for the mesh). */
export const SFU_DISCONNECTED_RESTART_MS = 2_000;
/** How long the publisher waits for the SFU's answer before a later restart may offer again. */
export const SFU_ANSWER_TIMEOUT_MS = 10_000;

export interface SfuTransportOptions {
  createPeerConnection: PeerConnectionFactory;
  iceServers: IceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  localTracks: LocalTracks;
  flavor: WebRtcFlavor;
  /** Encrypts what we publish and decrypts what we receive (end-to-end encryption); left out where the browser cannot. */
  frameCryptor?: FrameCryptor;
}

/** One of the two connections to the SFU, with its own queue of negotiation steps. */
interface SfuConnection {
  pc: RTCPeerConnection;
  queue: OpQueue;
  restartTimer: ReturnType<typeof setTimeout> | undefined;
}

interface Publisher extends SfuConnection {
  senders: Record<MediaKind, RTCRtpSender>;
  /** Settles when the SFU answers the offer in flight. */
  answer: { resolve: (sdp: string) => void } | undefined;
}

/**
 * Media through the SFU: one connection publishes our audio and video (the
 * video in simulcast layers), one receives everyone else's, answering each
 * `sfu-offer` the server relays. Every step on a connection goes through its
 * queue, so an offer that arrives while the previous one is being applied
 * waits its turn.
 */
export class SfuTransport extends Emitter<TransportEvents> implements MediaTransport {
  readonly kind = 'sfu' as const;
  private publisher: Publisher | undefined;
  private subscriber: SfuConnection | undefined;
  /** The m-lines of the subscriber connection, by mid: whose media each carries (from the latest `sfu-offer`). */
  private streams = new Map<string, SfuStreamInfo>();
  private readonly tracks = new Map<string, PeerTracks>();
  private localTracks: LocalTracks;
  private iceServers: IceServer[];
  private closed = false;
  /** Called when the subscriber connection broke and only a fresh offer from the server can mend it. */
  onSubscriberBroken: () => void = () => {};

  constructor(private readonly options: SfuTransportOptions) {
    super();
    this.localTracks = { ...options.localTracks };
    this.iceServers = options.iceServers;
  }

  /** Publishes our media: a new publisher connection and its offer. */
  publish(): void {
    if (this.closed) return;
    const pc = this.createConnection('publish');
    const audio = pc.addTransceiver('audio', { direction: 'sendonly' });
    const video = addPublishedVideo(pc, this.options.flavor);
    const publisher: Publisher = { pc, queue: new OpQueue(), restartTimer: undefined, senders: { audio: audio.sender, video: video.sender }, answer: undefined };
    // Before the first frame: nothing may leave unencrypted in an encrypted room.
    this.options.frameCryptor?.protectSender(audio.sender, 'audio');
    this.options.frameCryptor?.protectSender(video.sender, 'video');
    this.publisher = publisher;
    for (const kind of ['audio', 'video'] as const) {
      const track = this.localTracks[kind];
      if (track) void publisher.senders[kind].replaceTrack(track);
    }
    pc.onconnectionstatechange = () => this.onConnectionState(publisher, () => this.restartPublisher());
    void this.offerToPublish(publisher, false);
  }

  /** The SFU's answer to our latest `sfu-publish`. */
  handleAnswer(sdp: string): void {
    const answer = this.publisher?.answer;
    if (!answer) return console.warn('videoapp: an SFU answer nobody asked for');
    answer.resolve(sdp);
  }

  /** A (new) offer for our subscriber connection: apply it, map its m-lines to people, answer. */
  handleOffer(sdp: string, streams: SfuStreamInfo[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.subscriber ??= this.createSubscriber();
    const subscriber = this.subscriber;
    return subscriber.queue
      .push(async () => {
        await subscriber.pc.setRemoteDescription({ type: 'offer', sdp });
        this.protectReceivers(subscriber.pc, streams);
        await subscriber.pc.setLocalDescription();
        const answer = subscriber.pc.localDescription;
        if (answer) this.emit('send', { type: 'sfu-subscribe-answer', sdp: answer.sdp });
        this.streams = new Map(streams.map((s) => [s.mid, s]));
        this.mapTracks(subscriber.pc);
      })
      .catch((err: unknown) => {
        if (!(err instanceof QueueClosedError)) console.warn('videoapp: could not apply the SFU offer', err);
      });
  }

  /** The SFU lost our connections (it restarted): start over, and expect a fresh `sfu-offer`. */
  reset(): void {
    this.closeConnections();
    this.streams.clear();
    this.tracks.clear();
    this.emit('state', { peerId: undefined });
    this.publish();
  }

  /** Restarts ICE on the publisher: a fresh offer with new credentials, sent through `sfu-publish`. */
  restartPublisher(): void {
    const publisher = this.publisher;
    if (publisher) void this.offerToPublish(publisher, true);
  }

  setIceServers(iceServers: IceServer[]): void {
    this.iceServers = iceServers;
    for (const { pc } of [this.publisher, this.subscriber].filter((c) => c !== undefined)) {
      if (pc.signalingState !== 'closed') pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
    }
  }

  async setLocalTrack(kind: MediaKind, track: MediaStreamTrack | null): Promise<void> {
    this.localTracks[kind] = track;
    await this.publisher?.senders[kind].replaceTrack(track);
  }

  tracksOf(peerId: string): PeerTracks {
    return this.tracks.get(peerId) ?? {};
  }

  /**
   * Everyone we receive through the SFU shares the subscriber connection's
   * state, once the SFU forwards them at all: until their media is in an
   * offer, they are still connecting (or, after a reset, reconnecting).
   */
  linkStateOf(peerId: string): LinkState {
    const state = linkStateOf(this.subscriber?.pc.connectionState);
    return state === 'connected' && !this.tracks.has(peerId) ? 'connecting' : state;
  }

  /** The subscriber connection's own state, whoever it carries. */
  get subscribeState(): LinkState {
    return linkStateOf(this.subscriber?.pc.connectionState);
  }

  /** Where the publisher connection stands (diagnostics and tests). */
  get publishState(): LinkState {
    return linkStateOf(this.publisher?.pc.connectionState);
  }

  async decodingPeers(peerIds: string[], videoExpected: (peerId: string) => boolean): Promise<Set<string>> {
    const decoding = new Set<string>();
    const pc = this.subscriber?.pc;
    if (!pc) return decoding;
    const byTrack = new Map(pc.getTransceivers().map((t) => [t.receiver.track.id, t.mid]));
    const byPeer = new Map<string, ReturnType<typeof inboundStats>>();
    for (const stat of inboundStats(await pc.getStats())) {
      const mid = inboundMid(stat) ?? byTrack.get(stat.trackIdentifier as string) ?? undefined;
      const peerId = mid === undefined || mid === null ? undefined : this.streams.get(mid)?.peerId;
      if (peerId) byPeer.set(peerId, [...(byPeer.get(peerId) ?? []), stat]);
    }
    for (const peerId of peerIds) if (showsDecodingMedia(byPeer.get(peerId) ?? [], videoExpected(peerId))) decoding.add(peerId);
    return decoding;
  }

  statsOf(_peerId: string): Promise<RTCStatsReport> | undefined {
    return this.subscriberStats();
  }

  /** The subscriber connection's statistics: the downlink of everything we receive through the SFU. */
  subscriberStats(): Promise<RTCStatsReport> | undefined {
    const pc = this.subscriber?.pc;
    return pc?.connectionState === 'connected' ? pc.getStats() : undefined;
  }

  /** Both connections as they are, for the test hooks that count connections. */
  get connections(): RTCPeerConnection[] {
    return [this.publisher?.pc, this.subscriber?.pc].filter((pc) => pc !== undefined);
  }

  close(): void {
    this.closed = true;
    this.closeConnections();
    this.tracks.clear();
    this.removeAllListeners();
  }

  private createConnection(connection: 'publish' | 'subscribe'): RTCPeerConnection {
    const pc = this.options.createPeerConnection({
      ...this.options.frameCryptor?.connectionConfig,
      iceServers: this.iceServers,
      iceTransportPolicy: this.options.iceTransportPolicy,
      bundlePolicy: 'max-bundle',
    });
    pc.onicecandidate = ({ candidate }) => {
      // A null candidate ends gathering; the SFU is told so with an empty one, as the protocol says.
      const init: IceCandidate = candidate ? toCandidateInit(candidate) : { candidate: '' };
      this.emit('send', { type: 'sfu-candidate', connection, candidate: init });
    };
    return pc;
  }

  private createSubscriber(): SfuConnection {
    const pc = this.createConnection('subscribe');
    const subscriber: SfuConnection = { pc, queue: new OpQueue(), restartTimer: undefined };
    pc.onconnectionstatechange = () => {
      this.onConnectionState(subscriber, () => this.onSubscriberBroken());
      this.emit('state', { peerId: undefined });
    };
    return subscriber;
  }

  /** Sends an offer for the publisher (an ICE restart when `iceRestart`) and applies the SFU's answer, one at a time. */
  private offerToPublish(publisher: Publisher, iceRestart: boolean): Promise<void> {
    return publisher.queue
      .push(async () => {
        const offer = await publisher.pc.createOffer({ iceRestart });
        await publisher.pc.setLocalDescription(offer);
        const answered = new Promise<string | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), SFU_ANSWER_TIMEOUT_MS);
          publisher.answer = {
            resolve: (sdp) => {
              clearTimeout(timer);
              resolve(sdp);
            },
          };
        });
        this.emit('send', { type: 'sfu-publish', sdp: offer.sdp ?? '' });
        const sdp = await answered;
        publisher.answer = undefined;
        if (sdp === undefined) throw new Error(`no answer from the SFU within ${SFU_ANSWER_TIMEOUT_MS} ms`);
        if (publisher.pc.signalingState === 'have-local-offer') await publisher.pc.setRemoteDescription({ type: 'answer', sdp });
      })
      .catch((err: unknown) => {
        // Closed under it: the call ended or the SFU was reset, and a fresh publisher takes over.
        if (!(err instanceof QueueClosedError)) console.warn('videoapp: publishing to the SFU failed', err);
      });
  }

  /** A connection that failed restarts at once; one that is only disconnected gets SFU_DISCONNECTED_RESTART_MS to heal. */
  private onConnectionState(connection: SfuConnection, restart: () => void): void {
    clearTimeout(connection.restartTimer);
    const state = connection.pc.connectionState;
    if (state === 'failed') restart();
    if (state === 'disconnected')
      connection.restartTimer = setTimeout(() => {
        if (connection.pc.connectionState !== 'connected' && connection.pc.connectionState !== 'closed') restart();
      }, SFU_DISCONNECTED_RESTART_MS);
  }

  /** Puts the decrypting transform on each receiving m-line before its media flows, and tells it whose key each m-line's frames must carry. */
  private protectReceivers(pc: RTCPeerConnection, streams: SfuStreamInfo[]): void {
    const cryptor = this.options.frameCryptor;
    if (!cryptor) return;
    cryptor.setOwners(streams.map((s) => [s.mid, s.peerId]));
    const byMid = new Map(streams.map((s) => [s.mid, s]));
    for (const transceiver of pc.getTransceivers()) {
      const stream = transceiver.mid === null ? undefined : byMid.get(transceiver.mid);
      if (stream) cryptor.protectReceiver(transceiver.receiver, stream.kind, stream.mid);
    }
  }

  /** After an offer: which person's track each receiving m-line now carries; new or changed tracks go to the call. */
  private mapTracks(pc: RTCPeerConnection): void {
    const next = new Map<string, PeerTracks>();
    for (const transceiver of pc.getTransceivers()) {
      const stream = transceiver.mid === null ? undefined : this.streams.get(transceiver.mid);
      if (!stream) continue;
      const tracks = next.get(stream.peerId) ?? {};
      tracks[stream.kind] = transceiver.receiver.track;
      next.set(stream.peerId, tracks);
    }
    const before = new Map(this.tracks);
    this.tracks.clear();
    for (const [peerId, tracks] of next) this.tracks.set(peerId, tracks);
    for (const [peerId, tracks] of next) {
      for (const kind of ['audio', 'video'] as const) {
        const track = tracks[kind];
        if (track && before.get(peerId)?.[kind] !== track) this.emit('track', { peerId, track });
      }
    }
    this.emit('state', { peerId: undefined });
  }

  private closeConnections(): void {
    for (const connection of [this.publisher, this.subscriber]) {
      if (!connection) continue;
      clearTimeout(connection.restartTimer);
      connection.queue.close();
      connection.pc.onicecandidate = connection.pc.onconnectionstatechange = null;
      connection.pc.close();
    }
    this.publisher?.answer?.resolve('');
    this.publisher = undefined;
    this.subscriber = undefined;
  }
}

function linkStateOf(state: RTCPeerConnectionState | undefined): LinkState {
  switch (state) {
    case 'connected':
      return 'connected';
    case 'disconnected':
      return 'unstable';
    case 'failed':
      return 'failed';
    case 'closed':
      return 'closed';
    default:
      return 'connecting';
  }
}
