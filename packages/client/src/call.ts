import { assertNever, type DepartureReason, type ErrorCode, type IceServer, type MediaRoute, type MessageOf, type PeerInfo, RESUME_GRACE_MS } from '@videoapp/protocol';
import { currentFlavor, type WebRtcFlavor } from './browser-quirks.ts';
import { type CallEndReason, type CallPhase, type CallState, deriveCallState, nextOutage, OUTAGE_BOUND_MS, type Outage, type PeerView } from './call-state.ts';
import { type ChatMessage, type ChatSendResult, checkChatText } from './chat-channel.ts';
import { Emitter } from './emitter.ts';
import { type TileView, ViewRequests } from './layers.ts';
import type { MediaTransport } from './media-transport.ts';
import { MeshTransport } from './mesh-transport.ts';
import type { LinkState, LocalTracks, MediaKind, PeerConnectionFactory } from './peer-link.ts';
import { type LinkQuality, QualityWatch } from './quality.ts';
import { type RouteAction, type RoutePhase, RouteSwitch, type Transport } from './route-switch.ts';
import { SfuTransport } from './sfu-transport.ts';
import { type CallMessage, SignalingClient, type SignalingState, type WebSocketConstructor } from './signaling-client.ts';
import { TalkingWatch } from './talking-watch.ts';

export type { CallEndReason, CallState, Participant, PeerView } from './call-state.ts';

/** What proves a right to enter a protected room: its passcode, or (for its creator) its host key. */
export interface RoomCredentials {
  passcode?: string;
  hostKey?: string;
}

const JOIN_REFUSALS = new Set<ErrorCode>(['room-not-found', 'room-full', 'room-locked', 'wrong-passcode', 'rate-limited']);
/** A timer may fire a moment before Date.now() says its delay has passed: look again this much later. */
const TIMER_SLACK_MS = 10;
/** How often, during a move between transports, the new one is asked whose media decodes yet: the gap a switch can add. */
export const DECODE_POLL_MS = 100;
/**
 * How long the old transport lingers after everyone is shown from the new
 * one: a video element given a new stream takes a frame or two to paint it,
 * and the old picture must last until then.
 */
export const OLD_TRANSPORT_LINGER_MS = 500;
/** The `peerId` of quality readings of the SFU subscriber connection, which carries everyone we receive through the SFU (not a valid peer id). */
export const SFU_QUALITY_ID = 'sfu:subscriber';

interface CallEvents extends Record<string, unknown> {
  state: CallState;
  'peer-joined': PeerView;
  'peer-updated': PeerView;
  'peer-left': { peer: PeerView; reason: DepartureReason };
  /** A track to show for a person: the first, or one replacing what was shown (the transport that feeds them changed). */
  track: { peerId: string; track: MediaStreamTrack };
  error: { code: ErrorCode; message: string };
  /** The host locked or unlocked the room. */
  'room-lock': { locked: boolean };
  /** A chat message from a peer: over the data channel in a mesh, relayed by the server through the SFU. */
  chat: { peerId: string; name: string; message: ChatMessage };
  /** Whether a chat message sent now would reach someone. */
  'chat-ready': boolean;
  /** Each connected link's quality (or the SFU subscriber's, as SFU_QUALITY_ID), every QUALITY_INTERVAL_MS. */
  quality: LinkQuality;
  /** The room's media is moving between transports, or settled on one (diagnostics and test attributes; the UI needs nothing of it). */
  route: RoutePhase;
}

export interface CallOptions {
  signalingUrl: string;
  WebSocket: WebSocketConstructor;
  createPeerConnection: PeerConnectionFactory;
  /** Only relayed (TURN) paths: the other side never learns our address. */
  relayOnly?: boolean;
  /** A resume token from an earlier page load, to rejoin the same place after a reload. */
  resumeToken?: string;
  /** Which WebRTC we run on, for simulcast; read from the user agent when left out. */
  flavor?: WebRtcFlavor;
}

/**
 * A call in one room: joins through the signaling server, holds a
 * participant per other person, and carries their media over the mesh or
 * the SFU, whichever the server names, moving between them make-before-break
 * (see route-switch.ts). Everything that happens becomes a typed event. It
 * never opens media itself; the UI hands it tracks.
 */
export class Call extends Emitter<CallEvents> {
  private readonly signaling: SignalingClient;
  private readonly peers = new Map<string, PeerView>();
  private readonly absenceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Per peer, when its outage reaches its bound and its status changes with no event to say so. */
  private readonly outageTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly mesh: MeshTransport;
  private sfu: SfuTransport | undefined;
  private route = new RouteSwitch('mesh');
  private decodePoll: ReturnType<typeof setInterval> | undefined;
  /** The old transport's pending close after a move (see OLD_TRANSPORT_LINGER_MS). */
  private readonly lingering = new Map<Transport, ReturnType<typeof setTimeout>>();
  private readonly views = new ViewRequests((feeds) => this.signaling.send({ type: 'sfu-view', feeds }));
  private phase: CallPhase = { kind: 'joining' };
  private iceServers: IceServer[] = [];
  private localTracks: LocalTracks = {};
  private lastDeparture: { name: string; reason: 'left' | 'lost' } | undefined;
  private lastState = '';
  private roomId = '';
  private name = '';
  private credentials: RoomCredentials = {};
  private host = false;
  private roomLocked = false;
  private readonly quality = new QualityWatch(
    (id) => (id === SFU_QUALITY_ID ? this.sfu?.subscriberStats() : this.mesh.statsOf(id)),
    (quality) => this.onQuality(quality),
  );
  private readonly talking = new TalkingWatch(
    () => [...this.peers.values()].filter((p) => p.transport === 'mesh').map((p) => ({ peerId: p.id, stats: this.mesh.statsOf(p.id) })),
    (peerId, talking) => this.updatePeer(peerId, { talking }),
  );

  constructor(private readonly options: CallOptions) {
    super();
    this.signaling = new SignalingClient({ url: options.signalingUrl, WebSocket: options.WebSocket, resumeToken: options.resumeToken });
    this.signaling.on('message', (msg) => this.onMessage(msg));
    this.signaling.on('state', (state) => this.onSignalingState(state));
    this.mesh = new MeshTransport({ createPeerConnection: options.createPeerConnection, iceTransportPolicy: this.iceTransportPolicy });
    this.watchTransport(this.mesh);
    this.mesh.on('chat', ({ peerId, message }) => this.emit('chat', { peerId, name: this.peers.get(peerId)?.name ?? '', message }));
    this.mesh.on('chat-open', () => this.emit('chat-ready', this.chatReady));
  }

  get state(): CallState {
    return this.deriveState();
  }

  get selfId(): string | undefined {
    return this.phase.kind === 'in-room' ? this.phase.selfId : undefined;
  }

  /** The token that lets a reloaded page take this place back. */
  get resumeToken(): string | undefined {
    return this.signaling.resumeToken;
  }

  /** Whether we created this room (and so may lock it). */
  get isHost(): boolean {
    return this.host;
  }

  get locked(): boolean {
    return this.roomLocked;
  }

  /** Where the room's media travels: settled on a transport, or moving between two. */
  get mediaRoute(): RoutePhase {
    return this.route.current;
  }

  join(roomId: string, name: string, tracks: LocalTracks, credentials: RoomCredentials = {}): void {
    this.roomId = roomId;
    this.name = name;
    this.credentials = { ...credentials };
    this.localTracks = { ...tracks };
    this.mesh.setLocalTracks(this.localTracks);
    this.signaling.connect();
    if (!this.signaling.resumeToken) this.sendJoin();
    this.publishState();
  }

  /** The host closes the room to newcomers, or opens it again. */
  lock(locked: boolean): void {
    if (this.phase.kind === 'in-room' && this.host) this.signaling.send({ type: 'lock', locked });
  }

  private sendJoin(): void {
    this.signaling.send({ type: 'join', roomId: this.roomId, name: this.name, ...this.credentials });
  }

  /** Sends `track` for `kind` to everyone (null sends nothing), and tells them what we now send. */
  async setLocalTrack(kind: MediaKind, track: MediaStreamTrack | null): Promise<void> {
    this.localTracks[kind] = track;
    await Promise.all([this.mesh.setLocalTrack(kind, track), this.sfu?.setLocalTrack(kind, track)]);
    this.announceMedia();
  }

  /** Tells the others whether our microphone and camera are live (e.g. after muting). */
  announceMedia(): void {
    const live = (kind: MediaKind) => Boolean(this.localTracks[kind]?.enabled && this.localTracks[kind]?.readyState === 'live');
    if (this.phase.kind === 'in-room') this.signaling.send({ type: 'media', media: { audio: live('audio'), video: live('video') } });
  }

  /** Everyone else in the room. */
  peerList(): PeerView[] {
    return [...this.peers.values()];
  }

  /** The same list under the engine's domain name. */
  participants(): PeerView[] {
    return this.peerList();
  }

  /**
   * How big the UI shows `peerId` (device pixels), or `off` when their tile
   * is not on screen: through the SFU this picks the layer we receive, and
   * pauses the video of people nobody can see.
   */
  setTileView(peerId: string, view: TileView): void {
    this.views.setTile(peerId, view);
  }

  /** The WebRTC statistics behind one peer's media, for quality indicators and tests. */
  getStats(peerId: string): Promise<RTCStatsReport> | undefined {
    return this.transportOf(this.route.feedOf(peerId) ?? this.route.destination)?.statsOf(peerId);
  }

  /** Sends a chat message to everyone: through the server when the room is on the SFU, else over each open data channel. */
  sendChat(text: string): ChatSendResult {
    const problem = checkChatText(text);
    if (problem) return { ok: false, code: problem };
    if (!this.chatThroughServer) return this.mesh.sendChat(text);
    if (!this.chatReady) return { ok: false, code: 'peer-not-found' };
    this.signaling.send({ type: 'chat', text });
    return { ok: true, message: { text, sentAt: Date.now() } };
  }

  get chatReady(): boolean {
    if (this.chatThroughServer) return this.phase.kind === 'in-room' && this.peers.size > 0;
    return this.mesh.chatReady;
  }

  /** An SFU room has no data channels between people: chat goes through the server from the moment the room heads there. */
  private get chatThroughServer(): boolean {
    return this.route.destination === 'sfu';
  }

  /** How many offer collisions the link to a peer has settled (diagnostics). */
  collisions(peerId: string): number {
    return this.mesh.link(peerId)?.collisions ?? 0;
  }

  /** Whether the server handed out a TURN relay: without one a relay-only call cannot connect. */
  get relayAvailable(): boolean {
    return this.iceServers.some((server) => server.urls.some((url) => /^turns?:/.test(url)));
  }

  /** Restarts ICE towards one peer (or all): used when the device's network changes. */
  restartIce(peerId?: string): void {
    this.mesh.restartIce(peerId);
    if (!peerId) this.sfu?.restartPublisher();
  }

  /**
   * The device's network changed or came back: retry signaling at once rather
   * than at the next backoff step, and restart ICE on every connection that is
   * not flowing, since its candidates may name addresses we no longer have.
   */
  networkChanged(): void {
    this.signaling.reconnectNow();
    this.mesh.restartBroken(['connecting', 'unstable', 'failed']);
    if (this.sfu && this.sfu.publishState !== 'connected') this.sfu.restartPublisher();
    if (this.sfu && this.sfu.linkStateOf('') !== 'connected') this.views.resend();
  }

  /**
   * Leaves the room, telling the server at once so the others know within a
   * second. `hang-up` ends the call for them too; `page-exit` (the page is
   * going away, perhaps to reload) leaves them waiting for a return.
   */
  leave(reason: 'hang-up' | 'page-exit' = 'hang-up'): void {
    if (this.phase.kind === 'ended') return;
    this.signaling.sendNow({ type: 'leave', reason });
    this.end('hung-up');
  }

  private end(reason: CallEndReason, by?: string): void {
    this.phase = { kind: 'ended', reason, by };
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
    for (const timer of [...this.absenceTimers.values(), ...this.outageTimers.values()]) clearTimeout(timer);
    this.mesh.closeAll();
    this.closeSfu(false);
    this.stopDecodePoll();
    this.peers.clear();
    this.quality.stop();
    this.talking.stop();
    this.views.close();
    this.emit('chat-ready', false);
    this.publishState();
    this.signaling.close();
  }

  private onMessage(msg: CallMessage): void {
    switch (msg.type) {
      case 'joined':
        return this.onJoined(msg);
      case 'resumed':
        return this.onResumed(msg);
      case 'peer-joined':
        this.lastDeparture = undefined;
        this.addPeer(msg.peer, false);
        return this.publishState();
      case 'peer-left':
        return this.onPeerLeft(msg);
      case 'peer-presence':
        return this.updatePeer(msg.peerId, { presence: msg.presence === 'away' ? 'away' : 'here' });
      case 'peer-media':
        return this.updatePeer(msg.peerId, { media: msg.media });
      case 'description':
        return this.onMeshSignal(msg.from, (mesh) => mesh.handleDescription(msg.from, msg.description));
      case 'candidate':
        return this.onMeshSignal(msg.from, (mesh) => mesh.handleCandidate(msg.from, msg.candidate));
      case 'ice-servers':
        return this.onIceServers(msg.iceServers);
      case 'room-lock':
        this.roomLocked = msg.locked;
        return this.emit('room-lock', { locked: msg.locked });
      case 'error':
        return this.onError(msg);
      case 'media-route':
        return this.moveTo(msg.route);
      case 'sfu-answer':
        return this.sfu?.handleAnswer(msg.sdp);
      case 'sfu-offer':
        return void this.sfu?.handleOffer(msg.sdp, msg.streams);
      case 'sfu-reset':
        return this.sfu?.reset();
      case 'talking':
        return this.updatePeer(msg.peerId, { talking: msg.talking });
      case 'chat':
        return this.onServerChat(msg);
      default:
        return assertNever(msg);
    }
  }

  private onJoined(msg: MessageOf<CallMessage, 'joined'>): void {
    this.phase = { kind: 'in-room', selfId: msg.selfId };
    this.signaling.resumeToken = msg.resumeToken;
    this.onIceServers(msg.iceServers);
    this.host = msg.host ?? false;
    this.roomLocked = msg.locked ?? false;
    // Told before anyone is added, so a room already on the SFU opens no mesh link at all.
    this.moveTo(msg.route ?? 'mesh');
    // The newcomer opens the negotiation with everyone already there.
    for (const peer of msg.peers) this.addPeer(peer, true);
    this.announceMedia();
    this.publishState();
  }

  /**
   * Back on the server. A peer it does not list may still be on its way back
   * (after a server restart everyone reconnects at once): keep their link,
   * mark them away, and give up on them only after the grace period.
   */
  private onResumed(msg: MessageOf<CallMessage, 'resumed'>): void {
    this.phase = { kind: 'in-room', selfId: msg.selfId };
    this.onIceServers(msg.iceServers);
    if (msg.route) this.moveTo(msg.route);
    const present = new Set(msg.peers.map((p) => p.id));
    for (const [id, view] of this.peers) if (!present.has(id) && view.presence === 'here') this.updatePeer(id, { presence: 'away' });
    for (const peer of msg.peers) if (!this.peers.has(peer.id)) this.addPeer(peer, true);
    this.announceMedia();
    this.publishState();
  }

  /** A peer who hung up ends a 1:1 call for us too; one who closed the page or was lost may come back. */
  private onPeerLeft(msg: MessageOf<CallMessage, 'peer-left'>): void {
    const name = this.peers.get(msg.peerId)?.name;
    if (msg.reason === 'hung-up' && this.peers.size === 1 && name !== undefined) {
      this.signaling.sendNow({ type: 'leave', reason: 'hang-up' });
      this.removePeer(msg.peerId, msg.reason, false);
      return this.end('peer-hung-up', name);
    }
    this.removePeer(msg.peerId, msg.reason === 'lost' ? 'lost' : 'left');
  }

  private onServerChat(msg: MessageOf<CallMessage, 'chat'>): void {
    if (msg.from === this.selfId) return;
    this.emit('chat', { peerId: msg.from, name: this.peers.get(msg.from)?.name ?? '', message: { text: msg.text, sentAt: Date.now() } });
  }

  /** Fresh TURN credentials: existing relays keep working, new gatherings (ICE restarts, new peers) need these. */
  private onIceServers(iceServers: IceServer[]): void {
    this.iceServers = iceServers;
    this.mesh.setIceServers(iceServers);
    this.sfu?.setIceServers(iceServers);
  }

  private onError(msg: MessageOf<CallMessage, 'error'>): void {
    if (msg.code === 'session-expired') return this.rejoin();
    if (msg.about === 'join' && this.phase.kind === 'joining') {
      if (JOIN_REFUSALS.has(msg.code)) return this.end(msg.code as Exclude<CallEndReason, 'hung-up'>);
    }
    if (msg.code === 'unsupported-version') return this.end('unsupported-version');
    this.emit('error', { code: msg.code, message: msg.message });
  }

  /** Our old session is gone (the grace period passed): join afresh as someone new, on whatever route the room is on now. */
  private rejoin(): void {
    for (const id of [...this.peers.keys()]) this.removePeer(id, 'lost', false);
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
    this.closeSfu(false);
    this.stopDecodePoll();
    this.route = new RouteSwitch('mesh');
    this.phase = { kind: 'joining' };
    this.sendJoin();
    this.publishState();
  }

  // ---- participants ---------------------------------------------------------

  private addPeer(info: PeerInfo, initiator: boolean): void {
    // Someone we knew joined again: what we showed of them belongs to their old session.
    if (this.peers.has(info.id)) this.run(this.route.left(info.id, this.peers.keys()));
    const outage: Outage = { kind: 'never-connected', since: Date.now() };
    const view: PeerView = { id: info.id, name: info.name, presence: 'here', link: 'connecting', media: undefined, outage, talking: false, transport: undefined, tracks: {} };
    this.peers.set(info.id, view);
    this.watchOutage(info.id, outage);
    // On the SFU their media comes with the next subscriber offer; only a mesh needs a link of our own.
    if (this.route.destination === 'mesh') this.mesh.connect(info, this.selfId ?? '', initiator);
    view.link = this.linkOf(info.id);
    this.quality.watch(info.id);
    this.views.setTile(info.id, { width: 0, height: 0 });
    this.emit('peer-joined', view);
    this.updateTalkingWatch();
    // Their SFU media may have been offered before the server told us they joined.
    const early = this.sfu?.tracksOf(info.id) ?? {};
    if (early.audio || early.video) this.run(this.route.media(info.id, 'sfu', 'arrived', this.peers.keys()));
  }

  private removePeer(peerId: string, reason: DepartureReason, remember = true): void {
    const view = this.peers.get(peerId);
    if (!view) return;
    this.watchAbsence(peerId, 'here');
    this.watchOutage(peerId, undefined);
    this.mesh.drop(peerId);
    this.peers.delete(peerId);
    this.quality.unwatch(peerId);
    this.views.forget(peerId);
    this.run(this.route.left(peerId, this.peers.keys()));
    this.updateTalkingWatch();
    this.emit('chat-ready', this.chatReady);
    if (remember) this.lastDeparture = { name: view.name, reason: reason === 'lost' ? 'lost' : 'left' };
    this.emit('peer-left', { peer: view, reason });
    this.publishState();
  }

  private updatePeer(peerId: string, change: Partial<PeerView>): void {
    const view = this.peers.get(peerId);
    if (!view) return;
    if (change.presence) this.watchAbsence(peerId, change.presence);
    Object.assign(view, change);
    this.emit('peer-updated', view);
    this.publishState();
  }

  /** What carries `peerId`'s media now: the transport they are shown from, or (before their first media) the one the room is heading to. */
  private linkOf(peerId: string): LinkState {
    return this.transportOf(this.route.feedOf(peerId) ?? this.route.destination)?.linkStateOf(peerId) ?? 'connecting';
  }

  /** A transport's links changed: the people it carries (or is about to) may have a new status. */
  private onTransportState(transport: Transport, peerId: string | undefined): void {
    const ids = peerId === undefined ? [...this.peers.keys()] : [peerId];
    for (const id of ids) {
      const view = this.peers.get(id);
      if (!view || (this.route.feedOf(id) ?? this.route.destination) !== transport) continue;
      const link = this.linkOf(id);
      if (link === view.link) continue;
      const outage = nextOutage(view.outage, link, Date.now());
      if (outage !== view.outage) this.watchOutage(id, outage);
      this.updatePeer(id, { link, outage });
    }
  }

  // ---- transports and the route between them ----------------------------------

  private get iceTransportPolicy(): RTCIceTransportPolicy {
    return this.options.relayOnly ? 'relay' : 'all';
  }

  private transportOf(kind: Transport): MediaTransport | undefined {
    return kind === 'mesh' ? this.mesh : this.sfu;
  }

  private watchTransport(transport: MediaTransport): void {
    transport.on('send', (msg) => this.signaling.send(msg));
    transport.on('state', ({ peerId }) => this.onTransportState(transport.kind, peerId));
    transport.on('track', ({ peerId, track }) => this.onTransportTrack(transport.kind, peerId, track));
  }

  /** A track arrived on a transport: shown at once if that transport feeds the person, or becomes their first feed. */
  private onTransportTrack(transport: Transport, peerId: string, track: MediaStreamTrack): void {
    if (!this.peers.has(peerId)) return;
    if (this.route.feedOf(peerId) === transport) return this.showTrack(peerId, track);
    this.run(this.route.media(peerId, transport, 'arrived', this.peers.keys()));
  }

  private showTrack(peerId: string, track: MediaStreamTrack): void {
    const view = this.peers.get(peerId);
    if (!view) return;
    view.tracks = { ...view.tracks, [track.kind]: track };
    this.emit('track', { peerId, track });
  }

  /** The server named the room's route. */
  private moveTo(route: MediaRoute): void {
    this.run(this.route.moveTo(route, Date.now(), this.peers.keys()));
  }

  /** Carries out what the route switch decided, then tells the UI where the route stands. */
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
    if (this.route.current.kind === 'moving') this.startDecodePoll();
    else this.stopDecodePoll();
    this.updateTalkingWatch();
    this.emit('chat-ready', this.chatReady);
    this.emit('route', this.route.current);
  }

  /** Switches what is shown for `peerId` to the tracks `transport` carries for them. */
  private showFrom(peerId: string, transport: Transport): void {
    const view = this.peers.get(peerId);
    const source = this.transportOf(transport);
    if (!view || !source) return;
    view.transport = transport;
    const tracks = source.tracksOf(peerId);
    for (const track of Object.values(tracks)) if (track) this.showTrack(peerId, track);
    // One reading of the SFU subscriber stands for everyone it carries.
    if (transport === 'sfu') {
      this.quality.unwatch(peerId);
      if (!this.quality.isWatching(SFU_QUALITY_ID)) this.quality.watch(SFU_QUALITY_ID);
    } else if (!this.quality.isWatching(peerId)) this.quality.watch(peerId);
    const link = this.linkOf(peerId);
    const outage = nextOutage(view.outage, link, Date.now());
    if (outage !== view.outage) this.watchOutage(peerId, outage);
    this.updatePeer(peerId, { link, outage });
  }

  private openTransport(transport: Transport): void {
    // Turned back while the transport was lingering: it is still up, keep it.
    clearTimeout(this.lingering.get(transport));
    this.lingering.delete(transport);
    if (transport === 'sfu') return this.openSfu();
    // Back to the mesh: the side that would be impolite in a collision offers, so the two never collide.
    const selfId = this.selfId ?? '';
    for (const view of this.peers.values()) if (!this.mesh.has(view.id)) this.mesh.connect({ id: view.id, name: view.name }, selfId, selfId > view.id);
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
      iceTransportPolicy: this.iceTransportPolicy,
      localTracks: this.localTracks,
      flavor: this.options.flavor ?? currentFlavor(),
    });
    this.sfu = sfu;
    this.watchTransport(sfu);
    sfu.onSubscriberBroken = () => this.recoverSubscriber();
    sfu.publish();
    this.views.setActive(true);
  }

  /**
   * The subscriber connection failed. Only the server can offer it afresh;
   * the protocol has no "offer me again", so we restart the publisher's ICE
   * (the same network change broke it too) and re-send our whole view, both
   * of which the server may answer with a new `sfu-offer`.
   */
  private recoverSubscriber(): void {
    this.sfu?.restartPublisher();
    this.views.resend();
  }

  /** `tell`: say `sfu-leave` (we moved back to the mesh); not when the whole call ends, which `leave` covers. */
  private closeSfu(tell: boolean): void {
    if (!this.sfu) return;
    if (tell) this.signaling.send({ type: 'sfu-leave' });
    this.sfu.close();
    this.sfu = undefined;
    this.views.setActive(false);
    this.quality.unwatch(SFU_QUALITY_ID);
  }

  /**
   * During a move, asks the new transport every DECODE_POLL_MS whose media
   * decodes, and moves each such person over; also lets the move time out.
   */
  private startDecodePoll(): void {
    this.decodePoll ??= setInterval(() => void this.pollDecoding(), DECODE_POLL_MS);
  }

  private stopDecodePoll(): void {
    clearInterval(this.decodePoll);
    this.decodePoll = undefined;
  }

  private async pollDecoding(): Promise<void> {
    const phase = this.route.current;
    if (phase.kind !== 'moving') return this.stopDecodePoll();
    const waiting = this.route.waitingFor(this.peers.keys());
    const decoding = await this.transportOf(phase.to)
      ?.decodingPeers(waiting, (id) => this.peers.get(id)?.media?.video !== false)
      .catch(() => new Set<string>());
    // The route may have moved on while getStats ran.
    if (this.route.current !== phase) return;
    for (const peerId of decoding ?? []) this.run(this.route.media(peerId, phase.to, 'decoding', this.peers.keys()));
    this.run(this.route.tick(Date.now(), this.peers.keys()));
  }

  /** Mesh descriptions and candidates: taken while the room uses (or heads for) the mesh, ignored once it settled on the SFU. */
  private onMeshSignal(peerId: string, action: (mesh: MeshTransport) => Promise<void>): void {
    if (!this.route.isOpen('mesh')) return;
    if (!this.mesh.has(peerId)) {
      const name = this.peers.get(peerId)?.name ?? '';
      if (!this.peers.has(peerId)) this.addPeer({ id: peerId, name }, false);
      if (!this.mesh.has(peerId)) this.mesh.connect({ id: peerId, name }, this.selfId ?? '', false);
    }
    action(this.mesh).catch((err: unknown) => console.warn('videoapp: signal from peer failed', err));
  }

  private onQuality(quality: LinkQuality): void {
    if (quality.peerId === SFU_QUALITY_ID) this.views.observeDownlink({ loss: quality.loss, availableIncomingKbps: quality.availableIncomingKbps });
    this.emit('quality', quality);
  }

  /** Mesh groups learn who speaks from the levels they receive; the SFU says so itself. */
  private updateTalkingWatch(): void {
    const meshGroup = this.peers.size >= 2 && [...this.peers.values()].some((p) => p.transport === 'mesh');
    if (meshGroup && this.phase.kind === 'in-room') this.talking.start();
    else this.talking.stop();
  }

  // ---- timers ------------------------------------------------------------------

  /** Arranges to look at a peer again when `outage` reaches its bound (then it is lost, or unreachable); undefined: media flows, nothing to watch. */
  private watchOutage(peerId: string, outage: Outage | undefined): void {
    clearTimeout(this.outageTimers.get(peerId));
    this.outageTimers.delete(peerId);
    if (!outage) return;
    const due = outage.since + OUTAGE_BOUND_MS[outage.kind] - Date.now();
    this.outageTimers.set(
      peerId,
      setTimeout(() => this.onOutageBoundPassed(peerId), due + TIMER_SLACK_MS),
    );
  }

  /** An outage has lasted long enough to change what is said about the peer: their own status changes even if the call's does not. */
  private onOutageBoundPassed(peerId: string): void {
    this.outageTimers.delete(peerId);
    const view = this.peers.get(peerId);
    if (view) this.emit('peer-updated', view);
    this.publishState();
  }

  /** A peer away for longer than the server's grace period is gone, even if no server said so (it restarted meanwhile). */
  private watchAbsence(peerId: string, presence: PeerView['presence']): void {
    clearTimeout(this.absenceTimers.get(peerId));
    this.absenceTimers.delete(peerId);
    if (presence === 'away')
      this.absenceTimers.set(
        peerId,
        setTimeout(() => this.removePeer(peerId, 'lost'), RESUME_GRACE_MS),
      );
  }

  private onSignalingState(state: SignalingState): void {
    this.publishState();
    if (state.kind === 'open') {
      // After a signaling outage, connections that broke meanwhile can renegotiate now.
      this.mesh.restartBroken(['failed', 'unstable']);
      if (this.sfu && (this.sfu.publishState === 'failed' || this.sfu.publishState === 'unstable')) this.sfu.restartPublisher();
    }
  }

  private deriveState(): CallState {
    return deriveCallState({ phase: this.phase, signaling: this.signaling.current, peers: this.peerList(), lastDeparture: this.lastDeparture, relayAvailable: this.relayAvailable, now: Date.now() });
  }

  private publishState(): void {
    const state = this.deriveState();
    const key = JSON.stringify(state);
    if (key === this.lastState) return;
    this.lastState = key;
    this.emit('state', state);
  }
}
