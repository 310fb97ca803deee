import type { ClientMessage, IceServer, PeerInfo, SessionDescription } from '@videoapp/protocol';
import { Emitter } from './emitter.ts';
import type { LinkKeys } from './link-keys.ts';
import { inboundStats, type MediaTransport, type PeerTracks, showsDecodingMedia, type TransportEvents } from './media-transport.ts';
import type { ChatMessage, ChatSendResult } from './peer-channel.ts';
import { type LinkState, type LocalTracks, type MediaKind, type OutgoingSignal, type PeerConnectionFactory, PeerLink } from './peer-link.ts';
import { mayStepUp, type SendPhase, type VideoSendCap, videoSendCap } from './send-cap.ts';

/** How often a starting link's bandwidth estimate is read to decide whether it may step up to full resolution. */
export const FAST_START_POLL_MS = 250;
/**
 * How long a spare link waits before it is made again: its server-reflexive
 * candidates name a NAT mapping that nothing keeps alive, and NATs keep an
 * idle UDP mapping for at least 2 minutes (RFC 4787, REQ-5).
 */
export const SPARE_LINK_MAX_AGE_MS = 2 * 60_000;

/** A link made before anyone needs it: its offer and candidates are held until it is given to someone. */
interface SpareLink {
  link: PeerLink;
  held: OutgoingSignal[];
  /** Stops holding its signals, and its renewal at SPARE_LINK_MAX_AGE_MS. */
  release: () => void;
}

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
  private standingBy = false;
  private spare: SpareLink | undefined;
  private spareTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: MeshTransportOptions) {
    super();
  }

  has(peerId: string): boolean {
    return this.links.has(peerId);
  }

  get peerIds(): string[] {
    return [...this.links.keys()];
  }

  /**
   * Opens (or reopens) the link to `peer`; `selfId` decides who is polite. As
   * the opening side, it gives them the spare link if one is ready: its offer
   * and candidates go out at once, with no offer to make and no gathering to
   * wait for.
   */
  connect(peer: PeerInfo, selfId: string, initiator: boolean): PeerLink {
    this.drop(peer.id);
    const polite = selfId < peer.id;
    // Made while alone and made again whenever the tracks change, a spare starts as this link would.
    const spare = initiator ? this.releaseSpare() : undefined;
    const link = spare?.link ?? this.newLink(polite, initiator, this.startingCap());
    link.polite = polite;
    this.links.set(peer.id, link);
    this.sendPhases.set(peer.id, 'starting');
    for (const signal of spare ? heldSignals(spare) : []) this.emit('send', toPeer(peer.id, signal));
    link.on('signal', (signal) => this.emit('send', toPeer(peer.id, signal)));
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
    this.keepSpare();
    return link;
  }

  /**
   * While on (the room is on the mesh and we are in it) and alone there,
   * keeps one link ready for the next person to join, its offer made and its
   * candidates gathered: whoever is already in the room opens the link to a
   * newcomer, and with a spare its offer leaves as the server says they
   * joined. Its addresses go only to that person, as any link's do. Only
   * alone: the 1:1 call is the one to start fastest, and a third person
   * makes a group, on the SFU where there is one; a spare kept during a call
   * slowed that move by about a second (sfu-call e2e: 5.6 s against 4.3–4.9 s).
   */
  standBy(on: boolean): void {
    this.standingBy = on;
    if (!on) this.dropSpare();
    this.keepSpare();
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
    this.keepSpare();
  }

  /** Closes every link, and the spare (the room moved to the SFU); the transport can open links again later. */
  closeAll(): void {
    this.standBy(false);
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
    // The spare is made again with the new track rather than changed: a replaceTrack would wait behind its offer, and a new camera may want another cap.
    this.renewSpare();
    await Promise.all([...this.links.values()].map((link) => link.setLocalTrack(kind, track)));
    if (kind === 'video') this.capSentVideo();
  }

  /** The tracks new links will send. */
  setLocalTracks(tracks: LocalTracks): void {
    this.localTracks = { ...tracks };
    this.renewSpare();
  }

  setIceServers(iceServers: IceServer[]): void {
    this.iceServers = iceServers;
    for (const link of this.links.values()) link.setIceServers(iceServers);
    // The spare gathered its relay candidates with the old credentials, which expire: it gathers again with these.
    this.renewSpare();
  }

  restartIce(peerId?: string): void {
    for (const [id, link] of this.links) if (!peerId || id === peerId) link.restartIce();
    if (!peerId) this.renewSpare();
  }

  /** Restarts ICE on every link not flowing (after a network change or a signaling outage); the spare gathers again, its addresses may be gone. */
  restartBroken(states: readonly LinkState[]): void {
    for (const link of this.links.values()) if (states.includes(link.linkState)) link.restartIce();
    this.renewSpare();
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

  private newLink(polite: boolean, initiator: boolean, videoCap: VideoSendCap): PeerLink {
    return new PeerLink({
      createPeerConnection: this.options.createPeerConnection,
      iceServers: this.iceServers,
      iceTransportPolicy: this.options.iceTransportPolicy,
      guardReceivedVideo: this.options.guardReceivedVideo,
      polite,
      initiator,
      localTracks: this.localTracks,
      videoCap,
    });
  }

  /** What the next link starts held to: the links before it plus itself, at its fast-start size. */
  private startingCap(): VideoSendCap {
    return videoSendCap(this.links.size + 1, this.sentVideo(), 'starting');
  }

  /** Prepares the spare when one is wanted (standing by, alone in the room) and none is ready; closes one no longer wanted. */
  private keepSpare(): void {
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    const wanted = this.standingBy && this.links.size === 0;
    if (this.spare && !wanted) this.dropSpare();
    if (!wanted || this.spare) return;
    // In a task of its own, after whatever asked for it (joining, someone leaving) is done.
    this.spareTimer = setTimeout(() => this.makeSpare(), 0);
  }

  private makeSpare(): void {
    this.spareTimer = undefined;
    // Whether it is polite depends on who takes it: set then.
    const link = this.newLink(false, true, this.startingCap());
    const held: OutgoingSignal[] = [];
    const stopHolding = link.on('signal', (signal) => held.push(signal));
    const renewal = setTimeout(() => this.renewSpare(), SPARE_LINK_MAX_AGE_MS);
    this.spare = {
      link,
      held,
      release: () => {
        stopHolding();
        clearTimeout(renewal);
      },
    };
  }

  private releaseSpare(): SpareLink | undefined {
    const spare = this.spare;
    this.spare = undefined;
    spare?.release();
    return spare;
  }

  private dropSpare(): void {
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    this.releaseSpare()?.link.close();
  }

  /** A spare made with what has changed since (tracks, credentials, network) is made again. */
  private renewSpare(): void {
    if (!this.spare) return;
    this.dropSpare();
    this.keepSpare();
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

/**
 * What a spare link sends the person it is given to: its offer as it stands
 * now, with the candidates gathered while it waited inside, in place of
 * sending those one by one (each its own message to relay and its own
 * addIceCandidate on the far side, ahead of its answer). A held candidate
 * the description does not list still goes on its own. Held as they are if
 * it has not made its offer yet.
 */
function heldSignals(spare: SpareLink): OutgoingSignal[] {
  const offer = spare.link.pc.localDescription;
  if (offer?.type !== 'offer' || !spare.held.some((signal) => 'description' in signal)) return spare.held;
  // Compared by what names the candidate (foundation to type): the string a browser gives a candidate has fields (ufrag) its SDP line does not.
  const listed = (signal: OutgoingSignal) => 'candidate' in signal && offer.sdp.includes(`a=${signal.candidate.candidate.split(' ').slice(0, 8).join(' ')} `);
  return [{ description: { type: 'offer', sdp: offer.sdp } }, ...spare.held.filter((signal) => 'candidate' in signal && !listed(signal))];
}

function toPeer(to: string, signal: OutgoingSignal): ClientMessage {
  return 'description' in signal ? { type: 'description', to, description: signal.description } : { type: 'candidate', to, candidate: signal.candidate };
}

/** The bandwidth estimate of the selected candidate pair, where the browser reports one. */
function availableOutgoingBitrate(report: RTCStatsReport): number | undefined {
  let bps: number | undefined;
  report.forEach((stats: RTCIceCandidatePairStats) => {
    if (stats.type === 'candidate-pair' && stats.nominated && stats.state === 'succeeded' && typeof stats.availableOutgoingBitrate === 'number') bps = stats.availableOutgoingBitrate;
  });
  return bps;
}
