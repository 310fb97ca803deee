// SentVoice's states without a browser: Node has no AudioContext, so the suppressor fails to start
// here, which is exactly the path where the microphone must still go out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SentVoice, type SuppressionState } from './sent-voice.ts';

/** Just what SentVoice touches of a track. */
const fakeTrack = () => ({ enabled: true }) as MediaStreamTrack;

test('with suppression off the microphone itself is sent, at once', async () => {
  const sent: (MediaStreamTrack | null)[] = [];
  const voice = new SentVoice((track) => sent.push(track));
  const mic = fakeTrack();
  await voice.use(mic, false);
  assert.equal(voice.state.kind, 'off');
  assert.deepEqual(sent, [mic]);
  assert.equal(voice.track, mic);
});

test('a suppressor that cannot start leaves the microphone on the wire and says why', async () => {
  const sent: (MediaStreamTrack | null)[] = [];
  const voice = new SentVoice((track) => sent.push(track));
  const mic = fakeTrack();
  const settled = voice.use(mic, true);
  assert.equal(voice.state.kind, 'starting');
  assert.deepEqual(sent, [mic], 'the microphone goes out while the suppressor loads: joining never waits for it');
  await settled;
  // Read afresh: the compiler would otherwise keep the 'starting' it saw above.
  const state: SuppressionState = voice.state as SuppressionState;
  assert.ok(state.kind === 'unavailable' && state.reason.length > 0, `state ${JSON.stringify(state)}`);
  assert.equal(voice.track, mic);
  // Asking again with the same wish retries; asking for it off settles as off.
  await voice.use(mic, false);
  assert.equal(voice.state.kind, 'off');
});

test('muting reaches the microphone; a newer change wins over a suppressor still loading', async () => {
  const voice = new SentVoice(() => {});
  const first = fakeTrack();
  const second = fakeTrack();
  const loading = voice.use(first, true);
  await voice.use(second, false);
  await loading;
  assert.equal(voice.state.kind, 'off', 'the late failure of the first load does not overwrite the newer choice');
  assert.equal(voice.track, second);
  voice.setEnabled(false);
  assert.equal(second.enabled, false);
  voice.stop();
  assert.equal(voice.track, null);
});
