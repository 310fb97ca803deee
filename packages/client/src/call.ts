import type { ErrorCode, IceServer, MediaState, MessageOf, PeerInfo } from '@videoapp/protocol';
import { Emitter } from './emitter.ts';
import { PeerLink, type LinkState, type LocalTracks, type MediaKind, type PeerConnectionFactory } from './peer-link.ts';
import { SignalingClient, type CallMessage, type SignalingState, type WebSocketConstructor } from './signaling-client.ts';

/** What the call knows about one other person. */
export interface PeerView {
  id: string;
  name: string;
  /** `away`: their signaling socket dropped and the server is holding their place. */
  presence: 'here' | 'away';
  link: LinkState;
  media: MediaState | undefined;
}

export type CallEndReason = 'hung-up' | Extract<ErrorCode, 'room-not-found' | 'room-full' | 'room-locked' | 'wrong-passcode' | 'rate-limited' | 'unsupported-version'>;

/** What proves a right to enter a protected room: its passcode, or (for its creator) its host key. */
export interface RoomCredentials {
  passcode?: string;
  hostKey?: string;
}

const JOIN_REFUSALS = new Set<ErrorCode>(['room-not-found', 'room-full', 'room-locked', 'wrong-passcode', 'rate-limited']);

/** The one state the UI renders, derived from the socket, the peers and how the call began or ended. */
export type CallState =
  | { kind: 'joining'; offline: boolean }
  | { kind: 'waiting' }
  | { kind: 'connecting'; peer: PeerView }
  /** Media flows; `serverLost` when our signaling socket is down meanwhile (the call goes on peer to peer). */
  | { kind: 'connected'; peer: PeerView; serverLost: boolean }
  | { kind: 'reconnecting'; who: 'us' | 'peer'; peer?: PeerView }
  | { kind: 'peer-left'; name: string; reason: 'left' | 'lost' }
  | { kind: 'ended'; reason: CallEndReason };

interface CallEvents extends Record<string, unknown> {
  state: CallState;
  'peer-joined': PeerView;
  'peer-updated': PeerView;
  'peer-left': { peer: PeerView; reason: 'left' | 'lost' };
  track: { peerId: string; track: MediaStreamTrack };
  error: { code: ErrorCode; message: string };
  /** The host locked or unlocked the room. */
  'room-lock': { locked: boolean };
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

type Phase = { kind: 'joining' } | { kind: 'in-room'; selfId: string } | { kind: 'ended'; reason: CallEndReason };

/**
 * A call in one room: joins through the signaling server, keeps one PeerLink
 * per other person, and turns everything that happens into typed events.
 * It never opens media itself; the UI hands it tracks.
 */
export class Call extends Emitter<CallEvents> {
  private readonly signaling: SignalingClient;
  private readonly peers = new Map<string, { view: PeerView; link: PeerLink }>();
  private phase: Phase = { kind: 'joining' };
  private iceServers: IceServer[] = [];
  private localTracks: LocalTracks = {};
  private lastDeparture: { name: string; reason: 'left' | 'lost' } | undefined;
  private lastState = '';
  private roomId = '';
  private name = '';
  private credentials: RoomCredentials = {};
  private host = false;
  private roomLocked = false;

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

  /** Restarts ICE towards one peer (or all): used when the device's network changes. */
  restartIce(peerId?: string): void {
    for (const [id, { link }] of this.peers) if (!peerId || id === peerId) link.restartIce();
  }

  /** The browser says the network is back: retry signaling at once rather than at the next backoff step. */
  networkChanged(): void {
    this.signaling.reconnectNow();
  }

  /** Hangs up: says goodbye to the server at once (so the other side knows within a second) and closes every link. */
  leave(): void {
    if (this.phase.kind === 'ended') return;
    this.signaling.sendNow({ type: 'leave' });
    this.end('hung-up');
  }

  private end(reason: CallEndReason): void {
    this.phase = { kind: 'ended', reason };
    for (const { link } of this.peers.values()) link.close();
    this.peers.clear();
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
        return this.removePeer(msg.peerId, msg.reason);
      case 'peer-presence':
        return this.updatePeer(msg.peerId, { presence: msg.presence === 'away' ? 'away' : 'here' });
      case 'peer-media':
        return this.updatePeer(msg.peerId, { media: msg.media });
      case 'description':
        return this.withLink(msg.from, (link) => link.handleDescription(msg.description));
      case 'candidate':
        return this.withLink(msg.from, (link) => link.handleCandidate(msg.candidate));
      case 'room-lock':
        this.roomLocked = msg.locked;
        return this.emit('room-lock', { locked: msg.locked });
      case 'error':
        return this.onError(msg);
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

  private onResumed(msg: MessageOf<CallMessage, 'resumed'>): void {
    this.phase = { kind: 'in-room', selfId: msg.selfId };
    const present = new Set(msg.peers.map((p) => p.id));
    for (const id of this.peers.keys()) if (!present.has(id)) this.removePeer(id, 'lost');
    for (const peer of msg.peers) if (!this.peers.has(peer.id)) this.addPeer(peer, true);
    this.announceMedia();
    this.publishState();
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
    const view: PeerView = { id: info.id, name: info.name, presence: 'here', link: link.linkState, media: undefined };
    this.peers.set(info.id, { view, link });
    link.on('signal', (signal) => {
      if ('description' in signal) this.signaling.send({ type: 'description', to: info.id, description: signal.description });
      else this.signaling.send({ type: 'candidate', to: info.id, candidate: signal.candidate });
    });
    link.on('track', (track) => this.emit('track', { peerId: info.id, track }));
    link.on('state', (state) => this.updatePeer(info.id, { link: state }));
    this.emit('peer-joined', view);
    return link;
  }

  private removePeer(peerId: string, reason: 'left' | 'lost', remember = true): void {
    const entry = this.peers.get(peerId);
    if (!entry) return;
    entry.link.close();
    this.peers.delete(peerId);
    if (remember) this.lastDeparture = { name: entry.view.name, reason };
    this.emit('peer-left', { peer: entry.view, reason });
    this.publishState();
  }

  private updatePeer(peerId: string, change: Partial<PeerView>): void {
    const entry = this.peers.get(peerId);
    if (!entry) return;
    Object.assign(entry.view, change);
    this.emit('peer-updated', entry.view);
    this.publishState();
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
      for (const { link } of this.peers.values()) if (link.linkState === 'failed') link.restartIce();
    }
  }

  private deriveState(): CallState {
    const phase = this.phase;
    if (phase.kind === 'ended') return { kind: 'ended', reason: phase.reason };
    const signalingDown = this.signaling.current.kind !== 'open';
    if (phase.kind === 'joining') return { kind: 'joining', offline: this.signaling.current.kind === 'connecting' && this.signaling.current.attempt > 0 };
    const peer = this.peerList()[0];
    if (peer?.link === 'connected') return { kind: 'connected', peer, serverLost: signalingDown };
    if (signalingDown) return { kind: 'reconnecting', who: 'us', peer };
    if (!peer) return this.lastDeparture ? { kind: 'peer-left', ...this.lastDeparture } : { kind: 'waiting' };
    if (peer.presence === 'away' || peer.link === 'unstable' || peer.link === 'failed') return { kind: 'reconnecting', who: 'peer', peer };
    return { kind: 'connecting', peer };
  }

  private publishState(): void {
    const state = this.deriveState();
    const key = JSON.stringify(state);
    if (key === this.lastState) return;
    this.lastState = key;
    this.emit('state', state);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled message ${JSON.stringify(value)}`);
}
