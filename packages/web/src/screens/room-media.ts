import { type Call, Emitter, ScreenShare, stopStream } from '@videoapp/client';
import type { BlurSwitch } from '../blur/blur-switch.ts';
import { canShareScreen, listDevices, openCamera, openMicrophone } from '../local-media.ts';
import { SentVoice } from '../voice/sent-voice.ts';
import { saveVoiceSettings, type VoiceSettings, voiceMode } from '../voice/voice-settings.ts';

interface RoomMediaEvents extends Record<string, unknown> {
  /** Tracks, devices or sharing changed: redraw. */
  change: undefined;
  /** Something went wrong that the person should hear about, in words. */
  notice: string;
}

/**
 * Our own media during a call: the camera and microphone tracks, which
 * devices they come from, the speaker, screen sharing, and how our voice is
 * treated (noise suppression, music mode). Every change of track reaches the
 * call by replacing the sent track (no renegotiation).
 */
export class RoomMedia extends Emitter<RoomMediaEvents> {
  readonly share: ScreenShare;
  cameras: MediaDeviceInfo[] = [];
  microphones: MediaDeviceInfo[] = [];
  speakers: MediaDeviceInfo[] = [];
  speakerId = '';
  /** Set while a camera or microphone is being swapped, so a second press waits rather than races. */
  private busy = false;
  private stopped = false;
  private voiceSettled = false;
  /** The camera to reopen when the camera is turned back on. */
  private lastCameraId: string | undefined;
  private readonly onDeviceChange = () => void this.refreshDevices().then(() => this.recoverVanished());
  /** The voice we send: the microphone in `stream`, or that microphone cleaned by RNNoise. */
  readonly voice: SentVoice;

  /** `voice`: the lobby's, already set up on the microphone in `stream` (see lobby.ts); without it the room starts its own. */
  constructor(
    readonly stream: MediaStream,
    private readonly call: Call,
    private readonly speakerOutputs: () => HTMLMediaElement[],
    private voiceSettings: VoiceSettings,
    readonly blur: BlurSwitch,
    voice = new SentVoice(),
  ) {
    super();
    this.voice = voice;
    this.voice.sendTo((track) => this.sendVoice(track));
    // The lobby's voice goes on as it is. Otherwise the microphone goes out as it is until the call has settled
    // (settleVoice): loading RNNoise while the call starts held its first frame back.
    if (this.voice.state.kind === 'off') void this.voice.use(this.mic, false);
    this.share = new ScreenShare({
      getDisplayMedia: canShareScreen() ? (options) => navigator.mediaDevices.getDisplayMedia(options) : undefined,
      isSecureContext: window.isSecureContext,
      send: (track) => this.call.setLocalTrack('video', track),
      camera: () => this.outgoingCamera ?? null,
    });
    this.share.on('state', () => this.emit('change', undefined));
    // Blur ready, stopped or failed: the track on the wire changes with it (replaceTrack, no renegotiation).
    blur.on('change', () => {
      if (this.stopped) return;
      if (!this.share.track) void this.call.setLocalTrack('video', this.outgoingCamera ?? null);
      this.emit('change', undefined);
    });
    for (const track of stream.getTracks()) this.watchTrack(track);
    navigator.mediaDevices?.addEventListener?.('devicechange', this.onDeviceChange);
    void this.refreshDevices();
  }

  /**
   * The call is connected, or there is nobody to connect to yet: noise
   * suppression starts now if it is wanted and the lobby had not started it.
   * Once only: a suppressor that could not start is retried by the switch, not by every change of state.
   */
  settleVoice(): void {
    if (this.voiceSettled || this.stopped) return;
    this.voiceSettled = true;
    void this.voice.use(this.mic, voiceMode(this.voiceSettings) === 'suppress-noise');
  }

  get mic(): MediaStreamTrack | undefined {
    return this.stream.getAudioTracks()[0];
  }

  /** What goes out for our voice (the microphone itself is `mic`, which the pickers and the level meter show). */
  get sentMic(): MediaStreamTrack | undefined {
    return this.voice.track ?? undefined;
  }

  get settings(): VoiceSettings {
    return this.voiceSettings;
  }

  get camera(): MediaStreamTrack | undefined {
    return this.stream.getVideoTracks()[0];
  }

  /** What we send as our camera: its blurred version while background blur runs. */
  get outgoingCamera(): MediaStreamTrack | undefined {
    return this.blur.outgoing(this.camera);
  }

  /** Starts background blur, or stops it; remembered for next time. */
  toggleBlur(): Promise<void> {
    return this.blur.choose(!this.blur.isWanted, this.camera);
  }

  /** The front camera is shown mirrored, like a mirror; a back camera (or a screen) is not. */
  get mirrored(): boolean {
    return this.camera?.getSettings().facingMode !== 'environment';
  }

  toggleMic(): void {
    const mic = this.mic;
    if (!mic) return;
    this.voice.setEnabled(!mic.enabled);
    this.call.announceMedia();
    this.emit('change', undefined);
  }

  /** Camera off stops the track (the camera light goes out); on opens it again. */
  async toggleCamera(): Promise<void> {
    const current = this.camera;
    if (current) {
      this.lastCameraId = current.getSettings().deviceId;
      this.dropTrack(current);
      await this.sendCamera();
    } else {
      await this.useCamera(this.cameras.some((d) => d.deviceId === this.lastCameraId) ? this.lastCameraId : undefined);
    }
  }

  /** Moves to the next camera (front ↔ back on a phone). */
  async switchCamera(): Promise<void> {
    if (this.cameras.length < 2) return;
    const currentId = this.camera?.getSettings().deviceId;
    const index = this.cameras.findIndex((d) => d.deviceId === currentId);
    await this.useCamera(this.cameras[(index + 1) % this.cameras.length]!.deviceId);
  }

  /**
   * Opens `deviceId` as the camera. The old camera is released first: many
   * phones cannot run two cameras at once. If the new one will not open, the
   * old one comes back.
   */
  async useCamera(deviceId: string | undefined): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const previous = this.camera;
      const previousId = previous?.getSettings().deviceId;
      if (previous) this.dropTrack(previous);
      let next = await openCamera(deviceId);
      if (!next && previousId && previousId !== deviceId) {
        this.emit('notice', 'That camera could not be opened; going back to the previous one.');
        next = await openCamera(previousId);
      }
      if (this.stopped) return next?.stop();
      if (next) this.addTrack(next);
      else this.emit('notice', 'The camera could not be opened. Another app may be using it.');
      await this.sendCamera();
    } finally {
      this.busy = false;
    }
  }

  /** Opens `deviceId` as the microphone, keeping it muted if it was. */
  async useMicrophone(deviceId: string | undefined): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const previous = this.mic;
      const mode = voiceMode(this.voiceSettings);
      const next = await openMicrophone(deviceId, mode);
      if (this.stopped) return next?.stop();
      if (!next) return this.emit('notice', 'That microphone could not be opened.');
      next.enabled = previous?.enabled ?? true;
      if (previous) this.dropTrack(previous);
      this.addTrack(next);
      await this.voice.use(next, mode === 'suppress-noise');
    } finally {
      this.busy = false;
    }
  }

  /** Noise suppression on or off: the same microphone, sent cleaned or as it is. */
  async setNoiseSuppression(on: boolean): Promise<void> {
    this.voiceSettings = { ...this.voiceSettings, noiseSuppression: on };
    saveVoiceSettings(this.voiceSettings);
    this.emit('change', undefined);
    await this.voice.use(this.mic, voiceMode(this.voiceSettings) === 'suppress-noise');
  }

  /**
   * Music mode on or off. The browser applies echo cancellation and auto
   * gain when it opens the microphone, so the microphone is opened again
   * with the new settings (the same device).
   */
  async setMusicMode(on: boolean): Promise<void> {
    this.voiceSettings = { ...this.voiceSettings, musicMode: on };
    saveVoiceSettings(this.voiceSettings);
    this.emit('change', undefined);
    await this.useMicrophone(this.mic?.getSettings().deviceId);
  }

  async useSpeaker(deviceId: string): Promise<void> {
    type Sinkable = HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };
    try {
      await Promise.all(this.speakerOutputs().map((el) => (el as Sinkable).setSinkId?.(deviceId)));
      this.speakerId = deviceId;
    } catch {
      this.emit('notice', 'Sound cannot be sent to that device.');
    }
    this.emit('change', undefined);
  }

  async startShare(): Promise<void> {
    const outcome = await this.share.start();
    if (!outcome.ok && outcome.code !== 'cancelled') this.emit('notice', 'Your screen could not be shared.');
  }

  async refreshDevices(): Promise<void> {
    const [cameras, microphones, speakers] = await Promise.all([listDevices('videoinput'), listDevices('audioinput'), listDevices('audiooutput')]);
    this.cameras = cameras;
    this.microphones = microphones;
    this.speakers = speakers;
    this.emit('change', undefined);
  }

  /** Releases every track and listener. */
  stop(): void {
    this.stopped = true;
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.onDeviceChange);
    this.share.dispose();
    this.blur.stop();
    this.voice.stop();
    stopStream(this.stream);
    this.removeAllListeners();
  }

  private sendVoice(track: MediaStreamTrack | null): void {
    if (this.stopped) return;
    void this.call.setLocalTrack('audio', track);
    this.emit('change', undefined);
  }

  /** While sharing, the screen stays on the wire; the camera goes out again when sharing stops. */
  private async sendCamera(): Promise<void> {
    this.emit('change', undefined);
    // A new camera is blurred before it is sent, so its background never goes out.
    await this.blur.apply(this.camera);
    if (this.stopped || this.share.track) return;
    await this.call.setLocalTrack('video', this.outgoingCamera ?? null);
  }

  private addTrack(track: MediaStreamTrack): void {
    this.stream.addTrack(track);
    this.watchTrack(track);
  }

  private dropTrack(track: MediaStreamTrack): void {
    track.stop();
    this.stream.removeTrack(track);
  }

  /**
   * `ended` fires only when the browser ends a track (device unplugged or
   * taken away), never for our own stop(): fall back to another device.
   */
  private watchTrack(track: MediaStreamTrack): void {
    track.addEventListener('ended', () => {
      if (this.stopped || !this.stream.getTracks().includes(track)) return;
      if (track.kind === 'video') {
        this.emit('notice', 'The camera was disconnected. Switching to another one.');
        this.stream.removeTrack(track);
        void this.useCamera(undefined);
      } else {
        // The ended track stays until its replacement opens, which inherits its mute state.
        this.emit('notice', 'The microphone was disconnected. Switching to another one.');
        void this.useMicrophone(undefined);
      }
    });
  }

  /** After a devicechange: a device in use that is no longer listed is gone, even if its track has not ended yet. */
  private async recoverVanished(): Promise<void> {
    const listed = (list: MediaDeviceInfo[], track: MediaStreamTrack | undefined) => !track || list.length === 0 || list.some((d) => d.deviceId === track.getSettings().deviceId);
    if (!listed(this.cameras, this.camera)) await this.useCamera(undefined);
    if (!listed(this.microphones, this.mic)) await this.useMicrophone(undefined);
  }
}
