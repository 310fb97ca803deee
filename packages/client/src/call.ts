import { assertNever, type DepartureReason, type ErrorCode, type IceServer, type Knocker, type MessageOf, type PeerInfo, RESUME_GRACE_MS, type ReactionEmoji } from '@videoapp/protocol';
import { currentFlavor, frameTransformApi, type WebRtcFlavor } from './browser-quirks.ts';
import { type CallEndReason, type CallPhase, type CallState, deriveCallState, nextOutage, OUTAGE_BOUND_MS, type Outage, type PeerView } from './call-state.ts';
import { Emitter } from './emitter.ts';
import { type FrameWorkerFactory, WorkerFrameCryptor } from './frame-cryptor.ts';
import { GroupKeys } from './group-keys.ts';
import type { TileView } from './layers.ts';
import { MediaRouter } from './media-router.ts';
import { MeshVerification, type TrustedKeys } from './mesh-verification.ts';
import { type ChatMessage, type ChatSendResult, checkChatText } from './peer-channel.ts';
import type { LinkState, LocalTracks, MediaKind, PeerConnectionFactory } from './peer-link.ts';
import { type LinkQuality, QualityWatch } from './quality.ts';
import { type HandChange, RaisedHands } from './raised-hands.ts';
import type { RoutePhase, Transport } from './route-switch.ts';
import { type CallMessage, SignalingClient, type SignalingState, type WebSocketConstructor } from './signaling-client.ts';
import { TalkingWatch } from './talking-watch.ts';
import type { Verification } from './verification-code.ts';

export type { CallEndReason, CallState, Participant, PeerView } from './call-state.ts';
export { DECODE_POLL_MS, OLD_TRANSPORT_LINGER_MS } from './media-router.ts';

/** What proves a right to enter a protected room: its passcode, or (for its creator) its host key. */
export interface RoomCredentials {
  passcode?: string;
  hostKey?: string;
  /** The token of a knock the host admitted ("Ask to join"). */
  knock?: string;
  /** A reloaded page's last resume token: it was in this room a moment ago, so it need not knock (or give the passcode) again. */
  rejoin?: string;
}

const JOIN_REFUSALS = new Set<ErrorCode>(['room-not-found', 'room-full', 'room-locked', 'wrong-passcode', 'rate-limited', 'knock-required']);
/** A timer may fire a moment before Date.now() says its delay has passed: look again this much later. */
const TIMER_SLACK_MS = 10;
/** The `peerId` of quality readings of the SFU subscriber connection, which carries everyone we receive through the SFU (not a valid peer id). */
export const SFU_QUALITY_ID = 'sfu:subscriber';
/**
 * How long after our network changed (or the signaling socket came back,
 * which often follows such a change) a mesh link whose media stops, while
 * the socket works, is taken for one whose path went with the change: it is
 * restarted at once rather than when ICE calls it disconnected, 5 s or more
 * later. The socket can come back before the stall watch notices
 * (MEDIA_STALL_MS): with an address replaced in the network bench it reopened
 * after 0.5 s, and the call then waited 8 s. Room for the stall watch and a
 * loaded machine.
 */
export const RECENT_NETWORK_CHANGE_MS = 3_000;

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
  /** The host turned "Ask to join" on or off. */
  'ask-to-join': { on: boolean };
  /** To the host: who is waiting to be let in (the first few by name) and how many in all. */
  knockers: { knockers: Knocker[]; waiting: number };
  /** A chat message from a peer: over the data channel in a mesh, relayed by the server through the SFU. */
  chat: { peerId: string; name: string; message: ChatMessage };
  /** Whether a chat message sent now would reach someone. */
  'chat-ready': boolean;
  /** Each connected link's quality (or the SFU subscriber's, as SFU_QUALITY_ID), every QUALITY_INTERVAL_MS. */
  quality: LinkQuality;
  /** A hand went up or down (ours too, once the server has it); `raisedHands` has the order. */
  hand: HandChange;
  /** Someone (we too) sent a reaction, relayed by the server. */
  reaction: { peerId: string; emoji: ReactionEmoji };
  /** The room's media is moving between transports, or settled on one (diagnostics and test attributes; the UI needs nothing of it). */
  route: RoutePhase;
  /** Whether media through the SFU is end-to-end encrypted, and if not whose browser cannot (see e2eeProtection). */
  e2ee: E2eeProtection;
}

/**
 * What protects the room's media end to end, for the UI to say: `peer-to-peer`,
 * DTLS on each mesh link; `encrypted`, our own frame encryption through the
 * SFU; `unencrypted`, the SFU could read it, because the browsers of `unable`
 * (names) or our own (`selfUnable`) cannot encrypt.
 */
export type E2eeProtection = { kind: 'peer-to-peer' } | { kind: 'encrypted' } | { kind: 'unencrypted'; selfUnable: boolean; unable: string[] };

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
  /**
   * A signaling client already connected to `signalingUrl` (the lobby greets
   * the server before Join, so joining starts on an open socket). The call
   * takes it over; left out, the call opens its own.
   */
  signaling?: SignalingClient;
  /** The other people's keys this browser has marked as verified; without it, nothing is remembered between calls. */
  trustedKeys?: TrustedKeys;
  /**
   * Makes the worker that encrypts media frames end to end through the SFU.
   * Without it (or in a browser with no encoded-frame API) this participant
   * cannot encrypt, says so to the others, and a room on the SFU then falls
   * back to plain media for everyone.
   */
  frameWorker?: FrameWorkerFactory;
  /**
   * Puts a guard against stale frames on each mesh link's video receiver
   * (see stale-frames.ts). Without it, the video after a cut link can stay
   * frozen for seconds.
   */
  guardReceivedVideo?: (receiver: RTCRtpReceiver) => void;
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
  /** When our network last changed or the socket came back, and whom we restarted since (see RECENT_NETWORK_CHANGE_MS). */
  private networkChange: { at: number; restarted: Set<string> } | undefined;
  private readonly media: MediaRouter;
  private readonly keys: GroupKeys;
  private readonly frameCryptor: WorkerFrameCryptor | undefined;
  private lastProtection = '';
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
  private readonly hands = new RaisedHands();
  private roomAsksToJoin = false;
  private readonly quality = new QualityWatch(
    (id) => (id === SFU_QUALITY_ID ? this.media.subscriberStats() : this.media.mesh.statsOf(id)),
    (quality) => this.onQuality(quality),
  );
  private readonly verification: MeshVerification;
  private readonly talking = new TalkingWatch(
    () => [...this.peers.values()].filter((p) => p.transport === 'mesh').map((p) => ({ peerId: p.id, stats: this.media.mesh.statsOf(p.id) })),
    (peerId, talking) => this.updatePeer(peerId, { talking }),
  );

  constructor(options: CallOptions) {
    super();
    this.signaling = options.signaling ?? new SignalingClient({ url: options.signalingUrl, WebSocket: options.WebSocket, resumeToken: options.resumeToken });
    this.signaling.on('message', (msg) => this.onMessage(msg));
    this.signaling.on('state', (state) => this.onSignalingState(state));
    const transformApi = frameTransformApi();
    this.frameCryptor = transformApi && options.frameWorker ? new WorkerFrameCryptor(transformApi, options.frameWorker) : undefined;
    this.keys = new GroupKeys(this.frameCryptor);
    this.keys.on('send', (msg) => this.signaling.send(msg));
    this.keys.on('status', () => this.publishProtection());
    this.keys.on('code', ({ peerId }) => this.refreshVerification(peerId));
    this.media = new MediaRouter({
      createPeerConnection: options.createPeerConnection,
      iceTransportPolicy: options.relayOnly ? 'relay' : 'all',
      flavor: options.flavor ?? currentFlavor(),
      people: () => this.peers,
      selfId: () => this.selfId ?? '',
      frameCryptor: this.frameCryptor,
      guardReceivedVideo: options.guardReceivedVideo,
    });
    this.media.on('send', (msg) => this.signaling.send(msg));
    this.media.on('track', ({ peerId, track }) => this.showTrack(peerId, track));
    this.media.on('shown', ({ peerId, transport }) => this.onShown(peerId, transport));
    this.media.on('link', ({ transport, peerId }) => this.onTransportState(transport, peerId));
    this.media.on('route', (phase) => this.onRoute(phase));
    this.media.on('chat', ({ peerId, message }) => this.emit('chat', { peerId, name: this.peers.get(peerId)?.name ?? '', message }));
    this.media.on('chat-open', () => this.emit('chat-ready', this.chatReady));
    this.verification = new MeshVerification({ roomId: () => this.roomId, trusted: options.trustedKeys, show: (peerId, verification) => this.showVerification(peerId, verification) });
    this.media.mesh.on('keys', ({ peerId, keys }) => void this.verification.update(peerId, keys));
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

  /** What protects the room's media end to end now. */
  get e2eeProtection(): E2eeProtection {
    const phase = this.media.phase;
    const route = phase.kind === 'settled' ? phase.route : phase.to;
    if (route === 'mesh') return { kind: 'peer-to-peer' };
    const status = this.keys.status;
    if (status.kind === 'encrypted') return status;
    return { kind: 'unencrypted', selfUnable: status.selfUnable, unable: status.unable.map((id) => this.peers.get(id)?.name || 'Someone') };
  }

  /** Whether newcomers knock and wait for the host. */
  get asksToJoin(): boolean {
    return this.roomAsksToJoin;
  }

  /** Where the room's media travels: settled on a transport, or moving between two. */
  get mediaRoute(): RoutePhase {
    return this.media.phase;
  }

  join(roomId: string, name: string, tracks: LocalTracks, credentials: RoomCredentials = {}): void {
    this.roomId = roomId;
    this.name = name;
    this.credentials = { ...credentials };
    this.localTracks = { ...tracks };
    this.media.setLocalTracks(this.localTracks);
    this.signaling.connect();
    if (!this.signaling.resumeToken) this.sendJoin();
    this.publishState();
  }

  /** The host closes the room to newcomers, or opens it again. */
  lock(locked: boolean): void {
    if (this.phase.kind === 'in-room' && this.host) this.signaling.send({ type: 'lock', locked });
  }

  /** Raises or lowers our hand; it shows once the server has it (a `hand` event), so every screen agrees on the order. */
  raiseHand(raised: boolean): void {
    if (this.phase.kind === 'in-room') this.signaling.send({ type: 'hand', raised });
  }

  /** The host lowers someone's raised hand (our own goes down as with `raiseHand(false)`). */
  lowerHandOf(peerId: string): void {
    if (peerId === this.selfId) return this.raiseHand(false);
    if (this.phase.kind === 'in-room') this.signaling.send({ type: 'lower-hand', peerId });
  }

  /** Sends a reaction to everyone; it floats for us too when the server relays it (past the rate limit it does not). */
  react(emoji: ReactionEmoji): void {
    if (this.phase.kind === 'in-room') this.signaling.send({ type: 'reaction', emoji });
  }

  /** Who has a hand up (our own id among them), earliest first. */
  get raisedHands(): readonly string[] {
    return this.hands.list;
  }

  /** The host turns "Ask to join" on or off. */
  setAskToJoin(on: boolean): void {
    if (this.phase.kind === 'in-room' && this.host) this.signaling.send({ type: 'ask-to-join', on });
  }

  /** The host lets a knocker in, or turns them away. */
  answerKnock(knockId: string, answer: 'admit' | 'deny'): void {
    if (this.phase.kind === 'in-room' && this.host) this.signaling.send({ type: answer, knockId });
  }

  private sendJoin(): void {
    this.signaling.send({ type: 'join', roomId: this.roomId, name: this.name, ...this.credentials });
  }

  /** Sends `track` for `kind` to everyone (null sends nothing), and tells them what we now send. */
  async setLocalTrack(kind: MediaKind, track: MediaStreamTrack | null): Promise<void> {
    this.localTracks[kind] = track;
    await this.media.setLocalTrack(kind, track);
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
    this.media.setTileView(peerId, view);
  }

  /** The WebRTC statistics behind one peer's media, for quality indicators and tests. */
  getStats(peerId: string): Promise<RTCStatsReport> | undefined {
    return this.media.statsOf(peerId);
  }

  /** Sends a chat message to everyone: through the server when the room is on the SFU, else over each open data channel. */
  sendChat(text: string): ChatSendResult {
    const problem = checkChatText(text);
    if (problem) return { ok: false, code: problem };
    if (!this.media.chatThroughServer) return this.media.sendMeshChat(text);
    if (!this.chatReady) return { ok: false, code: 'peer-not-found' };
    this.signaling.send({ type: 'chat', text });
    return { ok: true, message: { text, sentAt: Date.now() } };
  }

  get chatReady(): boolean {
    if (this.media.chatThroughServer) return this.phase.kind === 'in-room' && this.peers.size > 0;
    return this.media.meshChatReady;
  }

  /**
   * Remembers, in this browser, that the code shown for `peerId` was read
   * out and matched: their key will show as verified before in later calls.
   * False when there is nothing to mark yet (no connected mesh link to them).
   */
  markVerified(peerId: string): boolean {
    return this.verification.markVerified(peerId);
  }

  /** How many offer collisions the link to a peer has settled (diagnostics). */
  collisions(peerId: string): number {
    return this.media.mesh.link(peerId)?.collisions ?? 0;
  }

  /** Whether the server handed out a TURN relay: without one a relay-only call cannot connect. */
  get relayAvailable(): boolean {
    return this.iceServers.some((server) => server.urls.some((url) => /^turns?:/.test(url)));
  }

  /** Restarts ICE towards one peer (or all): used when the device's network changes. */
  restartIce(peerId?: string): void {
    this.media.restartIce(peerId);
  }

  /**
   * The device's network changed or came back: retry signaling at once rather
   * than at the next backoff step (or, on a socket that looks open, check that
   * it still carries), and restart ICE on every connection that is not
   * flowing, since its candidates may name addresses we no longer have.
   */
  networkChanged(): void {
    this.signaling.reconnectNow();
    this.signaling.reconnectIfSilent();
    this.restartBroken(['connecting', 'unstable', 'failed']);
  }

  /** Restarts every connection in one of `states`, and watches the rest for a while (see RECENT_NETWORK_CHANGE_MS). */
  private restartBroken(states: readonly LinkState[]): void {
    const restarted = new Set([...this.peers.keys()].filter((id) => states.includes(this.media.linkOf(id))));
    this.networkChange = { at: Date.now(), restarted };
    this.media.restartBroken(states);
  }

  /**
   * A link that had connected stopped soon after our network changed, while signaling works: its path most likely
   * went with the change. Restarted now, once. (One that never connected is left to its own restarts, see PeerLink.)
   */
  private restartIfChangedNetwork(peerId: string): void {
    const change = this.networkChange;
    if (
      !change ||
      change.restarted.has(peerId) ||
      this.peers.get(peerId)?.outage?.kind === 'never-connected' ||
      Date.now() - change.at > RECENT_NETWORK_CHANGE_MS ||
      this.signaling.current.kind !== 'open'
    )
      return;
    change.restarted.add(peerId);
    this.media.restartIce(peerId);
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
    for (const timer of [...this.absenceTimers.values(), ...this.outageTimers.values()]) clearTimeout(timer);
    this.media.close();
    this.keys.close();
    this.frameCryptor?.close();
    this.peers.clear();
    this.quality.stop();
    this.talking.stop();
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
        // Someone we already have came with our own resume (the server replays what we missed): their link is open already.
        if (!this.peers.has(msg.peer.id)) this.addPeer(msg.peer, true);
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
      case 'room-ask-to-join':
        this.roomAsksToJoin = msg.on;
        return this.emit('ask-to-join', { on: msg.on });
      case 'knockers':
        return this.emit('knockers', { knockers: msg.knockers, waiting: msg.waiting });
      case 'knock-waiting':
      case 'knock-admitted':
      case 'knock-denied':
        // For a knocker's socket (see Knock); a call never knocks.
        return;
      case 'error':
        return this.onError(msg);
      case 'media-route':
        return this.media.moveTo(msg.route);
      case 'sfu-answer':
        return this.media.sfuAnswer(msg.sdp);
      case 'sfu-offer':
        return this.media.sfuOffer(msg.sdp, msg.streams);
      case 'sfu-reset':
        return this.media.sfuReset();
      case 'talking':
        return this.updatePeer(msg.peerId, { talking: msg.talking });
      case 'chat':
        return this.onServerChat(msg);
      case 'raised-hands':
        for (const change of this.hands.replace(msg)) this.emit('hand', change);
        return;
      case 'hand': {
        const change = this.hands.apply(msg);
        return change && this.emit('hand', change);
      }
      case 'reaction':
        return this.emit('reaction', { peerId: msg.from, emoji: msg.emoji });
      case 'e2ee-key':
        return this.keys.onPublicKey(msg.from, msg.publicKey);
      case 'e2ee-media-key':
        return this.keys.onMediaKey(msg.from, msg.keyId, msg.wrapped);
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
    this.roomAsksToJoin = msg.askToJoin ?? false;
    // Told before anyone is added, so a room already on the SFU opens no mesh link at all.
    this.media.moveTo(msg.route ?? 'mesh');
    // Those already there open the negotiation with the newcomer (one who waited alone, from a link made ready meanwhile: MeshTransport.standBy).
    for (const peer of msg.peers) this.addPeer(peer, false);
    this.keys.start(
      msg.selfId,
      this.roomId,
      msg.peers.map((p) => p.id),
    );
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
    if (msg.route) this.media.moveTo(msg.route);
    const present = new Set(msg.peers.map((p) => p.id));
    for (const [id, view] of this.peers) if (!present.has(id) && view.presence === 'here') this.updatePeer(id, { presence: 'away' });
    for (const peer of msg.peers) if (!this.peers.has(peer.id)) this.addPeer(peer, true);
    // A reloaded page resumes its place with no keys yet: it announces new ones (a socket that only dropped keeps its own).
    if (!this.keys.started)
      this.keys.start(
        msg.selfId,
        msg.roomId,
        msg.peers.map((p) => p.id),
      );
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
    this.media.setIceServers(iceServers);
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
    // Our own hand went with the old session; the new one hears the room's hands afresh.
    const hands = [...this.hands.list];
    this.hands.clear();
    for (const peerId of hands) this.emit('hand', { peerId, raised: false, by: undefined });
    this.media.reset();
    this.phase = { kind: 'joining' };
    this.sendJoin();
    this.publishState();
  }

  // ---- participants ---------------------------------------------------------

  private addPeer(info: PeerInfo, initiator: boolean): void {
    const outage: Outage = { kind: 'never-connected', since: Date.now() };
    const view: PeerView = { id: info.id, name: info.name, presence: 'here', link: 'connecting', media: undefined, outage, talking: false, transport: undefined, tracks: {}, verification: undefined };
    this.peers.set(info.id, view);
    this.watchOutage(info.id, outage);
    this.quality.watch(info.id);
    this.media.added(info, initiator);
    view.link = this.media.linkOf(info.id);
    this.emit('peer-joined', view);
    this.updateTalkingWatch();
  }

  private removePeer(peerId: string, reason: DepartureReason, remember = true): void {
    const view = this.peers.get(peerId);
    if (!view) return;
    this.watchAbsence(peerId, 'here');
    this.watchOutage(peerId, undefined);
    this.peers.delete(peerId);
    this.verification.forget(peerId);
    if (this.hands.remove(peerId)) this.emit('hand', { peerId, raised: false, by: undefined });
    this.quality.unwatch(peerId);
    this.media.removed(peerId);
    this.keys.peerLeft(peerId);
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

  /** A mesh link's code, or none once that link is gone (a code from the SFU's end-to-end keys is not the mesh's to clear). */
  private showVerification(peerId: string, verification: Verification | undefined): void {
    const view = this.peers.get(peerId);
    // Links closing as the call ends are no news to anyone.
    if (!view || this.phase.kind === 'ended' || (!verification && view.verification?.basis !== 'dtls')) return;
    this.updatePeer(peerId, { verification });
  }

  /** A transport's links changed: the people it carries (or is about to) may have a new status. */
  private onTransportState(transport: Transport, peerId: string | undefined): void {
    const ids = peerId === undefined ? [...this.peers.keys()] : [peerId];
    for (const id of ids) {
      const view = this.peers.get(id);
      if (!view || (this.media.feedOf(id) ?? this.media.destination) !== transport) continue;
      if (this.media.linkOf(id) !== view.link) this.refreshLink(view);
    }
  }

  /** Takes a person's link state from whatever carries their media now, and moves their outage on. */
  private refreshLink(view: PeerView): void {
    const link = this.media.linkOf(view.id);
    if (link === 'unstable' || link === 'failed') {
      this.signaling.reconnectIfSilent();
      this.restartIfChangedNetwork(view.id);
    }
    const outage = nextOutage(view.outage, link, Date.now());
    if (outage !== view.outage) this.watchOutage(view.id, outage);
    this.updatePeer(view.id, { link, outage });
  }

  // ---- what the media router says --------------------------------------------

  private showTrack(peerId: string, track: MediaStreamTrack): void {
    const view = this.peers.get(peerId);
    if (!view) return;
    view.tracks = { ...view.tracks, [track.kind]: track };
    this.emit('track', { peerId, track });
  }

  /** `peerId` is now shown from `transport`: their status follows it, and so does the quality reading. */
  private onShown(peerId: string, transport: Transport): void {
    const view = this.peers.get(peerId);
    if (!view) return;
    view.transport = transport;
    // One reading of the SFU subscriber stands for everyone it carries.
    if (transport === 'sfu') {
      this.quality.unwatch(peerId);
      if (!this.quality.isWatching(SFU_QUALITY_ID)) this.quality.watch(SFU_QUALITY_ID);
    } else if (!this.quality.isWatching(peerId)) this.quality.watch(peerId);
    this.refreshLink(view);
    this.refreshVerification(peerId);
  }

  /**
   * Someone shown through the SFU gets the code of our two end-to-end public
   * keys, while the room encrypts (a plain room's code would vouch for
   * nothing). Codes of other bases are not ours to touch.
   */
  private refreshVerification(peerId: string): void {
    const view = this.peers.get(peerId);
    if (!view) return;
    const code = view.transport === 'sfu' && this.keys.status.kind === 'encrypted' ? this.keys.codeOf(peerId) : undefined;
    if (code !== undefined && view.verification?.code !== code) this.updatePeer(peerId, { verification: { code, basis: 'e2ee', verifiedBefore: false } });
    else if (code === undefined && view.verification?.basis === 'e2ee') this.updatePeer(peerId, { verification: undefined });
  }

  /** Tells the UI when what protects the media changed (the route moved, or someone who cannot encrypt came or went). */
  private publishProtection(): void {
    const protection = this.e2eeProtection;
    const key = JSON.stringify(protection);
    if (key !== this.lastProtection) {
      this.lastProtection = key;
      this.emit('e2ee', protection);
    }
    for (const id of this.peers.keys()) this.refreshVerification(id);
  }

  private onRoute(phase: RoutePhase): void {
    // Back on the mesh: nobody is read through the SFU subscriber any more.
    if (phase.kind === 'settled' && phase.route === 'mesh') this.quality.unwatch(SFU_QUALITY_ID);
    this.updateTalkingWatch();
    this.emit('chat-ready', this.chatReady);
    this.emit('route', phase);
    this.publishProtection();
  }

  /** Mesh descriptions and candidates; someone we did not know yet offering is someone new. */
  private onMeshSignal(peerId: string, action: Parameters<MediaRouter['meshSignal']>[1]): void {
    if (!this.peers.has(peerId) && this.media.destination === 'mesh') this.addPeer({ id: peerId, name: '' }, false);
    this.media.meshSignal(peerId, action);
  }

  private onQuality(quality: LinkQuality): void {
    if (quality.peerId === SFU_QUALITY_ID) this.media.observeDownlink(quality.loss);
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
      this.restartBroken(['failed', 'unstable']);
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
