// A group call through the UI in real Chromium: three people in one room, each connected to each (a mesh).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { GROUP_VIDEO_MAX_BITRATE_BPS, GROUP_VIDEO_MAX_HEIGHT, GROUP_VIDEO_MAX_WIDTH } from '@videoapp/client';
import type { Page } from 'playwright-core';
import { expectEachPeerFlowing, instrumentedContext, mediaPerPeer, type PeerMedia } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;

/** The names on the page's tiles, in order. */
function tileNames(page: Page): Promise<string[]> {
  return page.locator('.tile .tile-name').allTextContents();
}

/** Waits for the encoder to settle under the cap: the first frames may still be at the old size. */
async function sentUnderCap(page: Page, label: string): Promise<PeerMedia[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const list = await mediaPerPeer(page);
    const capped = list.every((p) => p.maxBitrate === GROUP_VIDEO_MAX_BITRATE_BPS && p.sentFrameWidth > 0 && p.sentFrameWidth <= GROUP_VIDEO_MAX_WIDTH && p.sentFrameHeight <= GROUP_VIDEO_MAX_HEIGHT);
    if (capped) return list;
    if (Date.now() > deadline) throw new Error(`${label}: sent video not capped: ${JSON.stringify(list)}`);
    await page.waitForTimeout(250);
  }
}

describe('a group call of three in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();
  before(() => mkdirSync(SCREENSHOTS, { recursive: true }));

  test('three join by the link; each sees and decodes both others; one hangs up and the other two go on', async () => {
    const [alice, bob, carol] = await Promise.all([0, 1, 2].map(async () => (await instrumentedContext(lab.browser)).newPage()));
    const people = [
      { page: alice!, name: 'Alice' },
      { page: bob!, name: 'Bob' },
      { page: carol!, name: 'Carol' },
    ];
    const link = await startNewCall(alice!, lab.server.url, 'Alice');
    await pressJoin(alice!);
    for (const { page, name } of people.slice(1)) {
      await openLobby(page, link, name);
      await pressJoin(page);
    }
    await Promise.all(people.map(({ page }) => waitForCallState(page, 'connected')));

    for (const { page, name } of people) {
      await page.waitForFunction(() => document.querySelectorAll('.remotes.group .tile').length === 2);
      const others = people.filter((p) => p.name !== name).map((p) => p.name);
      assert.deepEqual((await tileNames(page)).sort(), others, `${name}'s tiles`);
      const perPeer = await expectEachPeerFlowing(page, name, 2);
      console.log(`${name} decodes per peer: ${perPeer.map((p) => p.framesDecoded).join(', ')} frames`);
      // Sound plays from one element per person, so a chosen speaker reaches everyone.
      assert.equal(await page.locator('.tile audio').count(), 2);
    }
    for (const { page, name } of people) {
      const sent = await sentUnderCap(page, name);
      console.log(`${name} sends to each: ${sent.map((p) => `${p.sentFrameWidth}x${p.sentFrameHeight} ≤${p.maxBitrate} bps`).join('; ')}`);
    }

    // A phone, upright and sideways: every tile stays on screen, with no sideways scrolling.
    for (const size of [
      { width: 390, height: 844 },
      { width: 844, height: 390 },
    ]) {
      await alice!.setViewportSize(size);
      // Saved for a person to look at, beside the 1:1 screenshots.
      await alice!.screenshot({ path: `${SCREENSHOTS}group-${size.width}x${size.height}.png` });
      const fit = await alice!.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        tiles: [...document.querySelectorAll('.tile')]
          .map((t) => t.getBoundingClientRect())
          .map((r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height })),
      }));
      assert.ok(fit.scrollWidth <= fit.clientWidth, `${size.width}x${size.height}: scrolls sideways (${fit.scrollWidth} > ${fit.clientWidth})`);
      for (const tile of fit.tiles) {
        assert.ok(
          tile.left >= 0 && tile.right <= size.width + 0.5 && tile.top >= 0 && tile.bottom <= size.height + 0.5 && tile.width > 100 && tile.height > 80,
          `${size.width}x${size.height}: tile ${JSON.stringify(tile)}`,
        );
      }
    }

    // Each tile says its own person's trouble in words: Carol's camera, on the tiles the others see of her.
    await carol!.getByRole('button', { name: 'Camera off' }).click();
    for (const { page } of people.slice(0, 2)) {
      await page.locator('.tile', { hasText: 'Carol' }).locator('.tile-status', { hasText: 'Camera off' }).waitFor();
      assert.equal(await page.locator('.tile', { hasNotText: 'Carol' }).locator('.tile-status').textContent(), '', 'the other tile, whose camera is on, says nothing');
    }

    await carol!.getByRole('button', { name: 'Hang up' }).click();
    for (const { page, name } of people.slice(0, 2)) {
      await page.waitForFunction(() => document.querySelectorAll('.tile').length === 1);
      assert.deepEqual(await tileNames(page), [name === 'Alice' ? 'Bob' : 'Alice']);
      await page.getByText('Carol left the call.').waitFor();
    }
    for (const { page, name } of people.slice(0, 2)) {
      const [left] = await expectEachPeerFlowing(page, `${name} after Carol left`, 1);
      assert.equal(await page.locator('.room').getAttribute('data-call-state'), 'connected', `${name}'s call goes on`);
      // Back to 1:1: the cap is lifted.
      assert.equal(left!.maxBitrate, undefined, `${name}'s cap lifted`);
      assert.equal(left!.scaleResolutionDownBy ?? 1, 1);
      console.log(`${name} after Carol left: ${left!.framesDecoded} frames from the one peer left, sending ${left!.sentFrameWidth}x${left!.sentFrameHeight}`);
    }
    assert.equal(await carol!.locator('[data-end-reason]').getAttribute('data-end-reason'), 'hung-up');
    await Promise.all(people.map(({ page }) => page.context().close()));
  });
});
