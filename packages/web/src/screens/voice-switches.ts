import { h } from '../dom.ts';
import type { SuppressionState } from '../voice/sent-voice.ts';
import type { VoiceSettings } from '../voice/voice-settings.ts';

/** The two switches for our voice, as drawn in the lobby and in the call's device panel. */
export interface VoiceSwitches {
  readonly element: HTMLElement;
  /** Shows `settings`, and in the call what the suppressor is doing (`state`), in words. */
  render(settings: VoiceSettings, state?: SuppressionState): void;
}

/**
 * "Noise suppression" and "Music mode" as labelled switches (checkboxes with
 * the switch role; the label is the touch target too). Music mode turns
 * noise suppression off, so while it is on the first switch shows off and
 * cannot be changed, and says why.
 */
export function voiceSwitches(idPrefix: string, onNoiseSuppression: (on: boolean) => void, onMusicMode: (on: boolean) => void): VoiceSwitches {
  const noiseId = `${idPrefix}-noise-suppression`;
  const musicId = `${idPrefix}-music-mode`;
  const statusId = `${idPrefix}-voice-status`;
  const noise = h('input', { id: noiseId, name: 'noise-suppression', type: 'checkbox', role: 'switch', 'aria-describedby': statusId });
  const music = h('input', { id: musicId, name: 'music-mode', type: 'checkbox', role: 'switch', 'aria-describedby': `${musicId}-hint` });
  const status = h('p', { id: statusId, class: 'hint', role: 'status' });
  noise.addEventListener('change', () => onNoiseSuppression(noise.checked));
  music.addEventListener('change', () => onMusicMode(music.checked));
  const element = h(
    'div',
    { class: 'voice-switches' },
    h('div', { class: 'check' }, noise, h('label', { for: noiseId }, 'Noise suppression')),
    status,
    h('div', { class: 'check' }, music, h('label', { for: musicId }, 'Music mode')),
    h('p', { id: `${musicId}-hint`, class: 'hint' }, 'For playing an instrument: no noise suppression, echo cancellation or automatic volume. Wear headphones, or the others may hear themselves.'),
  );
  return {
    element,
    render(settings, state) {
      noise.checked = settings.noiseSuppression && !settings.musicMode;
      noise.disabled = settings.musicMode;
      music.checked = settings.musicMode;
      status.textContent = describe(settings, state);
      status.hidden = status.textContent === '';
    },
  };
}

function describe(settings: VoiceSettings, state: SuppressionState | undefined): string {
  if (settings.musicMode) return 'Off while music mode is on.';
  if (!settings.noiseSuppression) return 'Off: background noise is sent as your microphone hears it.';
  switch (state?.kind) {
    case undefined:
      return 'On: background noise is taken out of your voice before it is sent.';
    case 'starting':
      return 'Starting noise suppression…';
    case 'on':
      return 'On: background noise is taken out of your voice.';
    case 'unavailable':
      return 'Noise suppression could not start in this browser (it did not start audio processing for this page), so your microphone is sent as it is. Switch it off and on again to retry.';
    case 'off':
      return 'Off.';
  }
}
