// Noise suppression (issue 16): the sender's microphone is a known clip — speech from espeak-ng
// over pink noise from sox, in alternating noise-only and speech segments — and the receiving
// Chromium measures what arrives (WebRTC's received audio energy). With RNNoise on, the noise-only
// stretches must arrive at least 10 dB quieter than with it off, the speech within 3 dB; with it
// off, the noise arrives as loud against the speech as it is in the clip. Switching it off mid-call
// keeps audio and video arriving, and nothing the sending page requests leaves our server. Music
// mode then reopens the microphone without echo cancellation, auto gain or noise suppression.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, type TestContext, test } from 'node:test';
import type { RunningServer } from '@videoapp/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Browser as FirefoxBrowser, Page as FirefoxPage } from 'puppeteer-core';
import { receivedLevels, type SegmentLevels, sampleLevels, segmentLevels } from '../support/audio-levels.ts';
import { expectMediaFlowing, instrumentedContext, launchChromium, trackStates } from '../support/browsers.ts';
import { playFileAsMicrophone } from '../support/file-microphone.ts';
import { instrumentedFirefoxPage, joinFromFirefox, launchFirefox, waitForFirefoxCallState } from '../support/firefox.ts';
import { CLIP_SECONDS, noisySpeechFile, noisySpeechSamples, SAMPLE_RATE } from '../support/noisy-speech.ts';
import { NullAudioOutput } from '../support/null-audio-output.ts';
import { leavingOrigin, recordRequests } from '../support/page-requests.ts';
import { missing } from '../support/requires.ts';
import { startTestServer } from '../support/test-server.ts';
import { eventually } from '../support/timing.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** What the issue asks: the noise-only level falls at least this far with suppression on... */
const MIN_NOISE_DROP_DB = 10;
/** ...while speech stays within this of its level with suppression off. */
const MAX_SPEECH_CHANGE_DB = 3;
/**
 * With it off, the noise must sit under the speech about as far as in the clip: no drop. Half the
 * drop that counts as suppression; the sender's echo canceller and auto gain still shape the
 * levels a little (measured: 1.2 to 2.8 dB from the clip's gap).
 */
const MAX_OFF_GAP_CHANGE_DB = MIN_NOISE_DROP_DB / 2;
/** One whole loop of the clip and a little more, so every segment is heard once in each reading. */
const READING_MS = CLIP_SECONDS * 1000 + 400;
/** What the switches' status line says once the suppressor runs, and once it is off. */
const SUPPRESSING = 'On: background noise is taken out of your voice.';
const NOT_SUPPRESSING = 'Off: background noise is sent as your microphone hears it.';
/** Starting the suppressor fetches its chunk, worklet and wasm and compiles the wasm: generous for a loaded machine. */
const SUPPRESSOR_START_MS = 20_000;

describe('noise suppression', { skip: missing('chromium', 'espeak', 'sox') }, () => {
  let server: RunningServer;
  let chromium: Browser;
  let firefox: FirefoxBrowser | undefined;
  let soundServer: NullAudioOutput | undefined;
  const contexts: BrowserContext[] = [];
  const firefoxPages: FirefoxPage[] = [];
  /** The clip's own noise-to-speech gap, measured as the received audio is: the reference for "no drop". */
  let clip: SegmentLevels;

  before(async () => {
    const file = noisySpeechFile();
    clip = segmentLevels(sampleLevels(noisySpeechSamples(), SAMPLE_RATE));
    server = await startTestServer();
    chromium = await launchChromium({ extra: [`--use-file-for-fake-audio-capture=${file}`] });
  });
  afterEach(async () => {
    await Promise.all([...contexts.splice(0).map((c) => c.close()), ...firefoxPages.splice(0).map((p) => p.close())]);
  });
  after(async () => {
    await firefox?.close();
    await soundServer?.close();
    await chromium?.close();
    await server?.close();
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await instrumentedContext(chromium);
    contexts.push(context);
    return context;
  }

  /** Bob, in Chromium, joins `link` and waits until the call is connected; he is the one who listens. */
  async function listener(link: string): Promise<Page> {
    const bob = await (await newContext()).newPage();
    await openLobby(bob, link, 'Bob');
    await pressJoin(bob);
    await waitForCallState(bob, 'connected', 20_000);
    await expectMediaFlowing(bob, 'Bob before any switch', 1000);
    return bob;
  }

  /** Levels of what Bob hears now, after the sender's last change has had a moment to reach him. */
  async function hear(bob: Page): Promise<SegmentLevels> {
    return segmentLevels(await receivedLevels(bob, READING_MS));
  }

  function judge(t: TestContext, on: SegmentLevels, off: SegmentLevels): void {
    const noiseDrop = off.noiseDb - on.noiseDb;
    const speechChange = on.speechDb - off.speechDb;
    const clipGap = clip.speechDb - clip.noiseDb;
    const offGap = off.speechDb - off.noiseDb;
    t.diagnostic(`clip: noise ${clip.noiseDb.toFixed(1)} dBFS, speech ${clip.speechDb.toFixed(1)} dBFS (gap ${clipGap.toFixed(1)} dB)`);
    t.diagnostic(`received, suppression off: noise ${off.noiseDb.toFixed(1)}, speech ${off.speechDb.toFixed(1)} (gap ${offGap.toFixed(1)} dB)`);
    t.diagnostic(`received, suppression on: noise ${on.noiseDb.toFixed(1)}, speech ${on.speechDb.toFixed(1)}`);
    t.diagnostic(`noise-only drop ${noiseDrop.toFixed(1)} dB (at least ${MIN_NOISE_DROP_DB}), speech change ${speechChange.toFixed(1)} dB (within ±${MAX_SPEECH_CHANGE_DB})`);
    assert.ok(noiseDrop >= MIN_NOISE_DROP_DB, `noise-only segments fell only ${noiseDrop.toFixed(1)} dB with suppression on`);
    assert.ok(Math.abs(speechChange) <= MAX_SPEECH_CHANGE_DB, `speech changed ${speechChange.toFixed(1)} dB with suppression on`);
    assert.ok(Math.abs(offGap - clipGap) <= MAX_OFF_GAP_CHANGE_DB, `with suppression off the noise sat ${offGap.toFixed(1)} dB under the speech, against ${clipGap.toFixed(1)} dB in the clip`);
  }

  /** The requests of a page that ran the suppressor: its files came from our server, and nothing went elsewhere. */
  function judgeRequests(urls: string[]): void {
    assert.deepEqual(leavingOrigin(urls, server.url), [], 'requests that left our server');
    for (const file of ['/assets/lazy/noise-suppressor-', '/effects/rnnoiseWorklet.', '/effects/rnnoise']) {
      assert.ok(
        urls.some((url) => new URL(url).pathname.startsWith(file)),
        `no request for ${file}… among ${urls.length} requests`,
      );
    }
  }

  test('Chromium: RNNoise takes the noise out of what the other side hears, and switching it off mid-call keeps the call going', async (t) => {
    const aliceContext = await newContext();
    const requests = recordRequests(aliceContext);
    const alice = await aliceContext.newPage();
    const link = await startNewCall(alice, server.url, 'Alice');
    // On by default, shown as such in the lobby; music mode off.
    assert.equal(await alice.getByRole('switch', { name: 'Noise suppression' }).isChecked(), true);
    assert.equal(await alice.getByRole('switch', { name: 'Music mode' }).isChecked(), false);
    await pressJoin(alice);
    const bob = await listener(link);
    await alice.locator('[data-control=devices]').click();
    await alice.getByText(SUPPRESSING).waitFor({ timeout: SUPPRESSOR_START_MS });
    const on = await hear(bob);

    await alice.getByRole('switch', { name: 'Noise suppression' }).click();
    await alice.getByText(NOT_SUPPRESSING).waitFor();
    await expectMediaFlowing(bob, 'Bob after Alice switched suppression off', 1000);
    const off = await hear(bob);
    judge(t, on, off);
    judgeRequests(requests);
    assert.equal(await alice.evaluate(() => localStorage.getItem('videoapp:noise-suppression')), '0', 'the choice is remembered');

    // Music mode opens the microphone again without the browser's processing; the call goes on.
    await alice.getByRole('switch', { name: 'Music mode' }).click();
    await alice.getByText('Off while music mode is on.').waitFor();
    const microphone = () =>
      alice.evaluate(() => {
        const live = (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.filter((track) => track.kind === 'audio' && track.readyState === 'live');
        const settings = live.at(-1)?.getSettings();
        return { live: live.length, echoCancellation: settings?.echoCancellation, autoGainControl: settings?.autoGainControl, noiseSuppression: settings?.noiseSuppression };
      });
    const music = await eventually('the microphone reopened for music', microphone, (m) => m.live === 1 && m.echoCancellation === false);
    assert.deepEqual(music, { live: 1, echoCancellation: false, autoGainControl: false, noiseSuppression: false });
    await expectMediaFlowing(bob, 'Bob after Alice turned music mode on', 1000);
    assert.equal(await alice.evaluate(() => localStorage.getItem('videoapp:music-mode')), '1');

    // Hanging up releases every microphone this call opened (the lobby's, the reopened ones).
    await alice.locator('[data-control=hang-up]').click();
    await alice.locator('[data-call-state=ended]').waitFor();
    assert.deepEqual([...new Set(await trackStates(alice))], ['ended']);
  });

  test('Firefox: the same suppression, heard from Firefox by Chromium', { skip: missing('firefox', 'pulseaudio') }, async (t) => {
    // Firefox runs Web Audio only with a sound output; this machine has none, so it gets one that plays into nothing.
    soundServer ??= await NullAudioOutput.start();
    firefox ??= await launchFirefox({ env: soundServer.env });
    const fox = await instrumentedFirefoxPage(firefox);
    firefoxPages.push(fox);
    const requests: string[] = [];
    fox.on('request', (request) => void requests.push(request.url()));
    // Firefox's fake microphone is a fixed tone and it takes no file: the clip is played into getUserMedia (file-microphone.ts).
    await playFileAsMicrophone(fox, readFileSync(noisySpeechFile()));
    const alice = await (await newContext()).newPage();
    const link = await startNewCall(alice, server.url, 'Alice');
    await pressJoin(alice);
    await joinFromFirefox(fox, link, 'Fox');
    await waitForFirefoxCallState(fox, 'connected', 20_000);
    const bob = alice;
    await waitForCallState(bob, 'connected', 20_000);
    await expectMediaFlowing(bob, 'Chromium hearing Firefox', 1000);
    await fox.click('[data-control=devices]');
    await fox.waitForFunction((text) => document.body.innerText.includes(text), { timeout: SUPPRESSOR_START_MS, polling: 100 }, SUPPRESSING);
    const on = await hear(bob);

    await fox.click('#room-noise-suppression');
    await fox.waitForFunction((text) => document.body.innerText.includes(text), { polling: 100 }, NOT_SUPPRESSING);
    await expectMediaFlowing(bob, 'Chromium after Firefox switched suppression off', 1000);
    const off = await hear(bob);
    judge(t, on, off);
    judgeRequests(requests);
  });
});
