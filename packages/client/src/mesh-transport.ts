import type { IceServer, PeerInfo, SessionDescription } from '@videoapp/protocol';
import { Emitter } from './emitter.ts';
import type { LinkKeys } from './link-keys.ts';
import { inboundStats, type MediaTransport, type PeerTracks, showsDecodingMedia, type TransportEvents } from './media-transport.ts';
import type { ChatMessage, ChatSendResult } from './peer-channel.ts';
import { type LinkState, type LocalTracks, type MediaKind, type PeerConnectionFactory, PeerLink } from './peer-link.ts';
import { mayStepUp, type SendPhase, videoSendCap } from './send-cap.ts';

/** How often a starting link's bandwidth estimate is read to decide whether it may step up to full resolution. */
export const FAST_START_POLL_MS = 250;

interface MeshEvents extends TransportEvents {
  chat: { peerId: string; message: ChatMessage };
  /** A chat channel opened or closed. */
  'chat-open': undefined;
  /** The DTLS keys of the link to a person, once it connects (and whenever they change); undefined when the link is gone. */
  keys: { peerId: string; keys: LinkKeys | undefined };
}

export interface MeshTransportOptions {
  createPeerConnection: PeerConnectionFactory;
  iceTransportPolicy: RTCIceTransportPolicy;
  /** Guards each link's received video against stale frames (see PeerLinkOptions). */
  guardReceivedVideo?: (receiver: RTCRtpReceiver) => void;
}

/**
 * Media over a full mesh: one PeerLink (perfect negotiation, a data channel
 * for chat) to each other person. Which side opens a link is the caller's
 * choice; collisions settle themselves by the polite/impolite roles.
 */
export class MeshTransport extends Emitter<MeshEvents> implements MediaTransport {
  readonly kind = 'mesh' as const;
  private readonly links = new Map<string, PeerLink>();
  private readonly tracks = new Map<string, PeerTracks>();
  /** Each link's fast-start phase (see send-cap.ts), and the timer that ends it. */
  private readonly sendPhases = new Map<string, SendPhase>();
  private readonly stepUpTimers = new Map<string, ReturnType<typeof setInterval>>();
  private localTracks: LocalTracks = {};
  private iceServers: IceServer[] = [];

  constructor(private readonly options: MeshTransportOptions) {
    super();
  }

  has(peerId: string): boolean {
    return this.links.has(peerId);
  }

  get peerIds(): string[] {
    return [...this.links.keys()];
  }

  /** Opens (or reopens) the link to `peer`; `selfId` decides who is polite. */
  connect(peer: PeerInfo, selfId: string, initiator: boolean): PeerLink {
    this.drop(peer.id);
    const link = new PeerLink({
      createPeerConnection: this.options.createPeerConnection,
      iceServers: this.iceServers,
      iceTransportPolicy: this.options.iceTransportPolicy,
      guardReceivedVideo: this.options.guardReceivedVideo,
      polite: selfId < peer.id,
      initiator,
      localTracks: this.localTracks,
      // The links before this one plus this one; a new link starts at its fast-start size.
      videoCap: videoSendCap(this.links.size + 1, this.sentVideo(), 'starting'),
    });
    this.links.set(peer.id, link);
    this.sendPhases.set(peer.id, 'starting');
    link.on('signal', (signal) => {
      if ('description' in signal) this.emit('send', { type: 'description', to: peer.id, description: signal.description });
      else this.emit('send', { type: 'candidate', to: peer.id, candidate: signal.candidate });
    });
    link.on('track', (track) => {
      this.tracks.set(peer.id, { ...this.tracks.get(peer.id), [track.kind]: track });
      this.emit('track', { peerId: peer.id, track });
    });
    link.on('state', (state) => {
      // A link's encodings exist only once negotiated: (re)apply the group cap when it connects.
      if (state === 'connected') {
        this.capSentVideo();
        this.watchStepUp(peer.id, link);
      }
      this.emit('state', { peerId: peer.id });
    });
    link.on('keys', (keys) => this.emit('keys', { peerId: peer.id, keys }));
    link.channel.on('message', (message) => this.emit('chat', { peerId: peer.id, message }));
    link.channel.on('open', () => this.emit('chat-open', undefined));
    this.capSentVideo();
    return link;
  }

  drop(peerId: string): void {
    const link = this.links.get(peerId);
    if (!link) return;
    link.close();
    this.links.delete(peerId);
    this.tracks.delete(peerId);
    this.sendPhases.delete(peerId);
    clearInterval(this.stepUpTimers.get(peerId));
    this.stepUpTimers.delete(peerId);
    this.capSentVideo();
    this.emit('chat-open', undefined);
    this.emit('keys', { peerId, keys: undefined });
  }

  /** Closes every link (the room moved to the SFU); the transport can open links again later. */
  closeAll(): void {
    for (const peerId of [...this.links.keys()]) this.drop(peerId);
  }

  link(peerId: string): PeerLink | undefined {
    return this.links.get(peerId);
  }

  handleDescription(peerId: string, description: SessionDescription): Promise<void> {
    return this.links.get(peerId)?.handleDescription(description) ?? Promise.resolve();
  }

  handleCandidate(peerId: string, candidate: Parameters<PeerLink['handleCandidate']>[0]): Promise<void> {
    return this.links.get(peerId)?.handleCandidate(candidate) ?? Promise.resolve();
  }

  tracksOf(peerId: string): PeerTracks {
    return this.tracks.get(peerId) ?? {};
  }

  linkStateOf(peerId: string): LinkState {
    return this.links.get(peerId)?.linkState ?? 'closed';
  }

  async setLocalTrack(kind: MediaKind, track: MediaStreamTrack | null): Promise<void> {
    this.localTracks[kind] = track;
    await Promise.all([...this.links.values()].map((link) => link.setLocalTrack(kind, track)));
    if (kind === 'video') this.capSentVideo();
  }

  /** The tracks new links will send. */
  setLocalTracks(tracks: LocalTracks): void {
    this.localTracks = { ...tracks };
  }

  setIceServers(iceServers: IceServer[]): void {
    this.iceServers = iceServers;
    for (const link of this.links.values()) link.setIceServers(iceServers);
  }

  restartIce(peerId?: string): void {
    for (const [id, link] of this.links) if (!peerId || id === peerId) link.restartIce();
  }

  /** Restarts ICE on every link not flowing (after a network change or a signaling outage). */
  restartBroken(states: readonly LinkState[]): void {
    for (const link of this.links.values()) if (states.includes(link.linkState)) link.restartIce();
  }

  get chatReady(): boolean {
    return [...this.links.values()].some((link) => link.channel.isOpen);
  }

  sendChat(text: string): ChatSendResult {
    const results = [...this.links.values()].filter((link) => link.channel.isOpen).map((link) => link.channel.send(text));
    return results.find((r) => r.ok) ?? { ok: false, code: 'peer-not-found' };
  }

  async decodingPeers(peerIds: string[], videoExpected: (peerId: string) => boolean): Promise<Set<string>> {
    const decoding = new Set<string>();
    await Promise.all(
      peerIds.map(async (peerId) => {
        const link = this.links.get(peerId);
        if (link?.linkState !== 'connected') return;
        const report = await link.pc.getStats().catch(() => undefined);
        if (report && showsDecodingMedia(inboundStats(report), videoExpected(peerId))) decoding.add(peerId);
      }),
    );
    return decoding;
  }

  statsOf(peerId: string): Promise<RTCStatsReport> | undefined {
    const link = this.links.get(peerId);
    return link?.linkState === 'connected' ? link.pc.getStats() : undefined;
  }

  close(): void {
    this.closeAll();
    this.removeAllListeners();
  }

  /**
   * Holds every outgoing video stream to the size a group tile needs, or a
   * starting link to its fast-start size; lifts the hold in a 1:1 call.
   */
  private capSentVideo(): void {
    const sent = this.sentVideo();
    for (const [peerId, link] of this.links) void link.capVideo(videoSendCap(this.links.size, sent, this.sendPhases.get(peerId)));
  }

  /** What the caps depend on of the video we send. */
  private sentVideo(): { width?: number; height?: number; contentHint: string } | undefined {
    const track = this.localTracks.video ?? undefined;
    const settings = track?.getSettings?.();
    return track && { width: settings?.width, height: settings?.height, contentHint: track.contentHint };
  }

  /** Once a starting link connects, steps it up to full resolution as soon as its bandwidth estimate allows (see mayStepUp). */
  private watchStepUp(peerId: string, link: PeerLink): void {
    if (this.sendPhases.get(peerId) !== 'starting' || this.stepUpTimers.has(peerId)) return;
    const connectedAt = Date.now();
    const timer = setInterval(async () => {
      const report = await link.pc.getStats().catch(() => undefined);
      if (this.links.get(peerId) !== link || !mayStepUp(Date.now() - connectedAt, report && availableOutgoingBitrate(report))) return;
      clearInterval(timer);
      this.stepUpTimers.delete(peerId);
      this.sendPhases.set(peerId, 'steady');
      this.capSentVideo();
    }, FAST_START_POLL_MS);
    this.stepUpTimers.set(peerId, timer);
  }
}

/** The bandwidth estimate of the selected candidate pair, where the browser reports one. */
function availableOutgoingBitrate(report: RTCStatsReport): number | undefined {
  let bps: number | undefined;
  report.forEach((stats: RTCIceCandidatePairStats) => {
    if (stats.type === 'candidate-pair' && stats.nominated && stats.state === 'succeeded' && typeof stats.availableOutgoingBitrate === 'number') bps = stats.availableOutgoingBitrate;
  });
  return bps;
}
