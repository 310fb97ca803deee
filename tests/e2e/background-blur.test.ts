// Background blur in real calls: switched on and off mid-call through the control bar, the other side
// keeps decoding frames throughout (replaceTrack, no renegotiation), nothing the page fetches for it
// leaves our origin, and every track is stopped after hanging up. In Chromium (frames streamed through
// the worker) the person's camera shows the background blurred and the person sharp; in Firefox (the
// canvas path; its fake camera is a plain pattern, so only the flow is judged) the blurred track is sent.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { RunningServer } from '@videoapp/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Evaluator, expectMediaFlowing, instrumentedContext, launchChromium, remoteMedia, trackStates, videoFramesEncoded } from '../support/browsers.ts';
import { BACKGROUND_REGION, fakePersonCameraFile, PERSON_REGION } from '../support/fake-person-camera.ts';
import { instrumentedFirefoxPage, joinFromFirefox, launchFirefox, waitForFirefoxCallState } from '../support/firefox.ts';
import { missing } from '../support/requires.ts';
import { startTestServer } from '../support/test-server.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** Loading the runtime and model (about 13 MB from our own server) and the first frames take a while on a loaded machine. */
const BLUR_START_TIMEOUT_MS = 60_000;
/** How long frames are counted to measure a frame rate, and how many windows may be tried. */
const RATE_WINDOW_MS = 3_000;
const RATE_TRIES = 3;
/** What the issue asks the other side to receive with blur on (the app itself warns below 15 processed frames a second). */
const MIN_RECEIVED_FPS = 15;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Frames a second over RATE_WINDOW_MS: encoded by `sender` (the blurred track while blur runs), and decoded by `receiver`. */
async function frameRates(receiver: Evaluator, sender: Evaluator): Promise<{ received: number; sent: number }> {
  const [received0, sent0] = [(await remoteMedia(receiver)).framesDecoded, await videoFramesEncoded(sender)];
  await sleep(RATE_WINDOW_MS);
  const [received1, sent1] = [(await remoteMedia(receiver)).framesDecoded, await videoFramesEncoded(sender)];
  return { received: ((received1 - received0) * 1000) / RATE_WINDOW_MS, sent: ((sent1 - sent0) * 1000) / RATE_WINDOW_MS };
}

/**
 * The frame rates with blur on, the best of up to RATE_TRIES windows: a passing load spike on a shared
 * machine is not blur's doing, while a device that cannot keep up stays slow in every window.
 */
async function bestFrameRates(receiver: Evaluator, sender: Evaluator): Promise<{ received: number; sent: number }> {
  let best = await frameRates(receiver, sender);
  for (let i = 1; i < RATE_TRIES && best.received < MIN_RECEIVED_FPS; i++) {
    const next = await frameRates(receiver, sender);
    if (next.received > best.received) best = next;
  }
  return best;
}

const rates = (r: { received: number; sent: number }) => `Ada encodes ${r.sent.toFixed(1)} fps, Bob decodes ${r.received.toFixed(1)} fps`;

type Region = typeof BACKGROUND_REGION;

/** Mean absolute Laplacian of the luma in each region of the remote video, read through a canvas: high for fine detail, low once blurred. */
function detail(page: Page, regions: Region[]): Promise<number[]> {
  return page.evaluate((rs) => {
    const video = document.querySelector<HTMLVideoElement>('video.remote')!;
    const [w, h] = [video.videoWidth, video.videoHeight];
    const canvas = document.createElement('canvas');
    Object.assign(canvas, { width: w, height: h });
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(video, 0, 0);
    const d = g.getImageData(0, 0, w, h).data;
    const luma = (x: number, y: number) => 0.299 * d[(y * w + x) * 4]! + 0.587 * d[(y * w + x) * 4 + 1]! + 0.114 * d[(y * w + x) * 4 + 2]!;
    return rs.map((r) => {
      let sum = 0;
      let n = 0;
      for (let y = Math.max(1, Math.round(r.y0 * h)); y < Math.min(h - 1, Math.round(r.y1 * h)); y++) {
        for (let x = Math.max(1, Math.round(r.x0 * w)); x < Math.min(w - 1, Math.round(r.x1 * w)); x++) {
          sum += Math.abs(4 * luma(x, y) - luma(x - 1, y) - luma(x + 1, y) - luma(x, y - 1) - luma(x, y + 1));
          n++;
        }
      }
      return sum / n;
    });
  }, regions);
}

describe('background blur', { skip: missing('chromium') }, () => {
  let server: RunningServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  before(async () => {
    server = await startTestServer();
    browser = await launchChromium({ extra: [`--use-file-for-fake-video-capture=${fakePersonCameraFile()}`] });
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('switching blur on and off mid-call keeps frames flowing, loads only from our origin, and releases everything', async (t) => {
    const [adaContext, bobContext] = await Promise.all([instrumentedContext(browser), instrumentedContext(browser)]);
    contexts.push(adaContext, bobContext);
    const ada = await adaContext.newPage();
    const bob = await bobContext.newPage();
    const origin = new URL(server.url).origin;
    const requests: string[] = [];
    adaContext.on('request', (request) => requests.push(request.url()));

    const link = await startNewCall(ada, server.url, 'Ada');
    await pressJoin(ada);
    await openLobby(bob, link, 'Bob');
    await pressJoin(bob);
    await Promise.all([waitForCallState(ada, 'connected'), waitForCallState(bob, 'connected')]);
    await expectMediaFlowing(bob, 'Bob before blur');
    t.diagnostic(`without blur: ${rates(await frameRates(bob, ada))}`);
    const [backgroundBefore, personBefore] = await detail(bob, [BACKGROUND_REGION, PERSON_REGION]);

    const blur = ada.getByRole('button', { name: 'Blur background' });
    await blur.click();
    await ada.waitForFunction(() => document.querySelector('.room')?.getAttribute('data-blur') !== 'starting', null, { timeout: BLUR_START_TIMEOUT_MS });
    assert.equal(await ada.locator('.room').getAttribute('data-blur'), 'on', 'blur did not start');
    assert.equal(await ada.getByRole('button', { name: 'Unblur background' }).getAttribute('aria-pressed'), 'true');
    await expectMediaFlowing(bob, 'Bob with blur on', 4_000);
    const withBlur = await bestFrameRates(bob, ada);
    t.diagnostic(`with blur: ${rates(withBlur)}`);
    assert.ok(withBlur.received >= MIN_RECEIVED_FPS, `blurred video arrives as a slideshow: ${rates(withBlur)}`);
    const [backgroundAfter, personAfter] = await detail(bob, [BACKGROUND_REGION, PERSON_REGION]);
    const backgroundKept = backgroundAfter! / backgroundBefore!;
    const personKept = personAfter! / personBefore!;
    t.diagnostic(
      `detail (mean |Laplacian|) background ${backgroundBefore!.toFixed(1)} → ${backgroundAfter!.toFixed(1)} (${(100 * backgroundKept).toFixed(0)} %), person ${personBefore!.toFixed(1)} → ${personAfter!.toFixed(1)} (${(100 * personKept).toFixed(0)} %)`,
    );
    assert.ok(personKept > 0.5, `the person lost their detail too: ${(100 * personKept).toFixed(0)} % kept`);
    assert.ok(backgroundKept < personKept / 2, `the background was not blurred: ${(100 * backgroundKept).toFixed(0)} % of its detail kept, the person ${(100 * personKept).toFixed(0)} %`);
    const effectFiles = requests.filter((url) => url.startsWith(`${origin}/effects/`));
    assert.ok(
      effectFiles.some((url) => url.endsWith('.wasm')) && effectFiles.some((url) => url.endsWith('.tflite')),
      `the runtime and model were not loaded from our server: ${effectFiles.join(', ')}`,
    );
    assert.deepEqual(
      requests.filter((url) => !url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')),
      [],
      'a request left the origin',
    );

    await ada.getByRole('button', { name: 'Unblur background' }).click();
    await ada.waitForFunction(() => document.querySelector('.room')?.getAttribute('data-blur') === 'off');
    await expectMediaFlowing(bob, 'Bob after blur off');
    assert.equal(await ada.evaluate(() => localStorage.getItem('videoapp:blur-background')), '0', 'the choice is remembered');

    await ada.getByRole('button', { name: 'Hang up' }).click();
    await ada.locator('[data-call-state="ended"]').waitFor();
    assert.ok(
      (await trackStates(ada)).every((state) => state === 'ended'),
      'a camera or microphone track is still live after hanging up',
    );
  });

  test('in Firefox the blurred camera goes out through the canvas path, and switching it off keeps frames flowing', { skip: missing('firefox') }, async (t) => {
    const firefox = await launchFirefox();
    try {
      const bobContext = await instrumentedContext(browser);
      contexts.push(bobContext);
      const bob = await bobContext.newPage();
      const link = await startNewCall(bob, server.url, 'Bob');
      await pressJoin(bob);
      const ada = await instrumentedFirefoxPage(firefox);
      const origin = new URL(server.url).origin;
      const requests: string[] = [];
      ada.on('request', (request) => requests.push(request.url()));
      await joinFromFirefox(ada, link, 'Ada');
      await Promise.all([waitForCallState(bob, 'connected'), waitForFirefoxCallState(ada, 'connected')]);
      await expectMediaFlowing(bob, 'Bob before blur');

      await ada.click('[data-control=blur]');
      await ada.waitForFunction(() => document.querySelector('.room')?.getAttribute('data-blur') !== 'starting', { timeout: BLUR_START_TIMEOUT_MS });
      const [state, reason] = await ada.$eval('.room', (room) => [room.getAttribute('data-blur'), room.getAttribute('data-blur-reason')]);
      assert.ok(state === 'on' || state === 'too-slow', `blur did not start in Firefox: ${state} (${reason})`);
      await expectMediaFlowing(bob, 'Bob with blur on in Firefox', 4_000);
      // Reported, not judged: how fast this machine's Firefox keeps up is the app's to say (it offers to turn blur off).
      const withBlur = await frameRates(bob, ada);
      t.diagnostic(`Firefox with blur: ${rates(withBlur)} (${state})`);
      // What Firefox encodes is the blurred track: frames there mean the worker keeps producing them.
      assert.ok(withBlur.sent > 0, 'Firefox encodes no frames of the blurred track');
      assert.deepEqual(
        requests.filter((url) => !url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')),
        [],
        'a request left the origin',
      );

      await ada.click('[data-control=blur]');
      await ada.waitForFunction(() => document.querySelector('.room')?.getAttribute('data-blur') === 'off');
      await expectMediaFlowing(bob, 'Bob after blur off in Firefox');
    } finally {
      await firefox.close();
    }
  });
});
