/**
 * How the microphone is treated before it is sent, as the person chose it
 * (remembered in localStorage like their name). Two switches, one outcome:
 * music mode wins over noise suppression, because an instrument is exactly
 * the sound a noise suppressor and auto-gain are built to remove or flatten.
 */
import { savedFlag, saveFlag } from '../saved-flag.ts';

export interface VoiceSettings {
  /** RNNoise on the microphone (on by default). */
  noiseSuppression: boolean;
  /** No noise suppression, echo cancellation or auto gain: the sound as the microphone hears it. */
  musicMode: boolean;
}

/** What the microphone goes through, derived from the settings by `voiceMode`. */
export type VoiceMode = 'suppress-noise' | 'plain' | 'music';

const NOISE_SUPPRESSION_KEY = 'videoapp:noise-suppression';
const MUSIC_MODE_KEY = 'videoapp:music-mode';

export function voiceMode(settings: VoiceSettings): VoiceMode {
  if (settings.musicMode) return 'music';
  return settings.noiseSuppression ? 'suppress-noise' : 'plain';
}

/**
 * The browser's own processing for each mode. The browser's noise
 * suppressor stays off in every mode: with RNNoise on it would run a second
 * suppressor over the first (speech comes out thinner), and with ours
 * switched off the person asked for none.
 */
export function microphoneConstraints(mode: VoiceMode, deviceId?: string): MediaTrackConstraints {
  const voice = mode !== 'music';
  return { ...(deviceId ? { deviceId: { exact: deviceId } } : {}), noiseSuppression: false, echoCancellation: voice, autoGainControl: voice };
}

export function savedVoiceSettings(): VoiceSettings {
  return { noiseSuppression: savedFlag(NOISE_SUPPRESSION_KEY, true), musicMode: savedFlag(MUSIC_MODE_KEY, false) };
}

export function saveVoiceSettings(settings: VoiceSettings): void {
  saveFlag(NOISE_SUPPRESSION_KEY, settings.noiseSuppression);
  saveFlag(MUSIC_MODE_KEY, settings.musicMode);
}
