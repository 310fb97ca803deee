import assert from 'node:assert/strict';
import { test } from 'node:test';
import { microphoneConstraints, voiceMode } from './voice-settings.ts';

test('music mode wins over noise suppression; without either the voice is sent plain', () => {
  assert.equal(voiceMode({ noiseSuppression: true, musicMode: false }), 'suppress-noise');
  assert.equal(voiceMode({ noiseSuppression: false, musicMode: false }), 'plain');
  assert.equal(voiceMode({ noiseSuppression: true, musicMode: true }), 'music');
  assert.equal(voiceMode({ noiseSuppression: false, musicMode: true }), 'music');
});

test("music mode opens the microphone without the browser's echo cancellation, auto gain or noise suppression", () => {
  assert.deepEqual(microphoneConstraints('music'), { noiseSuppression: false, echoCancellation: false, autoGainControl: false });
  // With RNNoise on, or off by choice, the browser's own suppressor stays off; its echo cancellation and auto gain stay on.
  for (const mode of ['suppress-noise', 'plain'] as const) assert.deepEqual(microphoneConstraints(mode), { noiseSuppression: false, echoCancellation: true, autoGainControl: true });
  assert.deepEqual(microphoneConstraints('plain', 'mic-2').deviceId, { exact: 'mic-2' });
});
