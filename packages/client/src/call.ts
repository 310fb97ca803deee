import { assertNever, type DepartureReason, type ErrorCode, type IceServer, type MessageOf, type PeerInfo, RESUME_GRACE_MS } from '@videoapp/protocol';
import { type CallEndReason, type CallPhase, type CallState, deriveCallState, nextOutage, OUTAGE_BOUND_MS, type Outage, type PeerView } from './call-state.ts';
import { type ChatMessage, type ChatSendResult, checkChatText } from './chat-channel.ts';
import { Emitter } from './emitter.ts';
import { type LinkState, type LocalTracks, type MediaKind, type PeerConnectionFactory, PeerLink } from './peer-link.ts';
import { type LinkQuality, QualityWatch } from './quality.ts';
import { videoSendCap } from './send-cap.ts';
import { type CallMessage, SignalingClient, type SignalingState, type WebSocketConstructor } from './signaling-client.ts';

export type { CallEndReason, CallState, PeerView } from './call-state.ts';

/** What proves a right to enter a protected room: its passcode, or (for its creator) its host key. */
export interface RoomCredentials {
  passcode?: string;
  hostKey?: string;
}

const JOIN_REFUSALS = new Set<ErrorCode>(['room-not-found', 'room-full', 'room-locked', 'wrong-passcode', 'rate-limited']);
/** A timer may fire a moment before Date.now() says its delay has passed: look again this much later. */
const TIMER_SLACK_MS = 10;

interface CallEvents extends Record<string, unknown> {
  state: CallState;
  'peer-joined': PeerView;
  'peer-updated': PeerView;
  'peer-left': { peer: PeerView; reason: DepartureReason };
  track: { peerId: string; track: MediaStreamTrack };
  error: { code: ErrorCode; message: string };
  /** The host locked or unlocked the room. */
  'room-lock': { locked: boolean };
  /** A chat message from a peer, straight over the data channel. */
  chat: { peerId: string; name: string; message: ChatMessage };
  /** Whether a chat message sent now would reach someone. */
  'chat-ready': boolean;
  /** Each connected link's quality, every QUALITY_INTERVAL_MS. */
  quality: LinkQuality;
}

export interface CallOptions {
  signalingUrl: string;
  WebSocket: WebSocketConstructor;
  createPeerConnection: PeerConnectionFactory;
  /** Only relayed (TURN) paths: the other side never learns our address. */
  relayOnly?: boolean;
  /** A resume token from an earlier page load, to rejoin the same place after a reload. */
  resumeToken?: string;
}

/**
 * A call in one room: joins through the signaling server, keeps one PeerLink
 * per other person, and turns everything that happens into typed events.
 * It never opens media itself; the UI hands it tracks.
 */
export class Call extends Emitter<CallEvents> {
  private readonly signaling: SignalingClient;
  private readonly peers = new Map<string, { view: PeerView; link: PeerLink }>();
  private readonly absenceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Per peer, when its outage reaches its bound and its status changes with no event to say so. */
  private readonly outageTimers = new Map<string, ReturnType<typeof setTimeout>>();
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
    (peerId) => {
      const link = this.peers.get(peerId)?.link;
      return link?.linkState === 'connected' ? link.pc.getStats() : undefined;
    },
    (quality) => this.emit('quality', quality),
  );

  constructor(private readonly options: CallOptions) {
    super();
    this.signaling = new SignalingClient({ url: options.signalingUrl, WebSocket: options.WebSocket, resumeToken: options.resumeToken });
    this.signaling.on('message', (msg) => this.onMessage(msg));
    this.signaling.on('state', (state) => this.onSignalingState(state));
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

  join(roomId: string, name: string, tracks: LocalTracks, credentials: RoomCredentials = {}): void {
    this.roomId = roomId;
    this.name = name;
    this.credentials = { ...credentials };
    this.localTracks = { ...tracks };
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
    await Promise.all([...this.peers.values()].map(({ link }) => link.setLocalTrack(kind, track)));
    if (kind === 'video') this.capSentVideo();
    this.announceMedia();
  }

  /** Tells the others whether our microphone and camera are live (e.g. after muting). */
  announceMedia(): void {
    const live = (kind: MediaKind) => Boolean(this.localTracks[kind]?.enabled && this.localTracks[kind]?.readyState === 'live');
    if (this.phase.kind === 'in-room') this.signaling.send({ type: 'media', media: { audio: live('audio'), video: live('video') } });
  }

  peerList(): PeerView[] {
    return [...this.peers.values()].map((p) => p.view);
  }

  /** The WebRTC statistics of the link to one peer, for quality indicators and tests. */
  getStats(peerId: string): Promise<RTCStatsReport> | undefined {
    return this.peers.get(peerId)?.link.pc.getStats();
  }

  /** Sends a chat message to everyone whose chat channel is open; refused if empty, too long or nobody can get it. */
  sendChat(text: string): ChatSendResult {
    const problem = checkChatText(text);
    if (problem) return { ok: false, code: problem };
    const ready = [...this.peers.values()].filter(({ link }) => link.chat.isOpen);
    const results = ready.map(({ link }) => link.chat.send(text));
    return results.find((r) => r.ok) ?? { ok: false, code: 'peer-not-found' };
  }

  get chatReady(): boolean {
    return [...this.peers.values()].some(({ link }) => link.chat.isOpen);
  }

  /** How many offer collisions the link to a peer has settled (diagnostics). */
  collisions(peerId: string): number {
    return this.peers.get(peerId)?.link.collisions ?? 0;
  }

  /** Whether the server handed out a TURN relay: without one a relay-only call cannot connect. */
  get relayAvailable(): boolean {
    return this.iceServers.some((server) => server.urls.some((url) => /^turns?:/.test(url)));
  }

  /** Restarts ICE towards one peer (or all): used when the device's network changes. */
  restartIce(peerId?: string): void {
    for (const [id, { link }] of this.peers) if (!peerId || id === peerId) link.restartIce();
  }

  /**
   * The device's network changed or came back: retry signaling at once rather
   * than at the next backoff step, and restart ICE on every link that is not
   * flowing, since its candidates may name addresses we no longer have.
   */
  networkChanged(): void {
    this.signaling.reconnectNow();
    for (const { link } of this.peers.values()) if (link.linkState !== 'connected') link.restartIce();
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
    for (const { link } of this.peers.values()) link.close();
    this.peers.clear();
    this.quality.stop();
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
        return this.withLink(msg.from, (link) => link.handleDescription(msg.description));
      case 'candidate':
        return this.withLink(msg.from, (link) => link.handleCandidate(msg.candidate));
      case 'ice-servers':
        return this.onIceServers(msg.iceServers);
      case 'room-lock':
        this.roomLocked = msg.locked;
        return this.emit('room-lock', { locked: msg.locked });
      case 'error':
        return this.onError(msg);
      case 'media-route':
      case 'sfu-answer':
      case 'sfu-offer':
      case 'sfu-reset':
      case 'talking':
      case 'chat':
        // Sent only to rooms whose media goes through the SFU, which this engine does not join yet (issue 13).
        return;
      default:
        return assertNever(msg);
    }
  }

  private onJoined(msg: MessageOf<CallMessage, 'joined'>): void {
    this.phase = { kind: 'in-room', selfId: msg.selfId };
    this.signaling.resumeToken = msg.resumeToken;
    this.iceServers = msg.iceServers;
    this.host = msg.host ?? false;
    this.roomLocked = msg.locked ?? false;
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
    const present = new Set(msg.peers.map((p) => p.id));
    for (const [id, { view }] of this.peers) if (!present.has(id) && view.presence === 'here') this.updatePeer(id, { presence: 'away' });
    for (const peer of msg.peers) if (!this.peers.has(peer.id)) this.addPeer(peer, true);
    this.announceMedia();
    this.publishState();
  }

  /** A peer who hung up ends a 1:1 call for us too; one who closed the page or was lost may come back. */
  private onPeerLeft(msg: MessageOf<CallMessage, 'peer-left'>): void {
    const name = this.peers.get(msg.peerId)?.view.name;
    if (msg.reason === 'hung-up' && this.peers.size === 1 && name !== undefined) {
      this.signaling.sendNow({ type: 'leave', reason: 'hang-up' });
      this.removePeer(msg.peerId, msg.reason, false);
      return this.end('peer-hung-up', name);
    }
    this.removePeer(msg.peerId, msg.reason === 'lost' ? 'lost' : 'left');
  }

  /** Fresh TURN credentials: existing relays keep working, new gatherings (ICE restarts, new peers) need these. */
  private onIceServers(iceServers: IceServer[]): void {
    this.iceServers = iceServers;
    for (const { link } of this.peers.values()) link.setIceServers(iceServers);
  }

  private onError(msg: MessageOf<CallMessage, 'error'>): void {
    if (msg.code === 'session-expired') return this.rejoin();
    if (msg.about === 'join' && this.phase.kind === 'joining') {
      if (JOIN_REFUSALS.has(msg.code)) return this.end(msg.code as Exclude<CallEndReason, 'hung-up'>);
    }
    if (msg.code === 'unsupported-version') return this.end('unsupported-version');
    this.emit('error', { code: msg.code, message: msg.message });
  }

  /** Our old session is gone (the grace period passed): join afresh as someone new. */
  private rejoin(): void {
    for (const id of [...this.peers.keys()]) this.removePeer(id, 'lost', false);
    this.phase = { kind: 'joining' };
    this.sendJoin();
    this.publishState();
  }

  private addPeer(info: PeerInfo, initiator: boolean): PeerLink {
    this.peers.get(info.id)?.link.close();
    const selfId = this.selfId ?? '';
    const link = new PeerLink({
      createPeerConnection: this.options.createPeerConnection,
      iceServers: this.iceServers,
      iceTransportPolicy: this.options.relayOnly ? 'relay' : 'all',
      polite: selfId < info.id,
      initiator,
      localTracks: this.localTracks,
    });
    const outage: Outage = { kind: 'never-connected', since: Date.now() };
    const view: PeerView = { id: info.id, name: info.name, presence: 'here', link: link.linkState, media: undefined, outage };
    this.peers.set(info.id, { view, link });
    this.watchOutage(info.id, outage);
    link.on('signal', (signal) => {
      if ('description' in signal) this.signaling.send({ type: 'description', to: info.id, description: signal.description });
      else this.signaling.send({ type: 'candidate', to: info.id, candidate: signal.candidate });
    });
    link.on('track', (track) => this.emit('track', { peerId: info.id, track }));
    link.on('state', (state) => this.onLinkState(info.id, state));
    link.chat.on('message', (message) => this.emit('chat', { peerId: info.id, name: this.peers.get(info.id)?.view.name ?? '', message }));
    link.chat.on('open', () => this.emit('chat-ready', this.chatReady));
    this.quality.watch(info.id);
    this.emit('peer-joined', view);
    this.capSentVideo();
    return link;
  }

  private removePeer(peerId: string, reason: DepartureReason, remember = true): void {
    const entry = this.peers.get(peerId);
    if (!entry) return;
    this.watchAbsence(peerId, 'here');
    this.watchOutage(peerId, undefined);
    entry.link.close();
    this.peers.delete(peerId);
    this.quality.unwatch(peerId);
    this.capSentVideo();
    this.emit('chat-ready', this.chatReady);
    if (remember) this.lastDeparture = { name: entry.view.name, reason: reason === 'lost' ? 'lost' : 'left' };
    this.emit('peer-left', { peer: entry.view, reason });
    this.publishState();
  }

  private updatePeer(peerId: string, change: Partial<PeerView>): void {
    const entry = this.peers.get(peerId);
    if (!entry) return;
    if (change.presence) this.watchAbsence(peerId, change.presence);
    Object.assign(entry.view, change);
    this.emit('peer-updated', entry.view);
    this.publishState();
  }

  private onLinkState(peerId: string, link: LinkState): void {
    const view = this.peers.get(peerId)?.view;
    if (!view) return;
    const outage = nextOutage(view.outage, link, Date.now());
    if (outage !== view.outage) this.watchOutage(peerId, outage);
    // A link's encodings exist only once negotiated: (re)apply the group cap when it connects.
    if (link === 'connected') this.capSentVideo();
    this.updatePeer(peerId, { link, outage });
  }

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
    const view = this.peers.get(peerId)?.view;
    if (view) this.emit('peer-updated', view);
    this.publishState();
  }

  /** Holds every outgoing video stream to the size a group tile needs, or lifts the hold back in a 1:1 call. */
  private capSentVideo(): void {
    const track = this.localTracks.video ?? undefined;
    const settings = track?.getSettings?.();
    const cap = videoSendCap(this.peers.size, track && { width: settings?.width, height: settings?.height, contentHint: track.contentHint });
    for (const { link } of this.peers.values()) void link.capVideo(cap);
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

  /** Runs `action` on the link to `peerId`, creating it if the first word from them is an offer. */
  private withLink(peerId: string, action: (link: PeerLink) => Promise<void>): void {
    const link = this.peers.get(peerId)?.link ?? this.addPeer({ id: peerId, name: '' }, false);
    action(link).catch((err: unknown) => console.warn('videoapp: signal from peer failed', err));
  }

  private onSignalingState(state: SignalingState): void {
    this.publishState();
    if (state.kind === 'open') {
      // After a signaling outage, links that broke meanwhile can renegotiate now.
      for (const { link } of this.peers.values()) if (link.linkState === 'failed' || link.linkState === 'unstable') link.restartIce();
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
