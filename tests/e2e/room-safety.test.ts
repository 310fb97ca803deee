// In real Chromium: a hostile display name renders as text, and the passcode and lock work through the UI.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { instrumentedContext } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** Markup that would run script or draw an image if it were ever parsed as HTML (64 characters, the name limit). */
const HOSTILE_NAME = '<img src=x onerror=__xss=1><script>__xss=2</script><b>&amp;</b>';

async function newPage(browser: Browser): Promise<Page> {
  return (await instrumentedContext(browser)).newPage();
}

describe('room safety in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();

  test('a display name full of HTML and script shows as literal text on the other side', async () => {
    assert.ok(HOSTILE_NAME.length <= 64);
    const alice = await newPage(lab.browser);
    const bob = await newPage(lab.browser);
    const link = await startNewCall(alice, lab.server.url, 'Alice');
    await pressJoin(alice);
    await waitForCallState(alice, 'waiting');
    await openLobby(bob, link, HOSTILE_NAME);
    await pressJoin(bob);
    await waitForCallState(alice, 'connected');
    // Hanging up shows Alice a heading naming Bob: the place his name is shown.
    await bob.getByRole('button', { name: 'Hang up' }).click();
    const heading = alice.locator('[data-end-reason="peer-hung-up"] h1');
    await heading.waitFor();
    assert.equal(await heading.textContent(), `${HOSTILE_NAME} ended the call`);
    const injected = await alice.evaluate(() => ({
      xss: (window as unknown as { __xss?: number }).__xss,
      elements: document.querySelectorAll('main img, main script, main b').length,
    }));
    assert.deepEqual(injected, { xss: undefined, elements: 0 });
    await alice.context().close();
    await bob.context().close();
  });

  test('a passcode set by the creator is asked in the lobby, a wrong one is refused, and the host can lock the room', async () => {
    const alice = await newPage(lab.browser);
    await alice.goto(lab.server.url);
    await alice.getByLabel('Passcode (optional)').fill('kingfisher 7');
    await alice.getByRole('button', { name: 'New call' }).click();
    await alice.getByLabel('Your name').fill('Alice');
    const link = await alice.getByRole('textbox', { name: 'Call link' }).inputValue();
    // The creator is never asked for the passcode it set.
    assert.equal(await alice.getByLabel('Passcode', { exact: true }).count(), 0);
    await pressJoin(alice);
    await waitForCallState(alice, 'waiting');

    const bob = await newPage(lab.browser);
    await openLobby(bob, link, 'Bob');
    await bob.getByLabel('Passcode', { exact: true }).fill('kingfisher 8');
    await bob.getByRole('button', { name: 'Join', exact: true }).click();
    await bob.locator('[data-problem="wrong-passcode"]').waitFor({ timeout: 10_000 });
    await bob.getByRole('button', { name: 'Try again' }).click();
    await bob.getByLabel('Passcode', { exact: true }).fill('kingfisher 7');
    await pressJoin(bob);
    await waitForCallState(bob, 'connected');

    // Only the creator has the Lock button.
    assert.equal(await bob.getByRole('button', { name: /Lock room/ }).count(), 0);
    await alice.getByRole('button', { name: /Lock room/ }).click();
    await alice.getByRole('button', { name: /Unlock room/ }).waitFor();

    // Bob steps out (leaving the page, which keeps Alice's call open), so the room is not merely full:
    // a newcomer is turned away because it is locked.
    await bob.goto(`${lab.server.url}/healthz`);
    await waitForCallState(alice, 'peer-left');
    const carol = await newPage(lab.browser);
    await carol.goto(link);
    await carol.locator('[data-problem="room-locked"]').waitFor({ timeout: 10_000 });
    for (const page of [alice, bob, carol]) await page.context().close();
  });
});
