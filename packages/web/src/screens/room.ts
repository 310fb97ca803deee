import { Call, type CallState, type PeerView, stopStream } from '@videoapp/client';
import type { DepartureReason } from '@videoapp/protocol';
import { type JoinHandoff, type Screen, savedHideIp, savedHostKey, savedInCall, savedName, saveInCall, signalingUrl } from '../app-context.ts';
import { type BlurState, BlurSwitch, describeBlur } from '../blur/blur-switch.ts';
import { browserCertificate, withBrowserCertificate } from '../browser-certificate.ts';
import { drawBeforeNextFrame, h, replaceChildren } from '../dom.ts';
import { createFrameWorker, guardReceivedVideo, prepareStaleFrameGuard } from '../frame-worker.ts';
import { openLocalMedia } from '../local-media.ts';
import { OwnPicture } from '../own-picture.ts';
import { sayWhenSilent } from '../picture-watch.ts';
import type { Route } from '../routes.ts';
import { browserTrustedKeys } from '../trusted-keys.ts';
import { savedVoiceSettings, voiceMode } from '../voice/voice-settings.ts';
import { keepScreenAwake } from '../wake-lock.ts';
import { ChatPanel } from './chat-panel.ts';
import { DevicePanel } from './device-panel.ts';
import { E2eeStatusLine } from './e2ee-status.ts';
import { HandsAndReactions } from './hands-and-reactions.ts';
import { KnockersList } from './knockers-list.ts';
import { PictureInPicture, type PipAction } from './picture-in-picture.ts';
import { showProblem } from './problem.ts';
import { QualityPanel } from './quality-panel.ts';
import { RemoteTiles } from './remote-tiles.ts';
import { type ControlAction, RoomControls } from './room-controls.ts';
import { RoomMedia } from './room-media.ts';
import { PanelHost } from './room-panels.ts';
import { makeMovable, SELF_VIEW_MAX_CSS_WIDTH } from './self-view.ts';
import { shareBox } from './share-box.ts';
import { type ShortcutAction, shortcutFor, shortcutsPanel } from './shortcuts.ts';
import { VerificationNote } from './verification-note.ts';

/**
 * Once connected, noise suppression (which loads a worklet and its wasm, and
 * starts an audio context) waits for the other person's first picture and
 * this long after it, so that our own first frame is on its way to them
 * first: loaded at "connected", it slowed the joiner's first frame to the
 * other side (bench:ui-join -- --trace).
 */
const VOICE_AFTER_FIRST_FRAME_MS = 250;
/** The longest it waits after "connected" for that picture (the other camera may be off). */
const VOICE_LATEST_AFTER_CONNECTED_MS = 1_500;
/** How long a passing notice (a device unplugged, a failed switch) stays on screen. */
const NOTICE_MS = 6_000;
/** Said when "Hide my IP address" asks for a relay this server does not have: the call cannot connect at all. */
const HIDDEN_IP_NEEDS_RELAY = 'This server has no relay, so your IP address cannot be hidden and the call cannot connect. Rejoin with "Hide my IP address" unticked.';

type RoomRoute = Extract<Route, { screen: 'room' }>;

/**
 * The call itself: the other person large (in a group, a grid with a tile
 * per person), ourselves small, the state in words, and the controls. Every
 * way out (hang up, back, closing the tab) ends the call and stops every
 * track this screen holds.
 */
export const showRoom: Screen<RoomRoute> = (root, ctx, { roomId }) => {
  const handoff = ctx.handoff?.roomId === roomId ? ctx.handoff : undefined;
  ctx.handoff = undefined;
  let session: RoomSession | undefined;
  let gone = false;

  if (handoff) {
    // Replaced at once when the certificate is loaded (it is, unless Join came within moments of the page opening).
    root.append(h('section', { class: 'screen' }, h('h1', { tabindex: -1 }, 'Joining…')));
    withBrowserCertificate((certificate) => {
      if (gone) {
        handoff.voice?.stop();
        return stopStream(handoff.stream);
      }
      session = new RoomSession(root, ctx, handoff, certificate);
    });
  } else if (savedInCall(roomId) === undefined) {
    // A copied /call link in a tab that was never in this call: the lobby first (preview, name, and a knock where the host asks for one).
    queueMicrotask(() => !gone && ctx.navigate({ screen: 'lobby', roomId }, { replace: true }));
  } else {
    // A reload of a tab that was in the call: open media here, then straight back in.
    root.append(h('section', { class: 'screen' }, h('h1', { tabindex: -1 }, 'Rejoining…')));
    void Promise.all([openLocalMedia({}, voiceMode(savedVoiceSettings())), browserCertificate()]).then(([media, certificate]) => {
      if (gone) return media.ok && stopStream(media.stream);
      if (!media.ok) return showProblem(root, media.code, [{ label: 'Try again', run: () => ctx.navigate({ screen: 'room', roomId }, { replace: true }) }]);
      session = new RoomSession(
        root,
        ctx,
        {
          roomId,
          name: savedName() || 'Guest',
          stream: media.stream,
          audioOnly: media.missing === 'camera',
          relayOnly: savedHideIp(),
          credentials: { hostKey: savedHostKey(roomId), rejoin: savedInCall(roomId) },
        },
        certificate,
      );
    });
  }
  return () => {
    gone = true;
    session?.end();
  };
};

/** One visit to the room: owns the call and the local media until it ends. */
class RoomSession {
  private readonly call: Call;
  private readonly media: RoomMedia;
  private readonly tiles = new RemoteTiles({
    speakerId: () => this.media.speakerId,
    onAudioBlocked: () => this.offerUnmute(),
    onFirstTile: (video) => this.watchFirstFrame(video),
    onTileView: (peerId, view) => this.call.setTileView(peerId, view),
    onMarkVerified: (peerId) => this.call.markVerified(peerId),
  });
  /** The other person's verification code in a 1:1 call, beside the quality indicator (in a group each tile has its own). */
  private readonly verification = new VerificationNote('call', () => {
    const [peer] = this.call.participants();
    return peer ? this.call.markVerified(peer.id) : false;
  });
  private readonly localVideo = h('video', { class: 'local mirrored', autoplay: true, playsinline: true, tabindex: 0, 'aria-label': 'You. Drag, or use the arrow keys, to move this picture' });
  private readonly banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite' });
  private readonly notice = h('p', { class: 'room-notice', role: 'status', 'aria-live': 'polite', hidden: true });
  private readonly e2eeStatus = new E2eeStatusLine();
  private readonly sharingNote = h('p', { class: 'sharing-note', hidden: true }, 'You are sharing your screen');
  private readonly blurNotice = h('p', { class: 'room-notice blur-notice', role: 'status', hidden: true });
  /** Said while our camera is on but sends no picture (picture-watch.ts). */
  private readonly cameraNotice = h('p', { class: 'room-notice camera-notice', role: 'status', hidden: true });
  private readonly selfView = new OwnPicture(this.localVideo, SELF_VIEW_MAX_CSS_WIDTH, sayWhenSilent(this.cameraNotice));
  /** Where our own reactions float: the corner our picture starts in. */
  private readonly selfReactions = h('div', { class: 'self-reactions' });
  private readonly stage = h('div', { class: 'stage' });
  private readonly controls: RoomControls;
  private readonly panels = new PanelHost();
  private readonly chat: ChatPanel;
  private readonly devices: DevicePanel;
  private readonly quality = new QualityPanel();
  private readonly knockers = new KnockersList((knockId, answer) => this.call.answerKnock(knockId, answer));
  private readonly shortcuts = shortcutsPanel();
  private readonly hands: HandsAndReactions;
  private readonly pip = new PictureInPicture({
    speaker: () => this.tiles.speakerVideo(),
    act: (action: PipAction) => this.act(action, this.controls.button(action)),
    changed: () => this.renderControls(),
  });
  private readonly section: HTMLElement;
  private readonly cleanups: (() => void)[] = [];
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Noise suppression's start, once the call is connected (settleVoiceAfterFirstFrame). */
  private voiceTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the call first connected, and when the first remote picture showed (Date.now()). */
  private connectedAt: number | undefined;
  private firstFrameAt: number | undefined;
  private ended = false;
  /** Joined (the server took us in) at some point in this visit. */
  private inCall = false;
  /** The resume token last saved for a reload of this tab. */
  private savedResumeToken: string | undefined;
  /**
   * The call's state, the people's tiles and the verification code, drawn
   * once before the next frame. A call's start comes as a burst of events
   * (joined, a person, their link's states, their tracks), each in a task of
   * the socket or the connection; drawn in each, they laid the page out again
   * every time and held the offer and the answer back (a traced join spent
   * 40 ms drawing inside the `joined` handler alone).
   */
  private readonly renderSoon = drawBeforeNextFrame(() => this.render());
  /** The people whose tiles the next drawing brings up to date, as last told. */
  private readonly changedPeers = new Map<string, PeerView>();

  constructor(
    private readonly root: HTMLElement,
    private readonly ctx: Parameters<Screen>[1],
    private readonly join: JoinHandoff,
    certificate: RTCCertificate | undefined,
  ) {
    this.call = new Call({
      signalingUrl: signalingUrl(),
      signaling: join.signaling,
      WebSocket,
      // One certificate for every connection, so others see the same key from this browser in every call (see browser-certificate.ts).
      createPeerConnection: (config) => new RTCPeerConnection(certificate ? { ...config, certificates: [certificate] } : config),
      relayOnly: join.relayOnly,
      trustedKeys: browserTrustedKeys(),
      frameWorker: createFrameWorker,
      guardReceivedVideo,
    });
    this.media = new RoomMedia(join.stream, this.call, () => this.tiles.speakerOutputs, savedVoiceSettings(), join.blur ?? new BlurSwitch(), join.voice);
    // Joining first, the rest of the screen built while the server answers: the call's events all come later, from
    // the socket, by when every listener is in place (the state at this moment is drawn after `listen`).
    this.call.join(join.roomId, join.name, { audio: this.media.sentMic ?? null, video: this.media.outgoingCamera ?? null }, join.credentials);
    this.chat = new ChatPanel(this.call, () => this.renderControls());
    this.devices = new DevicePanel(this.media);
    this.controls = new RoomControls((action, button) => this.act(action, button));
    this.hands = new HandsAndReactions(this.call, {
      reactionSpot: (peerId) => (peerId === undefined ? this.selfReactions : this.tiles.tileOf(peerId)),
      showHand: (peerId, raised) => this.tiles.setHand(peerId, raised),
      changed: () => this.renderControls(),
    });
    this.panels.onChange = () => this.renderControls();
    this.localVideo.muted = true;
    // Ourselves as the others see us: blurred while blur runs.
    this.selfView.show(this.media.outgoingCamera);

    this.section = h(
      'section',
      { class: 'screen room', 'data-blur': 'off', 'data-call-state': 'joining', 'data-media-route': 'mesh', 'data-media-route-target': 'mesh' },
      h('h1', { class: 'visually-hidden', tabindex: -1 }, 'Call'),
      this.stage,
      this.banner,
      this.knockers.element,
      this.notice,
      this.blurNotice,
      this.cameraNotice,
      this.e2eeStatus.element,
      this.panels.element,
      this.hands.picker.element,
      this.controls.element,
      this.hands.announcer.element,
    );
    this.stage.append(this.tiles.element, this.tiles.pager, this.quality.indicator, this.verification.element, this.sharingNote, this.hands.list.element, this.localVideo, this.selfReactions);
    root.replaceChildren(this.section);

    this.listen();
    // The stale-frame guard's worker, unless the lobby started it (Join pressed within VOICE_START_DELAY_MS, or a
    // reload): left to the first video receiver, its start held the joiner's offer back, and the waiting side
    // started it and loaded its script between the offer and the first frame (seen in traced joins).
    prepareStaleFrameGuard();
    // Opened without the lobby (a reload): blur as remembered. From the lobby this keeps what already runs.
    void this.media.blur.apply(this.media.camera);
    this.onState(this.call.state);
  }

  /**
   * Leaves the call and releases everything: the single exit every path goes
   * through. Any exit but the hang-up button is a page exit, which leaves the
   * other person waiting in case we come back (a reload).
   */
  end(reason: 'hang-up' | 'page-exit' = 'page-exit'): void {
    if (this.ended) return;
    this.ended = true;
    // Only a page exit (a reload, perhaps) keeps this tab's place in the call, with the freshest token.
    saveInCall(this.join.roomId, reason === 'page-exit' && this.inCall ? this.call.resumeToken : undefined);
    this.call.leave(reason);
    this.panels.close(false);
    void this.pip.close();
    this.selfView.stop();
    this.media.stop();
    this.tiles.clear();
    clearTimeout(this.noticeTimer);
    clearTimeout(this.voiceTimer);
    for (const undo of this.cleanups) undo();
  }

  private listen(): void {
    this.call.on('state', (state) => this.onState(state));
    this.call.on('peer-joined', (peer) => this.onPeerChanged(peer));
    this.call.on('track', ({ peerId, track }) => {
      this.tiles.addTrack(peerId, track);
      this.pip.follow();
    });
    this.call.on('peer-left', ({ peer, reason }) => this.onPeerLeft(peer, reason));
    this.call.on('peer-updated', (peer) => this.onPeerChanged(peer));
    this.call.on('room-lock', () => this.renderControls());
    this.call.on('ask-to-join', () => this.renderControls());
    this.call.on('knockers', ({ knockers, waiting }) => this.knockers.show(knockers, waiting));
    // Test hooks only: where the room's media travels (settled, or moving from → target). The screen itself never depends on it.
    this.call.on('route', (phase) => {
      this.section.dataset.mediaRoute = phase.kind === 'settled' ? phase.route : phase.from;
      this.section.dataset.mediaRouteTarget = phase.kind === 'settled' ? phase.route : phase.to;
    });
    this.call.on('quality', (quality) => this.quality.show(quality));
    this.call.on('e2ee', (protection) => this.e2eeStatus.show(protection));
    this.media.on('change', () => this.renderMedia());
    this.media.on('notice', (text) => this.showNotice(text));
    this.cleanups.push(this.media.blur.on('change', (state) => this.onBlurChange(state)));
    // From the lobby blur may already run (or be too slow there): say so from the start.
    this.onBlurChange(this.media.blur.current);
    const onNetwork = () => this.call.networkChanged();
    const onKey = (event: KeyboardEvent) => this.onKey(event);
    // Where the browser reports network changes (Chromium's Network Information API), react before ICE notices.
    const connection = (navigator as Navigator & { connection?: EventTarget }).connection;
    window.addEventListener('online', onNetwork);
    connection?.addEventListener('change', onNetwork);
    window.addEventListener('keydown', onKey);
    this.cleanups.push(
      () => window.removeEventListener('online', onNetwork),
      () => connection?.removeEventListener('change', onNetwork),
      () => window.removeEventListener('keydown', onKey),
      keepScreenAwake((state) => (this.section.dataset.wakeLock = state)),
      makeMovable(this.localVideo, this.stage),
      this.pip.openWhenHidden(),
    );
    this.quality.indicator.addEventListener('click', () => this.panels.toggle(this.quality, this.quality.indicator));
  }

  /** Autoplay with sound was refused (no user gesture on this page yet): one tap fixes it. */
  private offerUnmute(): void {
    if (this.stage.querySelector('.unmute')) return;
    const button = h('button', { type: 'button', class: 'primary unmute' }, 'Tap to hear the call');
    button.addEventListener('click', () => {
      this.tiles.playAll();
      button.remove();
    });
    this.stage.append(button);
  }

  private onPeerChanged(peer: PeerView): void {
    this.changedPeers.set(peer.id, peer);
    this.renderSoon();
  }

  /** Their tile goes at once. In a group the call goes on, so a passing notice says who went. */
  private onPeerLeft(peer: PeerView, reason: DepartureReason): void {
    this.changedPeers.delete(peer.id);
    this.tiles.remove(peer.id);
    this.renderVerification();
    if (this.tiles.count === 0) return this.quality.show(undefined);
    const name = peer.name || 'Someone';
    this.showNotice(reason === 'lost' ? `${name}'s connection was lost.` : `${name} left the call.`);
  }

  /** In a 1:1 call the one code sits beside the call's status; in a group, each tile shows its person's. */
  private renderVerification(): void {
    const people = this.call.participants();
    this.verification.render(people.length === 1 ? people[0]!.verification : undefined);
  }

  private watchFirstFrame(remoteVideo: HTMLVideoElement): void {
    const mark = () => {
      performance.mark('videoapp:first-remote-frame');
      this.firstFrameAt ??= Date.now();
      this.settleVoiceAfterFirstFrame();
    };
    const video = remoteVideo as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(mark);
    else video.addEventListener('playing', mark, { once: true });
  }

  /**
   * Starts noise suppression VOICE_AFTER_FIRST_FRAME_MS after the first
   * remote picture, and at the latest VOICE_LATEST_AFTER_CONNECTED_MS after
   * the call first connected. Called at "connected" and at the first picture.
   */
  private settleVoiceAfterFirstFrame(): void {
    if (this.ended || this.connectedAt === undefined) return;
    const latest = this.connectedAt + VOICE_LATEST_AFTER_CONNECTED_MS;
    const at = this.firstFrameAt === undefined ? latest : Math.min(latest, this.firstFrameAt + VOICE_AFTER_FIRST_FRAME_MS);
    clearTimeout(this.voiceTimer);
    this.voiceTimer = setTimeout(() => this.media.settleVoice(), Math.max(0, at - Date.now()));
  }

  /** What a new state of the call does at once (its drawing waits for the next frame). */
  private onState(state: CallState): void {
    if (state.kind === 'connected' && this.connectedAt === undefined) {
      this.connectedAt = Date.now();
      this.settleVoiceAfterFirstFrame();
    } else if (state.kind !== 'joining' && state.kind !== 'connecting' && state.kind !== 'connected') this.media.settleVoice();
    // In the call (or on its way back into it): a reload of this tab rejoins without the lobby.
    if (state.kind !== 'joining' && state.kind !== 'ended') {
      this.inCall = true;
      if (this.call.resumeToken !== this.savedResumeToken) saveInCall(this.join.roomId, this.call.resumeToken);
      this.savedResumeToken = this.call.resumeToken;
    }
    if (state.kind === 'ended') return this.showEnded(state);
    this.renderSoon();
  }

  /** Draws the call as it is now: its state, the tiles of the people who changed (a new status said where it matters) and the verification code. */
  private render(): void {
    if (this.ended) return;
    const changedPeers = [...this.changedPeers.values()];
    this.changedPeers.clear();
    for (const peer of changedPeers) {
      const changed = this.tiles.show(peer);
      // In a group the banner speaks for the call as a whole: say in passing who could not be reached, and why.
      if (changed === 'unreachable' && this.tiles.count >= 2) this.showNotice(this.cannotConnect(peer.name || 'Someone', this.call.relayAvailable));
    }
    this.pip.follow();
    this.renderState(this.call.state);
    this.renderVerification();
  }

  private renderState(state: CallState): void {
    this.section.dataset.callState = state.kind;
    const serverLost = (state.kind === 'connected' && state.serverLost) || (state.kind === 'reconnecting' && state.who === 'us');
    this.section.dataset.serverLink = serverLost ? 'lost' : 'ok';
    this.renderControls();
    const text = this.describe(state);
    this.stage.classList.toggle('has-remote', state.kind === 'connected' || state.kind === 'reconnecting');
    // A frozen last frame must not pass for a live call: dim it while recovering, hide it once the peer is lost.
    this.stage.classList.toggle('stale', state.kind === 'reconnecting' && !state.lost);
    this.stage.classList.toggle('remote-lost', state.kind === 'reconnecting' && state.lost);
    if (state.kind !== 'connected') this.quality.show(undefined);
    if (state.kind === 'ended') return;
    replaceChildren(this.banner, text, state.kind === 'waiting' || state.kind === 'peer-left' ? shareBox(this.join.roomId) : null);
    this.banner.hidden = text === '';
  }

  private describe(state: CallState): string {
    const name =
      (state.kind === 'connecting' || state.kind === 'connected' || state.kind === 'reconnecting' || state.kind === 'unreachable') && state.peer?.name ? state.peer.name : 'The other person';
    switch (state.kind) {
      case 'joining':
        return state.offline ? 'Cannot reach the server. Retrying…' : 'Joining…';
      case 'waiting':
        return 'Waiting for the other person to join.';
      case 'connecting':
        if (this.join.relayOnly && !this.call.relayAvailable) return HIDDEN_IP_NEEDS_RELAY;
        return `Connecting to ${name}…`;
      case 'unreachable':
        return this.cannotConnect(name, state.relayAvailable);
      case 'connected': {
        // In a group each tile says whose camera is off.
        const cameraOff = this.tiles.count < 2 && state.peer.media && !state.peer.media.video ? `${name} turned the camera off. ` : '';
        return cameraOff + (state.serverLost ? 'Reconnecting to the server; your call goes on.' : '');
      }
      case 'reconnecting':
        if (state.who === 'us') return 'Connection lost. Reconnecting…';
        return state.lost ? `${name}'s connection was lost. Waiting for them to come back…` : `Connection to ${name} interrupted. Reconnecting…`;
      case 'peer-left':
        return state.reason === 'left' ? `${state.name || 'The other person'} left the call.` : `${state.name || 'The other person'}'s connection was lost.`;
      case 'ended':
        return '';
    }
  }

  /** Why media with `name` never flowed, as far as we can tell, and what the person can do about it. */
  private cannotConnect(name: string, relayAvailable: boolean): string {
    if (relayAvailable) return `Could not connect to ${name}. Their network or yours may block calls; try another network.`;
    if (this.join.relayOnly) return HIDDEN_IP_NEEDS_RELAY;
    return `Could not connect to ${name}. This server has no relay (TURN) configured, so calls only connect on the same network. Ask whoever runs it to add one.`;
  }

  private showEnded({ reason, by }: Extract<CallState, { kind: 'ended' }>): void {
    this.end('hang-up');
    if (reason !== 'hung-up' && reason !== 'peer-hung-up') {
      const home = { label: 'Start a new call', run: () => this.ctx.navigate({ screen: 'home' }) };
      const lobby = { label: 'Try again', run: () => this.ctx.navigate({ screen: 'lobby', roomId: this.join.roomId }) };
      const backToLobby = reason === 'wrong-passcode' || reason === 'room-locked' || reason === 'knock-required';
      showProblem(this.root, reason, backToLobby ? [reason === 'knock-required' ? { ...lobby, label: 'Ask to join' } : lobby, home] : [home]);
      return;
    }
    this.root.replaceChildren(
      h(
        'section',
        { class: 'screen ended', 'data-call-state': 'ended', 'data-end-reason': reason },
        h('h1', { tabindex: -1 }, reason === 'peer-hung-up' ? `${by || 'The other person'} ended the call` : 'You left the call'),
        h(
          'div',
          { class: 'actions' },
          h('button', { class: 'primary', type: 'button', onclick: () => this.ctx.navigate({ screen: 'lobby', roomId: this.join.roomId }) }, 'Rejoin'),
          h('button', { type: 'button', onclick: () => this.ctx.navigate({ screen: 'home' }) }, 'Home'),
        ),
      ),
    );
    (this.root.querySelector('h1') as HTMLElement | null)?.focus();
  }

  private act(action: ControlAction, button: HTMLButtonElement): void {
    switch (action) {
      case 'mic':
        return this.media.toggleMic();
      case 'camera':
        return void this.media.toggleCamera();
      case 'switch-camera':
        return void this.media.switchCamera();
      case 'share':
        return void (this.media.share.state.kind === 'off' ? this.media.startShare() : this.media.share.stop());
      case 'chat':
        return this.panels.toggle(this.chat, button);
      case 'devices':
        return this.panels.toggle(this.devices, button);
      case 'help':
        return this.panels.toggle(this.shortcuts, button);
      case 'copy-link':
        return void navigator.clipboard?.writeText(`${location.origin}/r/${this.join.roomId}`).then(
          () => this.showNotice('Link copied'),
          () => this.showNotice('Could not copy the link'),
        );
      case 'lock':
        return this.call.lock(!this.call.locked);
      case 'blur':
        return void this.media.toggleBlur();
      case 'hand':
        return this.hands.toggleOwnHand();
      case 'react':
        return this.hands.picker.toggle();
      case 'pip':
        return void this.pip.toggle();
      case 'ask-to-join':
        return this.call.setAskToJoin(!this.call.asksToJoin);
      case 'hang-up':
        return this.end('hang-up');
    }
  }

  /** Background blur's trouble is said in words, with a way out when the device cannot keep up. */
  private onBlurChange(state: BlurState): void {
    this.section.dataset.blur = state.kind;
    // For whoever debugs a failure: what went wrong, in the developer's terms.
    if (state.kind === 'failed') this.section.dataset.blurReason = state.reason;
    else delete this.section.dataset.blurReason;
    if (state.kind === 'too-slow') {
      this.blurNotice.hidden = false;
      replaceChildren(
        this.blurNotice,
        describeBlur(state),
        ' ',
        h('button', { type: 'button', class: 'blur-off', onclick: () => void this.media.blur.choose(false, this.media.camera) }, 'Turn off blur'),
      );
    } else {
      this.blurNotice.hidden = true;
      if (state.kind === 'failed') this.showNotice(describeBlur(state));
    }
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key === 'Escape') return this.panels.close();
    const action: ShortcutAction | undefined = shortcutFor(event);
    if (!action) return;
    event.preventDefault();
    if (action === 'share' && this.controls.button('share').hidden) return;
    this.act(action, this.controls.button(action));
  }

  private renderMedia(): void {
    if (this.ended) return;
    this.selfView.show(this.media.outgoingCamera);
    this.localVideo.classList.toggle('mirrored', this.media.mirrored);
    const sharing = this.media.share.state.kind === 'on';
    this.sharingNote.hidden = !sharing;
    this.section.dataset.sharing = String(sharing);
    this.devices.render();
    this.renderControls();
  }

  private renderControls(): void {
    const mic = this.media.mic;
    this.controls.render({
      hasMic: Boolean(mic),
      micOn: Boolean(mic?.enabled),
      cameraOn: this.media.camera?.readyState === 'live',
      cameraCount: this.media.cameras.length,
      blur: this.media.blur.isWanted,
      canShare: this.media.share.supported,
      sharing: this.media.share.state.kind !== 'off',
      unread: this.chat.unread,
      openPanel: (['chat', 'devices', 'quality', 'shortcuts'] as const).find((id) => this.panels.isOpen(id)),
      host: this.call.isHost,
      locked: this.call.locked,
      handRaised: this.hands.ownHandRaised,
      reacting: this.hands.picker.open,
      pip: this.pip.kind === 'none' ? 'unavailable' : this.pip.open ? 'on' : 'off',
      hasRemote: this.tiles.count > 0,
      askToJoin: this.call.asksToJoin,
    });
    this.pip.render({ micOn: Boolean(mic?.enabled), cameraOn: this.media.camera?.readyState === 'live' });
  }

  private showNotice(text: string): void {
    this.notice.textContent = text;
    this.notice.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (this.notice.hidden = true), NOTICE_MS);
  }
}
