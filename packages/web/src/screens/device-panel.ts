import { h } from '../dom.ts';
import { canChooseSpeaker, meterLevel } from '../local-media.ts';
import type { RoomMedia } from './room-media.ts';
import type { RoomPanel } from './room-panels.ts';
import { type VoiceSwitches, voiceSwitches } from './voice-switches.ts';

/**
 * Choosing camera, microphone and speaker during the call, with a live level
 * meter for the microphone while the panel is open, and the voice switches
 * (noise suppression, music mode). The lists follow devices being plugged in
 * and out.
 */
export class DevicePanel implements RoomPanel {
  readonly id = 'devices';
  readonly title = 'Devices';
  private readonly camera = h('select', { id: 'room-camera', name: 'camera' });
  private readonly microphone = h('select', { id: 'room-microphone', name: 'microphone' });
  private readonly speaker = h('select', { id: 'room-speaker', name: 'speaker' });
  private readonly speakerRow: HTMLElement;
  private readonly meter = h('meter', { class: 'mic-level', min: 0, max: 1, value: 0, 'aria-label': 'Microphone level' });
  private readonly voice: VoiceSwitches;
  readonly body: HTMLElement;
  readonly focusTarget = this.camera;
  private stopMeter: (() => void) | undefined;
  private meteredTrack: MediaStreamTrack | undefined;

  constructor(private readonly media: RoomMedia) {
    this.camera.addEventListener('change', () => void media.useCamera(this.camera.value));
    this.microphone.addEventListener('change', () => void media.useMicrophone(this.microphone.value));
    this.speaker.addEventListener('change', () => void media.useSpeaker(this.speaker.value));
    this.speakerRow = h('div', { class: 'picker' }, h('label', { for: 'room-speaker' }, 'Speaker'), this.speaker);
    this.voice = voiceSwitches(
      'room',
      (on) => void media.setNoiseSuppression(on),
      (on) => void media.setMusicMode(on),
    );
    this.body = h(
      'div',
      { class: 'panel-body pickers' },
      h('div', { class: 'picker' }, h('label', { for: 'room-camera' }, 'Camera'), this.camera),
      h('div', { class: 'picker' }, h('label', { for: 'room-microphone' }, 'Microphone'), this.microphone, this.meter),
      this.speakerRow,
      this.voice.element,
    );
    this.render();
  }

  opened(): void {
    this.render();
  }

  closed(): void {
    this.stopMeter?.();
    this.stopMeter = this.meteredTrack = undefined;
  }

  /** Refreshes the lists and the meter's source; called on every media change. */
  render(): void {
    const { media } = this;
    fill(this.camera, media.cameras, media.camera?.getSettings().deviceId, 'Camera', media.camera ? undefined : 'Camera off');
    fill(this.microphone, media.microphones, media.mic?.getSettings().deviceId, 'Microphone');
    this.speakerRow.hidden = !canChooseSpeaker() || media.speakers.length === 0;
    fill(this.speaker, media.speakers, media.speakerId || media.speakers[0]?.deviceId, 'Speaker');
    this.voice.render(media.settings, media.voice.state);
    if (!this.body.isConnected || this.meteredTrack === media.mic) return;
    this.stopMeter?.();
    this.meteredTrack = media.mic;
    this.stopMeter = media.mic ? meterLevel(media.mic, (level) => (this.meter.value = level)) : undefined;
  }
}

/** Replaces a select's options in place, so a re-render keeps focus on it. */
function fill(select: HTMLSelectElement, devices: MediaDeviceInfo[], selected: string | undefined, noun: string, placeholder?: string): void {
  const options = devices.map((d, i) => h('option', { value: d.deviceId }, d.label || `${noun} ${i + 1}`));
  if (placeholder) options.unshift(h('option', { value: '', disabled: true }, placeholder));
  select.replaceChildren(...options);
  select.value = placeholder ? '' : (selected ?? '');
  select.disabled = devices.length === 0;
}
