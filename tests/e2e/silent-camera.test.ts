// A camera that is on but sends no picture (held by another app, a stalled driver) is said in words, in the
// lobby and in the room, and the words go once frames come again. Real Chromium; the stalled camera is a
// canvas track put in place of the camera's by getUserMedia, live but without frames until the test draws.
// A working camera is never called silent, in Chromium or in Firefox (whose getVideoPlaybackQuality counts
// no frame of a camera: a watch built on it called every Firefox camera silent).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { CAMERA_SILENT_MS, CAMERA_WATCH_INTERVAL_MS } from '../../packages/web/src/picture-watch.ts';
import { instrumentedContext } from '../support/browsers.ts';
import { instrumentedFirefoxPage } from '../support/firefox.ts';
import { serverChromiumAndFirefox } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { loadedBound } from '../support/timing.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';
import { createRoom } from '../support/ws-client.ts';

/** How long the page may take to say so, or to take it back, on a loaded machine. */
const NOTICE_BOUND_MS = loadedBound(CAMERA_SILENT_MS + 2 * CAMERA_WATCH_INTERVAL_MS);

/**
 * In the page, before the app loads: getUserMedia's camera track is swapped for a canvas track that
 * delivers a frame only when asked. `__camera.flow(true)` draws 20 frames a second, `flow(false)` stops.
 */
const STALLED_CAMERA = () => {
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  let timer: ReturnType<typeof setInterval> | undefined;
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 180;
  const track = canvas.captureStream(0).getVideoTracks()[0] as CanvasCaptureMediaStreamTrack;
  let hue = 0;
  (window as unknown as { __camera: { flow(on: boolean): void } }).__camera = {
    flow(on) {
      clearInterval(timer);
      if (!on) return;
      timer = setInterval(() => {
        const g = canvas.getContext('2d')!;
        hue = (hue + 10) % 360;
        g.fillStyle = `hsl(${hue} 80% 50%)`;
        g.fillRect(0, 0, canvas.width, canvas.height);
        track.requestFrame();
      }, 50);
    },
  };
  devices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
    const stream = await getUserMedia(constraints);
    for (const camera of stream.getVideoTracks()) {
      stream.removeTrack(camera);
      camera.stop();
      stream.addTrack(track);
    }
    return stream;
  };
};

function flow(page: Page, on: boolean): Promise<void> {
  return page.evaluate((f) => (window as unknown as { __camera: { flow(on: boolean): void } }).__camera.flow(f), on);
}

/** Long enough that a silent camera would have been named by now. */
const SILENCE_WOULD_SHOW_MS = CAMERA_SILENT_MS + 2 * CAMERA_WATCH_INTERVAL_MS;

describe('a camera that sends no picture', { skip: missing('chromium', 'firefox') }, () => {
  const lab = serverChromiumAndFirefox();

  test('is said in the lobby and in the room until frames come; a working camera never is', async () => {
    const context = await instrumentedContext(lab.browser);
    await context.addInitScript(STALLED_CAMERA);
    const ada = await context.newPage();
    const link = await startNewCall(ada, lab.server.url, 'Ada');
    const lobbyNotice = ada.locator('.camera-silent');
    await lobbyNotice.waitFor({ state: 'visible', timeout: NOTICE_BOUND_MS });
    assert.match(await lobbyNotice.innerText(), /camera is on but sends no picture/);
    await flow(ada, true);
    await lobbyNotice.waitFor({ state: 'hidden', timeout: NOTICE_BOUND_MS });

    await flow(ada, false);
    await pressJoin(ada);
    const roomNotice = ada.locator('.camera-notice');
    await roomNotice.waitFor({ state: 'visible', timeout: NOTICE_BOUND_MS });
    await flow(ada, true);
    await roomNotice.waitFor({ state: 'hidden', timeout: NOTICE_BOUND_MS });

    // Bob's camera works: in his lobby and in the call, past the time a silent one would be named, nothing is said.
    const bob = await (await instrumentedContext(lab.browser)).newPage();
    await openLobby(bob, link, 'Bob');
    await bob.waitForTimeout(SILENCE_WOULD_SHOW_MS);
    assert.equal(await bob.locator('.camera-silent').isVisible(), false, 'a working camera is not called silent in the lobby');
    await pressJoin(bob);
    await waitForCallState(bob, 'connected');
    await bob.waitForTimeout(SILENCE_WOULD_SHOW_MS);
    assert.equal(await bob.locator('.camera-notice').isVisible(), false, 'nor in the room');
    assert.equal(await ada.locator('.camera-notice').isVisible(), false, 'Ada’s camera, flowing again, is not either');
    await Promise.all([ada.context().close(), bob.context().close()]);
  });

  test('a working camera in Firefox is never called silent, in the lobby or in the room', async () => {
    const fox = await instrumentedFirefoxPage(lab.firefox);
    try {
      await fox.goto(`${lab.server.url}/r/${await createRoom(lab.server.url)}`);
      await fox.waitForSelector('video.preview');
      await new Promise((resolve) => setTimeout(resolve, SILENCE_WOULD_SHOW_MS));
      assert.equal(await fox.$eval('.camera-silent', (el) => (el as HTMLElement).hidden), true, 'lobby');
      await fox.click('form.join button[type=submit]');
      await fox.waitForFunction(() => document.querySelector('.room')?.getAttribute('data-call-state') === 'waiting');
      await new Promise((resolve) => setTimeout(resolve, SILENCE_WOULD_SHOW_MS));
      assert.equal(await fox.$eval('.camera-notice', (el) => (el as HTMLElement).hidden), true, 'room');
    } finally {
      await fox.close();
    }
  });
});
