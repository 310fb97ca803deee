// Raise hand, reactions and picture-in-picture through the UI in real Chromium: three people in a call
// whose media is seen flowing; a raised hand reaches both others (tile mark, ordered list, spoken line),
// the host lowers one, its owner the other; a reaction floats over its sender's tile for everyone. Pop out
// opens a Document PiP window with our controls, or (on a page without it) the video element's own.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { expectEachPeerFlowing, instrumentedContext } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** Generous on a loaded machine: each wait is for one relayed message and a re-render. */
const UI_TIMEOUT_MS = 10_000;

/** The names in the raised-hands list, in order ([] while it is hidden). */
function raisedHands(page: Page): Promise<string[]> {
  return page.locator('.raised-hands:not([hidden]) .raised-hand-name').allTextContents();
}

/** Waits until the page's list of raised hands reads `names`. */
async function waitForHands(page: Page, names: string[], label: string): Promise<void> {
  const deadline = Date.now() + UI_TIMEOUT_MS;
  for (;;) {
    const now = await raisedHands(page);
    if (JSON.stringify(now) === JSON.stringify(names)) return;
    if (Date.now() > deadline) assert.deepEqual(now, names, label);
    await page.waitForTimeout(100);
  }
}

/** Waits until the screen-reader live region has said `text`. */
function waitForSaid(page: Page, text: string): Promise<unknown> {
  return page.locator('.announcer p', { hasText: text }).first().waitFor({ state: 'attached', timeout: UI_TIMEOUT_MS });
}

function tileOf(page: Page, name: string) {
  return page.locator('.tile', { has: page.locator('.tile-name', { hasText: name }) });
}

/** Makes a page without Document Picture-in-Picture (as Safari and older Chromium are), before the app loads. */
const HIDE_DOCUMENT_PIP = () => {
  Object.defineProperty(window, 'documentPictureInPicture', { value: undefined, configurable: true });
};

/** Page helpers, installed in every page: Document PiP's API, and the frames a video has presented (-1 for none). */
const PIP_HELPERS = () => {
  const w = window as unknown as Record<string, unknown>;
  w.documentPip = () => (window as unknown as { documentPictureInPicture?: { window: Window | null } }).documentPictureInPicture;
  // The PiP window's video belongs to another realm: no instanceof.
  w.framesIn = (video: Element | null | undefined) => (video && 'getVideoPlaybackQuality' in video ? (video as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames : -1);
};
declare function documentPip(): { window: Window | null } | undefined;
declare function framesIn(video: Element | null | undefined): number;

describe('raise hand, reactions and picture-in-picture (Chromium)', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();
  let contexts: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of contexts) await context.close();
    contexts = [];
  });

  /** People in one call, joined through the UI by the link, everyone connected. The first created the room (the host). */
  async function callOf(names: string[], prepare: (context: BrowserContext, i: number) => Promise<unknown> = () => Promise.resolve()): Promise<Page[]> {
    contexts = await Promise.all(names.map(() => instrumentedContext(lab.browser)));
    await Promise.all(
      contexts.map(async (context, i) => {
        await context.addInitScript(PIP_HELPERS);
        await prepare(context, i);
      }),
    );
    const pages = await Promise.all(contexts.map((c) => c.newPage()));
    const link = await startNewCall(pages[0]!, lab.server.url, names[0]);
    await pressJoin(pages[0]!);
    for (const [i, page] of pages.entries()) {
      if (i === 0) continue;
      await openLobby(page, link, names[i]!);
      await pressJoin(page);
    }
    await Promise.all(pages.map((page) => waitForCallState(page, 'connected', 20_000)));
    return pages;
  }

  test('hands go up in order and down by the host or their owner; a reaction floats for everyone; all of it is said; Pop out plays the speaker and closes', async (t) => {
    // Carol's page lacks Document PiP, as Safari's does: her Pop out takes the video element's own picture-in-picture.
    const [alice, bob, carol] = (await callOf(['Alice', 'Bob', 'Carol'], (context, i) => (i === 2 ? context.addInitScript(HIDE_DOCUMENT_PIP) : Promise.resolve()))) as [Page, Page, Page];
    for (const [page, name] of [
      [alice, 'Alice'],
      [bob, 'Bob'],
      [carol, 'Carol'],
    ] as const)
      await expectEachPeerFlowing(page, name, 2, 1000);

    const raisedAt = Date.now();
    await bob.getByRole('button', { name: 'Raise hand' }).click();
    await Promise.all([alice, carol].map((page) => tileOf(page, 'Bob').locator('.tile-hand', { hasText: 'Hand raised' }).waitFor({ timeout: UI_TIMEOUT_MS })));
    t.diagnostic(`Bob's raised hand shown on both others' tiles after ${Date.now() - raisedAt} ms`);
    // Carol by the keyboard shortcut, after Bob: everyone's list keeps that order.
    await carol.locator('body').press('r');
    await waitForHands(alice, ['Bob', 'Carol'], "Alice's list");
    await waitForHands(bob, ['You', 'Carol'], "Bob's list");
    await waitForHands(carol, ['Bob', 'You'], "Carol's list");
    await waitForSaid(alice, 'Bob raised their hand');
    await waitForSaid(alice, 'Carol raised their hand');
    await waitForSaid(bob, 'Carol raised their hand');
    await waitForSaid(carol, 'You raised your hand');
    assert.equal(await carol.locator('[data-control=hand]').getAttribute('aria-pressed'), 'true', "Carol's control says her hand is up");
    assert.equal(await bob.locator('.lower-hand').count(), 1, 'Bob (not the host) may lower only his own hand');

    // Bob asked his system for less motion: his reactions fade in place rather than rise.
    await bob.emulateMedia({ reducedMotion: 'reduce' });
    await carol.getByRole('button', { name: 'React' }).click();
    await carol.getByRole('button', { name: 'Applause' }).click();
    for (const [page, motion] of [
      [alice, 'reaction-rise'],
      [bob, 'reaction-fade'],
    ] as const) {
      const float = tileOf(page, 'Carol').locator('.reaction-float[data-emoji="👏"]');
      await float.waitFor({ state: 'attached', timeout: UI_TIMEOUT_MS });
      assert.equal(await float.evaluate((el) => getComputedStyle(el).animationName), motion);
      await waitForSaid(page, 'Carol reacted 👏');
    }
    await carol.locator('.self-reactions .reaction-float[data-emoji="👏"]').waitFor({ state: 'attached', timeout: UI_TIMEOUT_MS });

    // The host lowers Bob's hand from the list.
    await alice.getByRole('button', { name: 'Lower hand of Bob' }).click();
    await waitForSaid(bob, 'Alice lowered your hand');
    await waitForSaid(carol, "Alice lowered Bob's hand");
    await Promise.all([alice, bob, carol].map((page, i) => waitForHands(page, [i === 2 ? 'You' : 'Carol'], 'after the host lowered Bob')));
    assert.equal(await tileOf(carol, 'Bob').getAttribute('data-hand'), 'down');
    await bob.getByRole('button', { name: 'Raise hand' }).waitFor({ timeout: UI_TIMEOUT_MS });

    // Carol lowers her own with the control.
    await carol.locator('[data-control=hand]').click();
    await waitForSaid(alice, 'Carol lowered their hand');
    await Promise.all([alice, bob, carol].map((page) => waitForHands(page, [], 'after Carol lowered hers')));
    assert.equal(await tileOf(alice, 'Carol').getAttribute('data-hand'), 'down');

    // Picture-in-picture of the speaker: Alice's Chromium opens a Document PiP window with our own controls.
    assert.equal(await alice.evaluate(() => 'documentPictureInPicture' in window), true, 'this Chromium has Document Picture-in-Picture');

    const alicePops = alice.getByRole('button', { name: 'Pop out' });
    await alicePops.click();
    await alice.waitForFunction(() => documentPip()?.window?.document.querySelector('video') != null, undefined, { timeout: UI_TIMEOUT_MS });
    assert.equal(await alicePops.getAttribute('aria-pressed'), 'true');
    const before = await alice.evaluate(() => framesIn(documentPip()!.window!.document.querySelector('video')));
    await alice.waitForFunction((n) => framesIn(documentPip()?.window?.document.querySelector('video')) > n + 10, before, { timeout: UI_TIMEOUT_MS });
    const after = await alice.evaluate(() => framesIn(documentPip()!.window!.document.querySelector('video')));
    t.diagnostic(`Document PiP window: the speaker's picture presented ${after - before} frames while watched`);
    assert.deepEqual(await alice.evaluate(() => [...documentPip()!.window!.document.querySelectorAll('nav button')].map((b) => b.textContent)), ['Mute', 'Camera off', 'Hang up']);
    // Its Mute acts on the call: the room's own control says so, and the small window's button changes its words.
    await alice.evaluate(() => (documentPip()!.window!.document.querySelector('nav button') as HTMLButtonElement).click());
    await alice.getByRole('button', { name: 'Unmute' }).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await alice.evaluate(() => documentPip()!.window!.document.querySelector('nav button')!.textContent), 'Unmute');
    await alicePops.click();
    await alice.waitForFunction(() => !documentPip()?.window, undefined, { timeout: UI_TIMEOUT_MS });
    assert.equal(await alicePops.getAttribute('aria-pressed'), 'false');

    const carolPops = carol.getByRole('button', { name: 'Pop out' });
    await carolPops.click();
    await carol.waitForFunction(() => document.pictureInPictureElement?.matches('.tile video') === true, undefined, { timeout: UI_TIMEOUT_MS });
    const carolBefore = await carol.evaluate(() => framesIn(document.pictureInPictureElement));
    await carol.waitForFunction((n) => framesIn(document.pictureInPictureElement) > n + 10, carolBefore, { timeout: UI_TIMEOUT_MS });
    t.diagnostic(`element PiP: the speaker's picture presented ${(await carol.evaluate(() => framesIn(document.pictureInPictureElement))) - carolBefore} frames while watched`);
    await carolPops.click();
    await carol.waitForFunction(() => document.pictureInPictureElement === null, undefined, { timeout: UI_TIMEOUT_MS });
    assert.equal(await carolPops.getAttribute('aria-pressed'), 'false');
  });
});
