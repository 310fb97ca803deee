import { assertNever, type ClientMessage, type IceServer, type MediaRoute, type MediaState, type PeerInfo, type SfuStreamInfo } from '@videoapp/protocol';
import type { WebRtcFlavor } from './browser-quirks.ts';
import { Emitter } from './emitter.ts';
import type { FrameCryptor } from './frame-cryptor.ts';
import { type TileView, ViewRequests } from './layers.ts';
import type { MediaTransport } from './media-transport.ts';
import { MeshTransport } from './mesh-transport.ts';
import type { ChatMessage, ChatSendResult } from './peer-channel.ts';
import type { LinkState, LocalTracks, MediaKind, PeerConnectionFactory } from './peer-link.ts';
import { type RouteAction, type RoutePhase, RouteSwitch, type Transport } from './route-switch.ts';
import { SfuTransport } from './sfu-transport.ts';

/** How often, during a move between transports, the new one is asked whose media decodes yet: the gap a switch can add. */
export const DECODE_POLL_MS = 100;
/**
 * How long the old transport lingers after everyone is shown from the new
 * one: a video element given a new stream takes a frame or two to paint it,
 * and the old picture must last until then.
 */
export const OLD_TRANSPORT_LINGER_MS = 500;

/** What the router needs to know of each other person in the room. */
export interface RoutedPerson {
  name: string;
  media: MediaState | undefined;
}

export interface MediaRouterOptions {
  createPeerConnection: PeerConnectionFactory;
  iceTransportPolicy: RTCIceTransportPolicy;
  flavor: WebRtcFlavor;
  /** Everyone else in the room now. */
  people: () => ReadonlyMap<string, RoutedPerson>;
  selfId: () => string;
  /** Encrypts media end to end on the SFU connections; none where the browser cannot. */
  frameCryptor?: FrameCryptor;
  /** Guards the mesh links' received video against stale frames (see stale-frames.ts). */
  guardReceivedVideo?: (receiver: RTCRtpReceiver) => void;
}

interface MediaRouterEvents extends Record<string, unknown> {
  /** A message for the signaling server. */
  send: ClientMessage;
  /** A track to show for a person (their first, or one from the transport that now feeds them). */
  track: { peerId: string; track: MediaStreamTrack };
  /** `peerId` is now shown from `transport` (their tracks from it went out as `track` just before). */
  shown: { peerId: string; transport: Transport };
  /** The links of one person (or everyone, undefined) on `transport` may have changed state. */
  link: { transport: Transport; peerId: string | undefined };
  route: RoutePhase;
  chat: { peerId: string; message: ChatMessage };
  'chat-open': undefined;
}

/**
 * Carries the room's media over the mesh or the SFU, whichever the server
 * names, and moves between them make-before-break: the RouteSwitch decides,
 * this opens and closes the transports, watches the new one decode, and says
 * which transport each person is shown from. It knows people only by id.
 */
export class MediaRouter extends Emitter<MediaRouterEvents> {
  readonly mesh: MeshTransport;
  private sfu: SfuTransport | undefined;
  private route = new RouteSwitch('mesh');
  private decodePoll: ReturnType<typeof setInterval> | undefined;
  /** The old transport's pending close after a move (see OLD_TRANSPORT_LINGER_MS). */
  private readonly lingering = new Map<Transport, ReturnType<typeof setTimeout>>();
  private readonly views = new ViewRequests((feeds) => this.emit('send', { type: 'sfu-view', feeds }));
  private iceServers: IceServer[] = [];
  private localTracks: LocalTracks = {};

  constructor(private readonly options: MediaRouterOptions) {
    super();
    this.mesh = new MeshTransport({
      createPeerConnection: options.createPeerConnection,
      iceTransportPolicy: options.iceTransportPolicy,
      guardReceivedVideo: options.guardReceivedVideo,
    });
    this.watchTransport(this.mesh);
    this.mesh.on('chat', (chat) => this.emit('chat', chat));
    this.mesh.on('chat-open', () => this.emit('chat-open', undefined));
  }

  get phase(): RoutePhase {
    return this.route.current;
  }

  /** Where the room is heading (or is): the transport new people are connected on. */
  get destination(): Transport {
    return this.route.destination;
  }

  feedOf(peerId: string): Transport | undefined {
    return this.route.feedOf(peerId);
  }

  /** What carries `peerId`'s media now: the transport they are shown from, or (before their first media) the one the room is heading to. */
  linkOf(peerId: string): LinkState {
    return this.transportOf(this.route.feedOf(peerId) ?? this.route.destination)?.linkStateOf(peerId) ?? 'connecting';
  }

  /** The server named the room's route. */
  moveTo(route: MediaRoute): void {
    this.run(this.route.moveTo(route, Date.now(), this.people().keys()));
    // Whoever is in a mesh room opens the link to a newcomer, ready with a spare.
    this.mesh.standBy(this.route.destination === 'mesh');
  }

  /** Someone is (again) in the room; on the mesh, `initiator` says whether we open the link. */
  added(info: PeerInfo, initiator: boolean): void {
    // Someone we knew joined again: what we showed of them belongs to their old session.
    if (this.route.feedOf(info.id)) this.run(this.route.left(info.id, this.people().keys()));
    // On the SFU their media comes with the next subscriber offer; only a mesh needs a link of our own.
    if (this.route.destination === 'mesh') this.mesh.connect(info, this.options.selfId(), initiator);
    this.views.setTile(info.id, { width: 0, height: 0 });
    // Their SFU media may have been offered before the server told us they joined.
    const early = this.sfu?.tracksOf(info.id) ?? {};
    if (early.audio || early.video) this.run(this.route.media(info.id, 'sfu', 'arrived', this.people().keys()));
  }

  /** Someone left (call after they are gone from `people`). */
  removed(peerId: string): void {
    this.mesh.drop(peerId);
    this.views.forget(peerId);
    this.run(this.route.left(peerId, this.people().keys()));
  }

  /**
   * A mesh description or candidate from `peerId`: taken while the room uses
   * (or heads for) the mesh, ignored once it settled on the SFU, where a
   * link we closed may still be trying to restart from the other end.
   */
  meshSignal(peerId: string, action: (mesh: MeshTransport) => Promise<void>): void {
    if (!this.route.isOpen('mesh')) return;
    if (!this.mesh.has(peerId)) this.mesh.connect({ id: peerId, name: this.people().get(peerId)?.name ?? '' }, this.options.selfId(), false);
    action(this.mesh).catch((err: unknown) => console.warn('videoapp: signal from peer failed', err));
  }

  sfuAnswer(sdp: string): void {
    this.sfu?.handleAnswer(sdp);
  }

  sfuOffer(sdp: string, streams: SfuStreamInfo[]): void {
    void this.sfu?.handleOffer(sdp, streams);
  }

  sfuReset(): void {
    this.sfu?.reset();
  }

  setTileView(peerId: string, view: TileView): void {
    this.views.setTile(peerId, view);
  }

  /** A reading of the SFU subscriber connection, for the downlink cap on layers. */
  observeDownlink(loss: number): void {
    this.views.observeDownlink({ loss });
  }

  /** The tracks new connections send (before any exist). */
  setLocalTracks(tracks: LocalTracks): void {
    this.localTracks = { ...tracks };
    this.mesh.setLocalTracks(this.localTracks);
  }

  async setLocalTrack(kind: MediaKind, track: MediaStreamTrack | null): Promise<void> {
    this.localTracks[kind] = track;
    await Promise.all([this.mesh.setLocalTrack(kind, track), this.sfu?.setLocalTrack(kind, track)]);
  }

  setIceServers(iceServers: IceServer[]): void {
    this.iceServers = iceServers;
    this.mesh.setIceServers(iceServers);
    this.sfu?.setIceServers(iceServers);
  }

  /** Restarts ICE towards one peer, or on every connection. */
  restartIce(peerId?: string): void {
    this.mesh.restartIce(peerId);
    if (!peerId) this.sfu?.restartPublisher();
  }

  /** Restarts what is not flowing (`states`: which link states count as broken), e.g. after a network change. */
  restartBroken(states: readonly LinkState[]): void {
    this.mesh.restartBroken(states);
    if (this.sfu && states.includes(this.sfu.publishState)) this.sfu.restartPublisher();
    if (this.sfu && states.includes(this.sfu.subscribeState)) this.recoverSubscriber();
  }

  statsOf(peerId: string): Promise<RTCStatsReport> | undefined {
    return this.transportOf(this.route.feedOf(peerId) ?? this.route.destination)?.statsOf(peerId);
  }

  subscriberStats(): Promise<RTCStatsReport> | undefined {
    return this.sfu?.subscriberStats();
  }

  /** An SFU room has no data channels between people: chat goes through the server from the moment the room heads there. */
  get chatThroughServer(): boolean {
    return this.route.destination === 'sfu';
  }

  get meshChatReady(): boolean {
    return this.mesh.chatReady;
  }

  sendMeshChat(text: string): ChatSendResult {
    return this.mesh.sendChat(text);
  }

  /** Back to nothing, as before joining (our session is gone: a new one starts on whatever route the server names). */
  reset(): void {
    this.close();
    this.route = new RouteSwitch('mesh');
  }

  /** Closes every connection at once: the call is over (its `leave` tells the server). */
  close(): void {
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
    this.stopDecodePoll();
    this.mesh.closeAll();
    this.closeSfu(false);
    this.views.close();
  }

  private people(): ReadonlyMap<string, RoutedPerson> {
    return this.options.people();
  }

  private transportOf(kind: Transport): MediaTransport | undefined {
    return kind === 'mesh' ? this.mesh : this.sfu;
  }

  private watchTransport(transport: MediaTransport): void {
    transport.on('send', (msg) => this.emit('send', msg));
    transport.on('state', ({ peerId }) => this.emit('link', { transport: transport.kind, peerId }));
    transport.on('track', ({ peerId, track }) => this.onTrack(transport.kind, peerId, track));
  }

  /** A track arrived on a transport: shown at once if that transport feeds the person, or becomes their first feed. */
  private onTrack(transport: Transport, peerId: string, track: MediaStreamTrack): void {
    if (!this.people().has(peerId)) return;
    if (this.route.feedOf(peerId) === transport) return this.emit('track', { peerId, track });
    this.run(this.route.media(peerId, transport, 'arrived', this.people().keys()));
  }

  /** Carries out what the route switch decided, then says where the route stands. */
  private run(actions: RouteAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case 'open':
          this.openTransport(action.transport);
          break;
        case 'close':
          this.closeTransport(action.transport);
          break;
        case 'show':
          this.showFrom(action.peerId, action.transport);
          break;
        default:
          assertNever(action);
      }
    }
    if (actions.length === 0) return;
    if (this.route.current.kind === 'moving') this.decodePoll ??= setInterval(() => void this.pollDecoding(), DECODE_POLL_MS);
    else this.stopDecodePoll();
    this.emit('route', this.route.current);
  }

  private showFrom(peerId: string, transport: Transport): void {
    const tracks = this.transportOf(transport)?.tracksOf(peerId) ?? {};
    for (const track of Object.values(tracks)) if (track) this.emit('track', { peerId, track });
    this.emit('shown', { peerId, transport });
  }

  private openTransport(transport: Transport): void {
    // Turned back while the transport was lingering: it is still up, keep it.
    clearTimeout(this.lingering.get(transport));
    this.lingering.delete(transport);
    if (transport === 'sfu') return this.openSfu();
    // Back to the mesh: the side that would be impolite in a collision offers, so the two never collide.
    const selfId = this.options.selfId();
    for (const [id, person] of this.people()) if (!this.mesh.has(id)) this.mesh.connect({ id, name: person.name }, selfId, selfId > id);
  }

  private closeTransport(transport: Transport): void {
    clearTimeout(this.lingering.get(transport));
    this.lingering.set(
      transport,
      setTimeout(() => {
        this.lingering.delete(transport);
        if (transport === 'sfu') this.closeSfu(true);
        else this.mesh.closeAll();
      }, OLD_TRANSPORT_LINGER_MS),
    );
  }

  private openSfu(): void {
    if (this.sfu) return;
    const sfu = new SfuTransport({
      createPeerConnection: this.options.createPeerConnection,
      iceServers: this.iceServers,
      iceTransportPolicy: this.options.iceTransportPolicy,
      localTracks: this.localTracks,
      flavor: this.options.flavor,
      frameCryptor: this.options.frameCryptor,
    });
    this.sfu = sfu;
    this.watchTransport(sfu);
    sfu.onSubscriberBroken = () => this.recoverSubscriber();
    sfu.publish();
    this.views.setActive(true);
  }

  /**
   * The subscriber connection failed. Janus offers it, so only the server
   * can restart its ICE: we ask (`sfu-subscribe-restart`), and its new
   * `sfu-offer` carries fresh ICE credentials. The whole view goes again,
   * in case what broke the connection also lost what we asked for.
   */
  private recoverSubscriber(): void {
    this.emit('send', { type: 'sfu-subscribe-restart' });
    this.views.resend();
  }

  /** `tell`: say `sfu-leave` (we moved back to the mesh); not when the whole call ends, which `leave` covers. */
  private closeSfu(tell: boolean): void {
    if (!this.sfu) return;
    if (tell) this.emit('send', { type: 'sfu-leave' });
    this.sfu.close();
    this.sfu = undefined;
    this.views.setActive(false);
  }

  private stopDecodePoll(): void {
    clearInterval(this.decodePoll);
    this.decodePoll = undefined;
  }

  /** During a move: asks the new transport whose media decodes, moves each such person over, and lets the move time out. */
  private async pollDecoding(): Promise<void> {
    const phase = this.route.current;
    if (phase.kind !== 'moving') return this.stopDecodePoll();
    const people = this.people();
    const waiting = this.route.waitingFor(people.keys());
    const decoding = await this.transportOf(phase.to)
      ?.decodingPeers(waiting, (id) => people.get(id)?.media?.video !== false)
      .catch(() => new Set<string>());
    // The route may have moved on while getStats ran.
    if (this.route.current !== phase) return;
    for (const peerId of decoding ?? []) this.run(this.route.media(peerId, phase.to, 'decoding', this.people().keys()));
    this.run(this.route.tick(Date.now(), this.people().keys()));
  }
}
