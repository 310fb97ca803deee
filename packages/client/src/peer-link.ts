import type { IceCandidate, IceServer, SessionDescription } from '@videoapp/protocol';
import { AUDIO_RESTART_NEGOTIATION_MS, AudioLagWatch } from './audio-lag.ts';
import { DecodeWatch, KEY_FRAME_REQUEST_EVERY_MS } from './decode-watch.ts';
import { Emitter } from './emitter.ts';
import { type LinkKeys, readLinkKeys } from './link-keys.ts';
import { linkCounters, MediaStallWatch } from './media-stall.ts';
import { PeerChannel } from './peer-channel.ts';
import type { VideoSendCap } from './send-cap.ts';

/** How long the connection may stay `disconnected` before the leading side restarts ICE. */
export const DISCONNECTED_RESTART_MS = 2_000;
/**
 * The longest wait before another ICE restart while restarts keep failing: each one after the first
 * since the link last connected waits twice as long as the one before, from DISCONNECTED_RESTART_MS.
 * Restarting at once, every time, made a relay-only link restart 14 times in a second: each restart
 * takes a new relay allocation, and coturn's per-user quota (user-quota=12) then refused any more,
 * so the call never connected (turn-relay e2e).
 */
export const RESTART_BACKOFF_MAX_MS = 8_000;

/**
 * Reading the certificates right at `connected` can find the transport's
 * statistics not yet updated; a few more looks this far apart settle it.
 */
export const KEYS_READ_ATTEMPTS = 5;
export const KEYS_RETRY_MS = 400;

export type MediaKind = 'audio' | 'video';
export type LocalTracks = Partial<Record<MediaKind, MediaStreamTrack | null>>;

/** What the link shows the call: connecting, flowing, briefly interrupted, or given up. */
export type LinkState = 'connecting' | 'connected' | 'unstable' | 'failed' | 'closed';

export type OutgoingSignal = { description: SessionDescription } | { candidate: IceCandidate };

interface PeerLinkEvents extends Record<string, unknown> {
  track: MediaStreamTrack;
  state: LinkState;
  signal: OutgoingSignal;
  /** The DTLS keys in use, read when the link connects; again after a reconnection only if they changed. */
  keys: LinkKeys;
}

export type PeerConnectionFactory = (config: RTCConfiguration) => RTCPeerConnection;

export interface PeerLinkOptions {
  createPeerConnection: PeerConnectionFactory;
  iceServers: IceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** In a collision of offers the polite side yields (see PeerLink.polite). */
  polite: boolean;
  /** The initiator opens the negotiation; the other side attaches its media when the first offer arrives. */
  initiator: boolean;
  localTracks: LocalTracks;
  /**
   * Puts a guard against stale frames on the receiver of their video (see
   * stale-frames.ts), as it appears, before any frame: a transform put on a
   * receiver that already decodes is not used.
   */
  guardReceivedVideo?: (receiver: RTCRtpReceiver) => void;
  /** What the video we send starts held to (see send-cap.ts): the initiator's sender is created with it, so no setParameters runs as the call starts. */
  videoCap?: VideoSendCap;
}

/**
 * The WebRTC connection to one remote peer, negotiated with the "perfect
 * negotiation" pattern of the WebRTC spec: either side may start a
 * negotiation at any time, and a collision of offers is settled by the
 * polite side rolling back its own.
 */
export class PeerLink extends Emitter<PeerLinkEvents> {
  readonly pc: RTCPeerConnection;
  /** Chat, and key-frame requests, straight to the other peer. */
  readonly channel = new PeerChannel();
  private readonly transceivers: Partial<Record<MediaKind, RTCRtpTransceiver>> = {};
  private localTracks: LocalTracks;
  private makingOffer = false;
  private sendCapChain: Promise<void> = Promise.resolve();
  private videoCapped = false;
  /** The cap last asked for, applied again once the answering side has a video sender. */
  private videoCap: VideoSendCap | undefined;
  private ignoreOffer = false;
  /**
   * In a collision of offers the polite side yields. Decided by comparing peer
   * ids, so both ends agree; a link prepared before anyone joined learns it
   * when it is given to them, before any answer can arrive.
   */
  polite: boolean;
  private settingRemoteAnswer = false;
  private state: LinkState = 'connecting';
  /** Offers that crossed one of ours (glare), for diagnostics: settled by the polite side yielding. */
  collisions = 0;
  private disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether ICE has ever connected: only then does a failure mean the path died, rather than that candidates are still arriving. */
  private everConnected = false;
  /** ICE restarts since the link was last connected, which lengthen the wait before the next (see restartDelay). */
  private restartsSinceConnected = 0;
  /** Notices a dead path about a second after it dies, long before ICE does (see media-stall.ts). */
  private readonly stallWatch = new MediaStallWatch(() => this.readCounters(), { stalled: () => this.onStalled(), flowing: () => this.onFlowing() });
  /** Notices their video arriving undecodable, read from the same statistics as the stall watch (see decode-watch.ts). */
  private readonly decodeWatch = new DecodeWatch();
  /** Notices their voice arriving seconds late, from the same statistics (see audio-lag.ts). */
  private readonly audioLagWatch = new AudioLagWatch();
  private restartingAudioReceiver = false;
  /** When we last restarted our video for a key frame the other side asked for. */
  private keyFrameSentAt = Number.NEGATIVE_INFINITY;
  private keysTimer: ReturnType<typeof setTimeout> | undefined;
  private currentKeys: LinkKeys | undefined;

  constructor(private readonly options: PeerLinkOptions) {
    super();
    this.localTracks = { ...options.localTracks };
    this.polite = options.polite;
    this.videoCap = options.videoCap;
    this.pc = options.createPeerConnection({
      iceServers: options.iceServers,
      iceTransportPolicy: options.iceTransportPolicy ?? 'all',
      // Both ends are this app, so audio, video and chat always share one transport: gathering for one
      // (rather than one per kind until the answer says "bundle") halves the candidates the offerer sends.
      bundlePolicy: 'max-bundle',
      // No candidate pool (iceCandidatePoolSize): Chromium takes a pooled set, gathered with the TURN credentials
      // of its time, for an ICE restart too, so a restart after those expired found no new relay (turn-relay e2e).
    });
    this.pc.onnegotiationneeded = () => void this.makeOffer();
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.emit('signal', { candidate: toCandidateInit(candidate) });
    };
    this.pc.ontrack = ({ track, receiver }) => {
      if (track.kind === 'video') this.options.guardReceivedVideo?.(receiver);
      this.emit('track', track);
    };
    this.pc.onconnectionstatechange = () => this.onConnectionState();
    this.channel.on('key-frame-request', () => this.sendKeyFrame());
    if (options.initiator) {
      for (const kind of ['audio', 'video'] as const) this.openTransceiver(kind);
      this.channel.open(this.pc);
      // Offered now rather than at `negotiationneeded`, a task that waits behind whatever else the page has queued
      // (as a call starts, drawing the room): 40–90 ms in traced joins. The event that follows finds nothing to negotiate.
      void this.makeOffer();
    }
  }

  get linkState(): LinkState {
    return this.state;
  }

  /** The DTLS keys protecting this link, once it has connected. */
  get keys(): LinkKeys | undefined {
    return this.currentKeys;
  }

  /** Applies a description from the other side, answering offers and settling collisions. */
  async handleDescription(description: SessionDescription): Promise<void> {
    const readyForOffer = !this.makingOffer && (this.pc.signalingState === 'stable' || this.settingRemoteAnswer);
    const collision = description.type === 'offer' && !readyForOffer;
    if (collision) this.collisions++;
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    this.settingRemoteAnswer = description.type === 'answer';
    try {
      await this.pc.setRemoteDescription(description);
    } finally {
      this.settingRemoteAnswer = false;
    }
    if (description.type !== 'offer') return;
    this.adoptOfferedTransceivers();
    // Opened only now on the answering side: earlier, it would start a negotiation of its own and collide with the offer.
    this.channel.open(this.pc);
    await this.pc.setLocalDescription();
    this.sendLocalDescription();
    // Capped only once the answer is set: asked between the offer and the answer, Chromium refuses the change ("modified RTCP
    // parameters") and the cap landed only at `connected`, restarting the encoder just as its first frame went out. Here no frame has gone yet.
    if (this.videoCap) void this.capVideo(this.videoCap);
  }

  async handleCandidate(candidate: IceCandidate): Promise<void> {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (err) {
      // Candidates for an offer we chose to ignore are expected to fail.
      if (!this.ignoreOffer) throw err;
    }
  }

  /** Sends `track` (or nothing, for null) in place of what was sent before, without renegotiating. */
  async setLocalTrack(kind: MediaKind, track: MediaStreamTrack | null): Promise<void> {
    this.localTracks[kind] = track;
    const transceiver = this.transceivers[kind];
    if (transceiver) await transceiver.sender.replaceTrack(track);
  }

  /**
   * Holds the video we send on this link to `cap` (see send-cap.ts). The
   * answering side has no video sender until the first offer arrives, and
   * some browsers give a sender no encodings to set before the first
   * negotiation, so the cap is applied again on the offer and the caller
   * applies it again once the link connects. Calls run one after another:
   * each setParameters must follow its own getParameters.
   */
  capVideo(cap: VideoSendCap): Promise<void> {
    this.videoCap = cap;
    const uncapped = isUncapped(cap);
    // A link never capped is left exactly as the browser set it up.
    if (uncapped && !this.videoCapped) return this.sendCapChain;
    this.videoCapped = !uncapped;
    return this.onSendChain('cap the sent video', async () => {
      const sender = this.transceivers.video?.sender;
      if (!sender || this.pc.signalingState === 'closed') return;
      const parameters = sender.getParameters();
      if (!parameters.encodings?.length) return;
      // setParameters reconfigures the encoder even when nothing changes, which just as it starts delays its first frame.
      const unchanged = parameters.encodings.every((e) => e.maxBitrate === cap.maxBitrate && (e.scaleResolutionDownBy ?? 1) === cap.scaleResolutionDownBy);
      if (unchanged) return;
      for (const encoding of parameters.encodings) {
        if (cap.maxBitrate === undefined) delete encoding.maxBitrate;
        else encoding.maxBitrate = cap.maxBitrate;
        encoding.scaleResolutionDownBy = cap.scaleResolutionDownBy;
      }
      await sender.setParameters(parameters);
    });
  }

  /** Uses `iceServers` (fresh TURN credentials) for every later gathering, such as the next ICE restart. */
  setIceServers(iceServers: IceServer[]): void {
    if (this.pc.signalingState === 'closed') return;
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  /** Starts an ICE restart; perfect negotiation carries it through even if the other side does the same. */
  restartIce(): void {
    this.restartsSinceConnected++;
    this.pc.restartIce();
  }

  close(): void {
    clearTimeout(this.disconnectedTimer);
    this.stallWatch.stop();
    clearTimeout(this.keysTimer);
    this.pc.onnegotiationneeded = this.pc.onicecandidate = this.pc.ontrack = this.pc.onconnectionstatechange = null;
    this.channel.close();
    this.pc.close();
    this.setState('closed');
    this.removeAllListeners();
  }

  /** A send-and-receive transceiver per kind, carrying our track if we have one (or sending nothing until we do). */
  private openTransceiver(kind: MediaKind): void {
    const track = this.localTracks[kind];
    const cap = kind === 'video' ? this.videoCap : undefined;
    const capped = cap !== undefined && !isUncapped(cap);
    this.videoCapped ||= capped;
    // The track and the starting cap go in with the transceiver: a replaceTrack would wait its turn on the connection's
    // operations chain, and negotiationneeded (so our offer) waits for that chain to empty (130 ms in a traced join);
    // a setParameters as the call starts reconfigures the encoder.
    const sendEncodings = capped ? [{ scaleResolutionDownBy: cap.scaleResolutionDownBy, ...(cap.maxBitrate === undefined ? {} : { maxBitrate: cap.maxBitrate }) }] : undefined;
    const transceiver = this.pc.addTransceiver(track ?? kind, { direction: 'sendrecv', sendEncodings });
    this.transceivers[kind] = transceiver;
    // Guarded now, before any description: Chromium passes no frame through a transform the offerer's receiver
    // gets at `track` (its receiving stream exists from the offer on), and the guard saw none (network bench).
    if (kind === 'video') this.options.guardReceivedVideo?.(transceiver.receiver);
  }

  /** On the first offer, take the transceivers it created and send our media on them, so the answer needs no second round. */
  private adoptOfferedTransceivers(): void {
    for (const transceiver of this.pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind as MediaKind;
      if (this.transceivers[kind] || (kind !== 'audio' && kind !== 'video')) continue;
      const adopted = this.sendOn(transceiver, this.localTracks[kind]);
      adopted.direction = 'sendrecv';
      this.transceivers[kind] = adopted;
    }
  }

  /**
   * Puts `track` on an offered transceiver of its kind. addTrack takes such a
   * transceiver at once, where replaceTrack would queue on the operations
   * chain and hold back our answer; returns the transceiver that took it.
   */
  private sendOn(offered: RTCRtpTransceiver, track: MediaStreamTrack | null | undefined): RTCRtpTransceiver {
    if (!track) return offered;
    try {
      const sender = this.pc.addTrack(track);
      return this.pc.getTransceivers().find((t) => t.sender === sender) ?? offered;
    } catch {
      // A browser that will not reuse the offered transceiver: the slower way still works.
      void offered.sender.replaceTrack(track);
      return offered;
    }
  }

  private async makeOffer(): Promise<void> {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.sendLocalDescription();
    } catch (err) {
      console.warn('videoapp: could not make an offer', err);
    } finally {
      this.makingOffer = false;
    }
  }

  private sendLocalDescription(): void {
    const local = this.pc.localDescription;
    if (local && (local.type === 'offer' || local.type === 'answer')) this.emit('signal', { description: { type: local.type, sdp: local.sdp } });
  }

  private onConnectionState(): void {
    clearTimeout(this.disconnectedTimer);
    switch (this.pc.connectionState) {
      case 'connected':
        this.everConnected = true;
        this.restartsSinceConnected = 0;
        // After an ICE restart or a renegotiation the certificates may have changed: look again each time.
        this.readKeys(KEYS_READ_ATTEMPTS);
        this.stallWatch.start();
        // ICE may still call a dead path connected: what the bytes say wins until they move again.
        return this.setState(this.stallWatch.stalled ? 'unstable' : 'connected');
      case 'disconnected':
        this.setState('unstable');
        // A brief outage often heals by itself; if not, the impolite side leads an ICE restart.
        return this.scheduleRestart(this.restartDelay('disconnected'));
      case 'failed':
        this.setState('failed');
        return this.scheduleRestart(this.restartDelay('failed'));
      case 'closed':
        return this.setState('closed');
      default:
        if (this.state !== 'unstable' && this.state !== 'failed') this.setState('connecting');
    }
  }

  /**
   * How long to wait, after ICE reports `after`, before restarting it. The
   * impolite side leads; the polite side waits DISCONNECTED_RESTART_MS longer
   * and restarts only if the other did not (it may be the one whose network
   * changed). A link that was flowing and failed restarts at once: its path is
   * gone. One that never connected waits, because Chromium calls a link failed
   * as soon as every pair it has failed, and for a relay-only side the pairs
   * to the other's own addresses fail at once (the relay refuses them), while
   * the other's relay candidate may still be on its way; when it comes, ICE
   * takes up checking again, while a restart would have discarded it. Restarts
   * that keep failing back off up to RESTART_BACKOFF_MAX_MS.
   */
  private restartDelay(after: 'disconnected' | 'failed'): number {
    const first = after === 'failed' && this.everConnected ? 0 : DISCONNECTED_RESTART_MS;
    const again = Math.min(RESTART_BACKOFF_MAX_MS, DISCONNECTED_RESTART_MS * 2 ** (this.restartsSinceConnected - 1));
    const delay = this.restartsSinceConnected === 0 ? first : Math.max(first, again);
    return this.polite ? delay + DISCONNECTED_RESTART_MS : delay;
  }

  /**
   * Restarts ICE after `delayMs` unless the connection recovers first. The
   * impolite side leads; the polite side waits longer and restarts only if
   * the other did not (it may be the one whose network changed).
   */
  private scheduleRestart(delayMs: number): void {
    this.disconnectedTimer = setTimeout(() => {
      const broken = this.pc.connectionState !== 'connected' || this.stallWatch.stalled;
      if (broken && this.pc.connectionState !== 'closed') this.restartIce();
    }, delayMs);
  }

  /**
   * Bytes stopped while ICE still says connected: the path is likely dead (a
   * cut link, or an address that went away). Say so now, so the call shows
   * "reconnecting" and looks at its signaling socket at once. The ICE restart
   * itself still waits for ICE to call the connection disconnected: restarting
   * on the stall alone left a 3 s cut unrecovered on one side in a test.
   *
   * Our video is paused meanwhile (audio and RTCP go on, so the other side
   * still hears from us and its own watch sees us return). Frames encoded into
   * a dead path would not arrive, and may be held on the way (by our own
   * system, for one) and delivered stale at once when the path returns; a
   * resumed encoding starts afresh from a key frame.
   */
  private onStalled(): void {
    if (this.state === 'connected') this.setState('unstable');
    void this.holdVideo(true);
  }

  /** One reading of the link's statistics for both watches; the stall watch goes by the bytes. */
  private async readCounters(): Promise<number | undefined> {
    const counters = await linkCounters(this.pc);
    if (counters.video && this.decodeWatch.observe(counters.video, Date.now())) this.channel.requestKeyFrame();
    if (counters.audio && this.audioLagWatch.observe(counters.audio, Date.now())) void this.restartAudioReceiver();
    return counters.bytes;
  }

  /**
   * Their voice reaches us seconds late (see audio-lag.ts): renegotiates our
   * audio receiver into a new one, whose jitter buffer starts empty. The
   * transceiver stops receiving for one negotiation and receives again from
   * the next; what we send is untouched, and the received track stays the
   * same object, silent in between.
   */
  private async restartAudioReceiver(): Promise<void> {
    const transceiver = this.transceivers.audio;
    if (this.restartingAudioReceiver || !transceiver || transceiver.direction !== 'sendrecv' || transceiver.currentDirection !== 'sendrecv') return;
    this.restartingAudioReceiver = true;
    try {
      transceiver.direction = 'sendonly';
      await this.negotiated(() => transceiver.currentDirection !== 'sendrecv');
    } finally {
      if (this.pc.signalingState !== 'closed') transceiver.direction = 'sendrecv';
      this.restartingAudioReceiver = false;
    }
  }

  /** Resolves once the connection is stable with `done` holding, once it closes, or after AUDIO_RESTART_NEGOTIATION_MS. */
  private negotiated(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if ((this.pc.signalingState === 'stable' && done()) || this.pc.signalingState === 'closed') finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.pc.removeEventListener('signalingstatechange', check);
        resolve();
      };
      const timer = setTimeout(finish, AUDIO_RESTART_NEGOTIATION_MS);
      this.pc.addEventListener('signalingstatechange', check);
    });
  }

  /**
   * The other side asked for a key frame: restart our video's encoding, which
   * begins with one (see restartVideo). Not while our video is held for a stall
   * (it starts with a key frame when the stall ends), and not more often than
   * KEY_FRAME_REQUEST_EVERY_MS, however often we are asked.
   */
  private sendKeyFrame(): void {
    const now = Date.now();
    if (this.stallWatch.stalled || now - this.keyFrameSentAt < KEY_FRAME_REQUEST_EVERY_MS) return;
    this.keyFrameSentAt = now;
    void this.restartVideo();
  }

  /** Bytes arrive again, so what we send reaches the other side again: resume our video, which starts with a key frame. */
  private onFlowing(): void {
    if (this.pc.connectionState === 'connected') this.setState('connected');
    void this.holdVideo(false);
  }

  /**
   * Pauses our video encoding, or resumes it. The encoder takes a resumed
   * stream for a new one and starts it with a key frame, which is the only way
   * to ask for one outside encoded transforms. Runs in the chain of the send
   * caps, whose parameters it must not interleave with (they keep `active`).
   */
  private holdVideo(held: boolean): Promise<void> {
    return this.onSendChain(`${held ? 'pause' : 'resume'} the sent video`, () => this.setVideoActive(!held));
  }

  /**
   * Restarts our video's encoding, which begins with a key frame: paused and
   * resumed in one step of the chain, the resume tried twice (a renegotiation
   * may refuse one), so a request can never leave our video off.
   */
  private restartVideo(): Promise<void> {
    return this.onSendChain('restart the sent video', async () => {
      try {
        await this.setVideoActive(false);
      } finally {
        await this.setVideoActive(true).catch(() => this.setVideoActive(true));
      }
    });
  }

  private async setVideoActive(active: boolean): Promise<void> {
    const sender = this.transceivers.video?.sender;
    if (!sender || this.pc.signalingState === 'closed') return;
    const parameters = sender.getParameters();
    if (!parameters.encodings?.length || parameters.encodings.every((e) => (e.active ?? true) === active)) return;
    for (const encoding of parameters.encodings) encoding.active = active;
    await sender.setParameters(parameters);
  }

  /** Runs `step` after every earlier change of our sent video's parameters; a failure is logged as "could not `what`". */
  private onSendChain(what: string, step: () => Promise<void>): Promise<void> {
    this.sendCapChain = this.sendCapChain.then(step).catch((err: unknown) => console.warn(`videoapp: could not ${what}`, err));
    return this.sendCapChain;
  }

  private readKeys(attemptsLeft: number): void {
    clearTimeout(this.keysTimer);
    void readLinkKeys(this.pc)
      .catch(() => undefined)
      .then((keys) => {
        if (this.state === 'closed') return;
        if (!keys) {
          if (attemptsLeft > 1) this.keysTimer = setTimeout(() => this.readKeys(attemptsLeft - 1), KEYS_RETRY_MS);
          return;
        }
        if (keys.local === this.currentKeys?.local && keys.remote === this.currentKeys.remote) return;
        this.currentKeys = keys;
        this.emit('keys', keys);
      });
  }

  private setState(state: LinkState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }
}

/** A cap that holds nothing back: the browser's own choices stand. */
function isUncapped(cap: VideoSendCap): boolean {
  return cap.maxBitrate === undefined && cap.scaleResolutionDownBy === 1;
}

/** A gathered candidate as the protocol carries it. */
export function toCandidateInit(candidate: RTCIceCandidate): IceCandidate {
  return {
    candidate: candidate.candidate,
    sdpMid: candidate.sdpMid ?? undefined,
    sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
    usernameFragment: candidate.usernameFragment ?? undefined,
  };
}
