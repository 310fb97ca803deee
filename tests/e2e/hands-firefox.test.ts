// Raise hand and reactions between Chromium and Firefox through the UI: Firefox's hand reaches the Chromium host,
// who lowers it; a reaction from Chromium floats and is said in Firefox. Firefox shows "Pop out" only if it has a
// picture-in-picture web API; with Document Picture-in-Picture (Firefox 153 has it) the window it opens plays.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectMediaFlowing, instrumentedContext } from '../support/browsers.ts';
import { instrumentedFirefoxPage, joinFromFirefox, waitForFirefoxCallState } from '../support/firefox.ts';
import { serverChromiumAndFirefox } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** Generous on a loaded machine: each wait is for one relayed message and a re-render. */
const UI_TIMEOUT_MS = 10_000;

describe('raise hand and reactions between Chromium and Firefox', { skip: missing('chromium', 'firefox') }, () => {
  const lab = serverChromiumAndFirefox();

  test("Firefox raises a hand the Chromium host sees and lowers; Chromium's reaction floats and is said in Firefox", async (t) => {
    const chrome = await (await instrumentedContext(lab.browser)).newPage();
    const fox = await instrumentedFirefoxPage(lab.firefox);
    try {
      const link = await startNewCall(chrome, lab.server.url, 'Alice');
      await pressJoin(chrome);
      await joinFromFirefox(fox, link, 'Fox');
      await Promise.all([waitForCallState(chrome, 'connected'), waitForFirefoxCallState(fox, 'connected')]);
      await Promise.all([expectMediaFlowing(chrome, 'Chromium'), expectMediaFlowing(fox, 'Firefox')]);

      // The Pop out control is there exactly when this Firefox has a picture-in-picture web API.
      const pip = await fox.evaluate(() => ({
        document: typeof (window as { documentPictureInPicture?: { requestWindow?: unknown } }).documentPictureInPicture?.requestWindow === 'function',
        element: document.pictureInPictureEnabled === true && typeof HTMLVideoElement.prototype.requestPictureInPicture === 'function',
        controlHidden: (document.querySelector('[data-control=pip]') as HTMLElement).hidden,
      }));
      t.diagnostic(`Firefox ${await lab.firefox.version()}: Document PiP ${pip.document}, element PiP ${pip.element}; Pop out ${pip.controlHidden ? 'hidden' : 'shown'}`);
      assert.equal(pip.controlHidden, !pip.document && !pip.element, JSON.stringify(pip));

      await fox.click('[data-control=hand]');
      await chrome.locator('.tile[data-hand=raised] .tile-hand', { hasText: 'Hand raised' }).waitFor({ timeout: UI_TIMEOUT_MS });
      await chrome.locator('.announcer p', { hasText: 'Fox raised their hand' }).waitFor({ state: 'attached', timeout: UI_TIMEOUT_MS });
      await fox.waitForFunction(() => document.querySelector('[data-control=hand]')?.getAttribute('aria-pressed') === 'true', { timeout: UI_TIMEOUT_MS });

      await chrome.getByRole('button', { name: 'React' }).click();
      await chrome.getByRole('button', { name: 'Celebrate' }).click();
      await fox.waitForSelector('.tile .reaction-float[data-emoji="🎉"]', { timeout: UI_TIMEOUT_MS });
      await fox.waitForFunction(() => [...document.querySelectorAll('.announcer p')].some((p) => p.textContent === 'Alice reacted 🎉'), { timeout: UI_TIMEOUT_MS });

      await chrome.getByRole('button', { name: 'Lower hand of Fox' }).click();
      await fox.waitForFunction(() => [...document.querySelectorAll('.announcer p')].some((p) => p.textContent === 'Alice lowered your hand'), { timeout: UI_TIMEOUT_MS });
      await fox.waitForFunction(() => document.querySelector('[data-control=hand]')?.getAttribute('aria-pressed') === 'false', { timeout: UI_TIMEOUT_MS });
      await chrome.locator('.tile[data-hand=down]').waitFor({ timeout: UI_TIMEOUT_MS });

      if (pip.document) {
        // This Firefox has Document Picture-in-Picture: Pop out opens our window, whose video plays the other person.
        // (Headless Firefox paints nothing there, so frames presented stay 0; the element's clock and track say it plays.)
        await fox.click('[data-control=pip]');
        const pipVideo = () =>
          fox.evaluate(() => {
            const video = (window as unknown as { documentPictureInPicture: { window: Window | null } }).documentPictureInPicture.window?.document.querySelector('video');
            const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
            const tileTrack = (document.querySelector('.tile video') as HTMLVideoElement | null)?.srcObject as MediaStream | null;
            return video
              ? { paused: video.paused, currentTime: video.currentTime, track: track?.readyState, sameAsTile: track !== undefined && track.id === tileTrack?.getVideoTracks()[0]?.id }
              : undefined;
          });
        await fox.waitForFunction(() => (window as unknown as { documentPictureInPicture: { window: Window | null } }).documentPictureInPicture.window?.document.querySelector('video') != null, {
          timeout: UI_TIMEOUT_MS,
        });
        const first = await pipVideo();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const later = await pipVideo();
        t.diagnostic(`Firefox's Document PiP window: ${JSON.stringify(first)} then ${JSON.stringify(later)}`);
        assert.ok(
          first && later && !later.paused && later.track === 'live' && later.sameAsTile && later.currentTime > first.currentTime,
          "the Document PiP window plays the other person's live track",
        );
        await fox.click('[data-control=pip]');
        await fox.waitForFunction(() => !(window as unknown as { documentPictureInPicture: { window: Window | null } }).documentPictureInPicture.window, { timeout: UI_TIMEOUT_MS });
      }
    } finally {
      await fox.close();
      await chrome.context().close();
    }
  });
});
