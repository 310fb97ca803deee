// The remaining ways a person leaves a call: reloading the page (which rejoins) and the browser crashing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { RESUME_GRACE_MS } from '@videoapp/protocol';
import type { Browser, Page } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext, launchChromium } from '../support/browsers.ts';
import { type ServerAndChromium, serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { loadedBound, reportFigure } from '../support/timing.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** A tab going away should be shown within a second (it says goodbye); a crash, with no goodbye, within 10 s. */
const LEFT_NOTICE_TARGET_MS = 1_000;
const CRASH_NOTICE_TARGET_MS = 10_000;
/** Generous for a loaded machine, yet short of the resume grace a tab gone without a goodbye would be given. */
const LEFT_NOTICE_BOUND_MS = Math.min(loadedBound(LEFT_NOTICE_TARGET_MS), RESUME_GRACE_MS / 2);
const CRASH_NOTICE_BOUND_MS = loadedBound(CRASH_NOTICE_TARGET_MS);

async function connectedPair(lab: ServerAndChromium, aliceBrowser: Browser): Promise<{ alice: Page; bob: Page }> {
  const alice = await (await instrumentedContext(aliceBrowser)).newPage();
  const bob = await (await instrumentedContext(lab.browser)).newPage();
  const link = await startNewCall(alice, lab.server.url, 'Alice');
  await pressJoin(alice);
  await openLobby(bob, link, 'Bob');
  await pressJoin(bob);
  await Promise.all([waitForCallState(alice, 'connected'), waitForCallState(bob, 'connected')]);
  return { alice, bob };
}

describe('leaving paths in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();

  test('reloading the room page rejoins the same call; the tracks of the old page are released', async (t) => {
    const { alice, bob } = await connectedPair(lab, lab.browser);
    const roomUrl = alice.url();
    const started = Date.now();
    await alice.reload();
    await waitForCallState(bob, 'peer-left', LEFT_NOTICE_BOUND_MS);
    reportFigure(t, 'the other side showed "left"', Date.now() - started, LEFT_NOTICE_TARGET_MS);
    const atExit = JSON.parse((await alice.evaluate(() => sessionStorage.getItem('__tracksAtPagehide'))) ?? '[]') as string[];
    assert.ok(atExit.length > 0 && atExit.every((s) => s === 'ended'), `old page's tracks at exit: ${atExit}`);
    await Promise.all([waitForCallState(alice, 'connected'), waitForCallState(bob, 'connected')]);
    assert.equal(alice.url(), roomUrl);
    await Promise.all([expectMediaFlowing(alice, 'Alice after reload', 1000), expectMediaFlowing(bob, 'Bob after reload', 1000)]);
    await alice.context().close();
    await bob.context().close();
  });

  test('a browser that crashes is shown as lost', { skip: missing('pkill') }, async (t) => {
    const marker = `vacrash-${randomBytes(4).toString('hex')}`;
    const doomed = await launchChromium({ extra: [`--class=${marker}`] });
    try {
      const { bob } = await connectedPair(lab, doomed);
      const started = Date.now();
      execFileSync('pkill', ['-KILL', '-f', marker]);
      await bob.getByText("Alice's connection was lost").waitFor({ timeout: CRASH_NOTICE_BOUND_MS });
      reportFigure(t, 'a crashed browser shown as lost', Date.now() - started, CRASH_NOTICE_TARGET_MS);
      await bob.context().close();
    } finally {
      await doomed.close().catch(() => {});
    }
  });
});
