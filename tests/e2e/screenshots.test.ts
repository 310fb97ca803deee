// Screenshots of the lobby and the room at phone (portrait, landscape) and desktop sizes, saved under
// test-results/screenshots for a person to look at; the test itself checks what can be checked by rule.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '@videoapp/server';
import { type Browser, devices, type Page } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext, launchChromium } from '../support/browsers.ts';
import { missing } from '../support/requires.ts';
import { startTestServer } from '../support/test-server.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

const OUT = new URL('../../test-results/screenshots/', import.meta.url).pathname;
/** Each device, with its orientations: a phone turned sideways is the same page at another viewport. */
const DEVICES = [
  {
    device: devices['Pixel 7']!,
    views: [
      ['pixel7-portrait', devices['Pixel 7']!.viewport],
      ['pixel7-landscape', devices['Pixel 7 landscape']!.viewport],
    ],
  },
  { device: { viewport: { width: 1280, height: 800 } }, views: [['desktop', { width: 1280, height: 800 }]] },
] as const;

describe('screenshots in Chromium', { skip: missing('chromium') }, () => {
  let server: RunningServer;
  let browser: Browser;
  before(async () => {
    mkdirSync(OUT, { recursive: true });
    server = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function shoot(page: Page, name: string): Promise<void> {
    // The picture waits for what it shows: fonts loaded, a frame in every video that has a stream, then two frames drawn with them.
    await page.evaluate(async () => {
      await document.fonts.ready;
    });
    await page.waitForFunction(() => [...document.querySelectorAll('video')].every((v) => !v.srcObject || v.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA));
    await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
    await page.screenshot({ path: `${OUT}${name}.png` });
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(sideways <= 0, `${name}: the page scrolls sideways by ${sideways}px`);
  }

  /** Screenshots of the page in each of its views (orientations), back in the first one after. */
  async function shootViews(page: Page, views: (typeof DEVICES)[number]['views'], stage: string): Promise<void> {
    for (const [label, viewport] of views) {
      await page.setViewportSize(viewport);
      await shoot(page, `${label}-${stage}`);
    }
    await page.setViewportSize(views[0][1]);
  }

  for (const { device, views } of DEVICES) {
    test(`screenshots at ${views.map(([label]) => label).join(' and ')}: lobby, waiting room, connected room`, async () => {
      const subject = await (await instrumentedContext(browser, { ...device })).newPage();
      const other = await (await instrumentedContext(browser)).newPage();
      try {
        const link = await startNewCall(subject, server.url, 'Ada');
        await subject.locator('video.preview').waitFor();
        await shootViews(subject, views, 'lobby');
        await pressJoin(subject);
        await waitForCallState(subject, 'waiting');
        await shootViews(subject, views, 'room-waiting');
        await openLobby(other, link, 'Bob');
        await pressJoin(other);
        await waitForCallState(subject, 'connected');
        await expectMediaFlowing(subject, views[0][0], 500);
        await shootViews(subject, views, 'room-connected');
      } finally {
        await subject.context().close();
        await other.context().close();
      }
    });
  }

  /** A notched phone: status bar and camera cut-out at the top, the home indicator at the bottom (CSS pixels). */
  const NOTCH = { top: 47, bottom: 34 };

  test('on a phone with a notch and a home indicator, the room and its controls stay inside the safe area', async () => {
    const subject = await (await instrumentedContext(browser, { ...devices['Pixel 7']! })).newPage();
    const other = await (await instrumentedContext(browser)).newPage();
    try {
      const cdp = await subject.context().newCDPSession(subject);
      await cdp.send('Emulation.setSafeAreaInsetsOverride', { insets: NOTCH });
      const link = await startNewCall(subject, server.url, 'Ada');
      await pressJoin(subject);
      await openLobby(other, link, 'Bob');
      await pressJoin(other);
      await waitForCallState(subject, 'connected');
      await shoot(subject, 'pixel7-portrait-notch-room-connected');
      const layout = await subject.evaluate(() => {
        const box = (el: Element | null) => el!.getBoundingClientRect();
        return {
          viewportHeight: window.innerHeight,
          scrollHeight: document.documentElement.scrollHeight,
          roomTop: box(document.querySelector('.room')).top,
          controlsBottom: Math.max(...[...document.querySelectorAll('.controls button')].map((b) => box(b).bottom)),
        };
      });
      assert.ok(layout.roomTop >= NOTCH.top, `the room starts under the notch: ${JSON.stringify(layout)}`);
      assert.ok(layout.controlsBottom <= layout.viewportHeight - NOTCH.bottom, `controls under the home indicator: ${JSON.stringify(layout)}`);
      assert.ok(layout.scrollHeight <= layout.viewportHeight, `the room is taller than the screen: ${JSON.stringify(layout)}`);
    } finally {
      await subject.context().close();
      await other.context().close();
    }
  });
});
