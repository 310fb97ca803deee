import { Call, stopStream, type CallState } from '@videoapp/client';
import type { Route } from '../routes.ts';
import { savedHideIp, savedHostKey, savedName, type JoinHandoff, type Screen } from '../app-context.ts';
import { h, replaceChildren } from '../dom.ts';
import { openCamera, openLocalMedia } from '../local-media.ts';
import { describeProblem } from '../problems.ts';
import { showProblem } from './problem.ts';
import { shareBox } from './share-box.ts';

type RoomRoute = Extract<Route, { screen: 'room' }>;

/**
 * The call itself: the other person large, ourselves small, the state in
 * words, and the controls. Every way out (hang up, back, closing the tab)
 * ends the call and stops every track this screen holds.
 */
export const showRoom: Screen<RoomRoute> = (root, ctx, { roomId }) => {
  const handoff = ctx.handoff?.roomId === roomId ? ctx.handoff : undefined;
  ctx.handoff = undefined;
  let session: RoomSession | undefined;
  let gone = false;

  if (handoff) session = new RoomSession(root, ctx, handoff);
  else {
    // Opened directly (a reload, or a shared /call link): open media here, then join.
    root.append(h('section', { class: 'screen' }, h('h1', { tabindex: -1 }, 'Rejoining…')));
    void openLocalMedia().then((media) => {
      if (gone) return media.ok && stopStream(media.stream);
      if (!media.ok) return showProblem(root, media.code, [{ label: 'Try again', run: () => ctx.navigate({ screen: 'room', roomId }, { replace: true }) }]);
      session = new RoomSession(root, ctx, { roomId, name: savedName() || 'Guest', stream: media.stream, audioOnly: media.missing === 'camera', relayOnly: savedHideIp(), credentials: { hostKey: savedHostKey(roomId) } });
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
  private readonly remoteStream = new MediaStream();
  private readonly remoteVideo = h('video', { class: 'remote', autoplay: true, playsinline: true, 'aria-label': 'The other person' });
  private readonly remoteAudio = h('audio', { autoplay: true });
  private readonly localVideo = h('video', { class: 'local mirrored', autoplay: true, playsinline: true, 'aria-label': 'You' });
  private readonly banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite' });
  private readonly stage = h('div', { class: 'stage' });
  private readonly micButton = h('button', { type: 'button', class: 'control', 'aria-pressed': 'false', 'aria-keyshortcuts': 'M' });
  private readonly cameraButton = h('button', { type: 'button', class: 'control', 'aria-pressed': 'false', 'aria-keyshortcuts': 'V' });
  /** Shown only to the room's creator, once the server has confirmed it. */
  private readonly lockButton = h('button', { type: 'button', class: 'control', 'aria-pressed': 'false', hidden: true });
  private readonly section: HTMLElement;
  private readonly cleanups: (() => void)[] = [];
  private stream: MediaStream;
  private ended = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly ctx: Parameters<Screen>[1],
    private readonly join: JoinHandoff,
  ) {
    this.stream = join.stream;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.call = new Call({
      signalingUrl: `${scheme}://${location.host}/ws`,
      WebSocket,
      createPeerConnection: (config) => new RTCPeerConnection(config),
      relayOnly: join.relayOnly,
    });
    this.remoteVideo.muted = true; // sound plays through the audio element, so the video may always autoplay
    this.localVideo.muted = true;
    this.localVideo.srcObject = this.stream;
    this.remoteAudio.srcObject = new MediaStream();

    this.section = h(
      'section',
      { class: 'screen room', 'data-call-state': 'joining' },
      h('h1', { class: 'visually-hidden', tabindex: -1 }, 'Call'),
      this.stage,
      this.banner,
      this.controls(),
    );
    this.stage.append(this.remoteVideo, this.remoteAudio, this.localVideo);
    root.replaceChildren(this.section);

    this.watchFirstFrame();
    this.listen();
    this.call.join(join.roomId, join.name, { audio: this.track('audio') ?? null, video: this.track('video') ?? null }, join.credentials);
    this.renderControls();
  }

  /**
   * Leaves the call and releases everything: the single exit every path goes
   * through. Any exit but the hang-up button is a page exit, which leaves the
   * other person waiting in case we come back (a reload).
   */
  end(reason: 'hang-up' | 'page-exit' = 'page-exit'): void {
    if (this.ended) return;
    this.ended = true;
    this.call.leave(reason);
    stopStream(this.stream);
    this.remoteVideo.srcObject = null;
    this.remoteAudio.srcObject = null;
    for (const undo of this.cleanups) undo();
  }

  private track(kind: 'audio' | 'video'): MediaStreamTrack | undefined {
    return kind === 'audio' ? this.stream.getAudioTracks()[0] : this.stream.getVideoTracks()[0];
  }

  private listen(): void {
    this.call.on('state', (state) => this.renderState(state));
    this.call.on('track', ({ track }) => this.addRemoteTrack(track));
    this.call.on('peer-left', () => this.clearRemote());
    this.call.on('peer-updated', () => this.renderState(this.call.state));
    this.call.on('room-lock', () => this.renderLock());
    const onNetwork = () => this.call.networkChanged();
    const onKey = (event: KeyboardEvent) => this.onShortcut(event);
    // Where the browser reports network changes (Chromium's Network Information API), react before ICE notices.
    const connection = (navigator as Navigator & { connection?: EventTarget }).connection;
    window.addEventListener('online', onNetwork);
    connection?.addEventListener('change', onNetwork);
    window.addEventListener('keydown', onKey);
    this.cleanups.push(() => {
      window.removeEventListener('online', onNetwork);
      connection?.removeEventListener('change', onNetwork);
      window.removeEventListener('keydown', onKey);
    });
  }

  /** Remote media plays the moment it arrives: the elements are live before any track exists. */
  private addRemoteTrack(track: MediaStreamTrack): void {
    if (track.kind === 'video') {
      for (const old of this.remoteStream.getVideoTracks()) this.remoteStream.removeTrack(old);
      this.remoteStream.addTrack(track);
      if (this.remoteVideo.srcObject !== this.remoteStream) this.remoteVideo.srcObject = this.remoteStream;
      void this.remoteVideo.play().catch(() => {});
    } else {
      const audioStream = this.remoteAudio.srcObject as MediaStream;
      for (const old of audioStream.getAudioTracks()) audioStream.removeTrack(old);
      audioStream.addTrack(track);
      void this.remoteAudio.play().catch(() => this.offerUnmute());
    }
  }

  /** Autoplay with sound was refused (no user gesture on this page yet): one tap fixes it. */
  private offerUnmute(): void {
    const button = h('button', { type: 'button', class: 'primary unmute' }, 'Tap to hear the call');
    button.addEventListener('click', () => {
      void this.remoteAudio.play();
      button.remove();
    });
    this.stage.append(button);
  }

  /** Never leave a frozen last frame on screen for someone who is gone. */
  private clearRemote(): void {
    for (const track of this.remoteStream.getTracks()) this.remoteStream.removeTrack(track);
    this.remoteVideo.srcObject = null;
    (this.remoteAudio.srcObject as MediaStream | null)?.getTracks().forEach((t) => (this.remoteAudio.srcObject as MediaStream).removeTrack(t));
  }

  private watchFirstFrame(): void {
    const mark = () => performance.mark('videoapp:first-remote-frame');
    const video = this.remoteVideo as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(mark);
    else video.addEventListener('playing', mark, { once: true });
  }

  private renderState(state: CallState): void {
    this.section.dataset.callState = state.kind;
    const serverLost = (state.kind === 'connected' && state.serverLost) || (state.kind === 'reconnecting' && state.who === 'us');
    this.section.dataset.serverLink = serverLost ? 'lost' : 'ok';
    this.renderLock();
    const text = this.describe(state);
    this.stage.classList.toggle('has-remote', state.kind === 'connected' || state.kind === 'reconnecting');
    // A frozen last frame must not pass for a live call: dim it while recovering, hide it once the peer is lost.
    this.stage.classList.toggle('stale', state.kind === 'reconnecting' && !state.lost);
    this.stage.classList.toggle('remote-lost', state.kind === 'reconnecting' && state.lost);
    if (state.kind === 'ended') return this.showEnded(state);
    replaceChildren(this.banner, text, state.kind === 'waiting' || state.kind === 'peer-left' ? shareBox(this.join.roomId) : null);
    this.banner.hidden = text === '';
  }

  private describe(state: CallState): string {
    const name = (state.kind === 'connecting' || state.kind === 'connected' || state.kind === 'reconnecting') && state.peer?.name ? state.peer.name : 'The other person';
    switch (state.kind) {
      case 'joining':
        return state.offline ? 'Cannot reach the server. Retrying…' : 'Joining…';
      case 'waiting':
        return 'Waiting for the other person to join.';
      case 'connecting':
        if (this.join.relayOnly && !this.call.relayAvailable) return 'This server has no relay, so your IP address cannot be hidden and the call cannot connect. Rejoin with "Hide my IP address" unticked.';
        return `Connecting to ${name}…`;
      case 'connected': {
        const cameraOff = state.peer.media && !state.peer.media.video ? `${name} turned the camera off. ` : '';
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

  private showEnded({ reason, by }: Extract<CallState, { kind: 'ended' }>): void {
    this.end('hang-up');
    if (reason !== 'hung-up' && reason !== 'peer-hung-up') {
      const home = { label: 'Start a new call', run: () => this.ctx.navigate({ screen: 'home' }) };
      const lobby = { label: 'Try again', run: () => this.ctx.navigate({ screen: 'lobby', roomId: this.join.roomId }) };
      showProblem(this.root, reason, reason === 'wrong-passcode' || reason === 'room-locked' ? [lobby, home] : [home]);
      return;
    }
    this.root.replaceChildren(
      h(
        'section',
        { class: 'screen ended', 'data-call-state': 'ended', 'data-end-reason': reason },
        h('h1', { tabindex: -1 }, reason === 'peer-hung-up' ? `${by || 'The other person'} ended the call` : 'You left the call'),
        h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'button', onclick: () => this.ctx.navigate({ screen: 'lobby', roomId: this.join.roomId }) }, 'Rejoin'), h('button', { type: 'button', onclick: () => this.ctx.navigate({ screen: 'home' }) }, 'Home')),
      ),
    );
    (this.root.querySelector('h1') as HTMLElement | null)?.focus();
  }

  private controls(): HTMLElement {
    this.micButton.addEventListener('click', () => this.toggleMic());
    this.cameraButton.addEventListener('click', () => void this.toggleCamera());
    const hangUp = h('button', { type: 'button', class: 'control hang-up', 'aria-label': 'Hang up', 'aria-keyshortcuts': 'Shift+H' }, 'Hang up');
    hangUp.addEventListener('click', () => this.end('hang-up'));
    const copy = h('button', { type: 'button', class: 'control', 'aria-label': 'Copy the call link' }, 'Copy link');
    copy.addEventListener('click', () => void navigator.clipboard?.writeText(`${location.origin}/r/${this.join.roomId}`).then(() => (copy.textContent = 'Copied'), () => {}));
    this.lockButton.addEventListener('click', () => this.call.lock(!this.call.locked));
    return h('nav', { class: 'controls', 'aria-label': 'Call controls' }, this.micButton, this.cameraButton, copy, this.lockButton, hangUp);
  }

  private renderControls(): void {
    const mic = this.track('audio');
    const micOn = Boolean(mic?.enabled);
    this.micButton.textContent = micOn ? 'Mute' : 'Unmute';
    this.micButton.setAttribute('aria-label', micOn ? 'Turn microphone off' : 'Turn microphone on');
    this.micButton.setAttribute('aria-pressed', String(!micOn));
    this.micButton.disabled = !mic;
    const cameraOn = this.track('video')?.readyState === 'live';
    this.cameraButton.textContent = cameraOn ? 'Camera off' : 'Camera on';
    this.cameraButton.setAttribute('aria-label', cameraOn ? 'Turn camera off' : 'Turn camera on');
    this.cameraButton.setAttribute('aria-pressed', String(!cameraOn));
  }

  private renderLock(): void {
    const locked = this.call.locked;
    this.lockButton.hidden = !this.call.isHost;
    this.lockButton.textContent = locked ? 'Unlock room' : 'Lock room';
    this.lockButton.setAttribute('aria-label', locked ? 'Unlock the room: let new people join' : 'Lock the room: nobody new can join');
    this.lockButton.setAttribute('aria-pressed', String(locked));
  }

  private toggleMic(): void {
    const mic = this.track('audio');
    if (!mic) return;
    mic.enabled = !mic.enabled;
    this.call.announceMedia();
    this.renderControls();
  }

  /** Camera off stops the track (the camera light goes out); on opens it again. Neither renegotiates. */
  private async toggleCamera(): Promise<void> {
    const current = this.track('video');
    if (current) {
      current.stop();
      this.stream.removeTrack(current);
      await this.call.setLocalTrack('video', null);
    } else {
      const track = await openCamera();
      if (!track) return replaceChildren(this.banner, describeProblem('device-busy').title);
      if (this.ended) return track.stop();
      this.stream.addTrack(track);
      await this.call.setLocalTrack('video', track);
    }
    this.localVideo.srcObject = this.stream;
    this.renderControls();
  }

  private onShortcut(event: KeyboardEvent): void {
    const target = event.target as HTMLElement | null;
    if (event.ctrlKey || event.metaKey || event.altKey || target?.closest('input, textarea, select')) return;
    if (event.key === 'm' || event.key === 'M') this.toggleMic();
    else if (event.key === 'v' || event.key === 'V') void this.toggleCamera();
    else if (event.key === 'H' && event.shiftKey) this.end('hang-up');
  }
}
