// A microphone for the noise-suppression tests: speech from espeak-ng over steady pink noise from
// sox, in known alternating segments (noise alone, then speech over the same noise), written as a
// 48 kHz mono WAV for Chromium's --use-file-for-fake-audio-capture (which loops it). Made on the
// machine by the test, so no recording is checked in.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The clip's layout, repeated by the looping fake microphone. */
export const SEGMENTS = ['noise', 'speech', 'noise', 'speech'] as const;
export const SEGMENT_SECONDS = 2;
export const CLIP_SECONDS = SEGMENTS.length * SEGMENT_SECONDS;
export const SAMPLE_RATE = 48_000;
/** The noise under everything, against speech normalised to a -3 dBFS peak: about 14 dB below the speech, a busy room's hum. */
const NOISE_GAIN_DB = -22;
const SPEECH = 'Please bring the blue folder to the meeting room, and tell everyone we start in five minutes.';

/** Writes (once per machine) and returns the path of the noisy-speech WAV. */
export function noisySpeechFile(): string {
  const dir = join(tmpdir(), 'videoapp-noisy-speech-v1');
  const path = join(dir, 'noisy-speech.wav');
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const at = (name: string) => join(dir, name);
  const sox = (...args: string[]) => execFileSync('sox', args, { stdio: 'pipe' });
  const pcm = ['-r', String(SAMPLE_RATE), '-c', '1', '-b', '16'];
  execFileSync('espeak-ng', ['-s', '165', '-w', at('spoken.wav'), SPEECH], { stdio: 'pipe' });
  // Leading silence cut, so each speech segment is mostly voice; then resampled and normalised.
  sox(at('spoken.wav'), ...pcm, at('voice.wav'), 'silence', '1', '0.02', '1%', 'norm', '-3');
  sox('-n', ...pcm, at('quiet.wav'), 'trim', '0', String(SEGMENT_SECONDS));
  const pieces = SEGMENTS.map((kind, i) => {
    const piece = at(`piece-${i}.wav`);
    if (kind === 'noise') return at('quiet.wav');
    const from = (i >> 1) * SEGMENT_SECONDS;
    sox(at('voice.wav'), piece, 'trim', String(from), String(SEGMENT_SECONDS), 'pad', '0', String(SEGMENT_SECONDS));
    sox(piece, at(`cut-${i}.wav`), 'trim', '0', String(SEGMENT_SECONDS));
    return at(`cut-${i}.wav`);
  });
  sox(...pieces, at('voices.wav'));
  sox('-n', ...pcm, at('noise.wav'), 'synth', String(CLIP_SECONDS), 'pinknoise', 'gain', String(NOISE_GAIN_DB));
  sox('-m', '-v', '1', at('voices.wav'), '-v', '1', at('noise.wav'), ...pcm, at('mixed.wav'));
  // Renamed into place last, so a run cut short never leaves half a file for the next one to trust.
  renameSync(at('mixed.wav'), path);
  return path;
}

/** The clip's samples as floats in [-1, 1] (a plain 16-bit PCM WAV, as written above). */
export function noisySpeechSamples(): Float32Array {
  const wav = readFileSync(noisySpeechFile());
  const data = wav.indexOf('data', 12);
  const bytes = wav.readUInt32LE(data + 4);
  const samples = new Float32Array(bytes / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = wav.readInt16LE(data + 8 + i * 2) / 32768;
  return samples;
}
