// The old app's four defects, each driven through the UI in real Chromium and shown fixed.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, type TestContext, test } from 'node:test';
import { MAX_ROOM_PEERS, RESUME_GRACE_MS } from '@videoapp/protocol';
import type { RunningServer } from '@videoapp/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { copyStates, expectMediaFlowing, instrumentedContext, launchChromium, trackStates } from '../support/browsers.ts';
import { createIsolatedHost } from '../support/netns.ts';
import { missing } from '../support/requires.ts';
import { startTestServer } from '../support/test-server.ts';
import { loadedBound, reportFigure } from '../support/timing.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';
import { WsTestClient } from '../support/ws-client.ts';

/** The other side should show a hang-up or a closed tab within a second: it is told by a goodbye. */
const LEFT_NOTICE_TARGET_MS = 1_000;
/**
 * The test allows a loaded machine more, but never so much that it could no longer tell the goodbye
 * from its absence: a tab gone without one keeps its place for the whole resume grace.
 */
const LEFT_NOTICE_BOUND_MS = Math.min(loadedBound(LEFT_NOTICE_TARGET_MS), RESUME_GRACE_MS / 2);
/** A peer whose network silently vanished should be shown within 10 s. */
const LOST_NOTICE_TARGET_MS = 10_000;
const LOST_NOTICE_BOUND_MS = loadedBound(LOST_NOTICE_TARGET_MS);

/** Waits until Bob's room shows that Alice left, then reports how long after `started` that was. */
async function leftShown(t: TestContext, bob: Page, started: number): Promise<void> {
  await waitForCallState(bob, 'peer-left', LEFT_NOTICE_BOUND_MS);
  reportFigure(t, 'the other side showed "left"', Date.now() - started, LEFT_NOTICE_TARGET_MS);
}

const allEnded = (states: string[]) => states.length > 0 && states.every((s) => s === 'ended');

describe('the old app defects, fixed', { skip: missing('chromium') }, () => {
  let server: RunningServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const page = async (b: Browser = browser) => {
    const context = await instrumentedContext(b);
    contexts.push(context);
    return context.newPage();
  };

  /** Alice starts a call and Bob joins by the link; both are connected with media flowing. */
  async function connectedPair(): Promise<{ alice: Page; bob: Page; link: string }> {
    const alice = await page();
    const bob = await page();
    const link = await startNewCall(alice, server.url, 'Alice');
    await pressJoin(alice);
    await openLobby(bob, link, 'Bob');
    await pressJoin(bob);
    await Promise.all([waitForCallState(alice, 'connected'), waitForCallState(bob, 'connected')]);
    await expectMediaFlowing(bob, 'Bob', 500);
    return { alice, bob, link };
  }

  before(async () => {
    server = await startTestServer({ host: '0.0.0.0' });
    browser = await launchChromium();
  });
  // A finished test's pages would go on encoding and sending video, slowing every test after it.
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  describe('2 and 3: hanging up releases media on both sides and tells the other side', () => {
    test('hang up', async (t) => {
      const { alice, bob } = await connectedPair();
      const started = Date.now();
      await alice.getByRole('button', { name: 'Hang up' }).click();
      await bob.getByRole('heading', { name: 'Alice ended the call' }).waitFor({ timeout: LEFT_NOTICE_BOUND_MS });
      reportFigure(t, 'Bob saw the hang-up', Date.now() - started, LEFT_NOTICE_TARGET_MS);
      await alice.getByRole('heading', { name: 'You left the call' }).waitFor();
      assert.ok(allEnded(await trackStates(alice)), 'the one who hung up released camera and microphone');
      assert.ok(allEnded(await trackStates(bob)), 'the other person leaving released our camera and microphone');
      // The preview's and the self-view's scaled copies of the camera hold it open too.
      assert.ok(allEnded(await copyStates(alice)) && allEnded(await copyStates(bob)), 'no copy of a camera left running');
    });
  });

  describe('2: every other way out releases camera and microphone', () => {
    test('going back from the lobby', async () => {
      const p = await page();
      await startNewCall(p, server.url);
      assert.deepEqual(await trackStates(p), ['live', 'live']);
      assert.deepEqual(await copyStates(p), ['live'], 'the preview shows a copy of the camera scaled to its size');
      // The level meter follows the (fake, beeping) microphone.
      await p.waitForFunction(() => (document.querySelector<HTMLMeterElement>('meter.mic-level')?.value ?? 0) > 0, null, { timeout: 10_000 });
      await p.goBack();
      await p.getByRole('button', { name: 'New call' }).waitFor();
      assert.deepEqual(await trackStates(p), ['ended', 'ended']);
      assert.deepEqual(await copyStates(p), ['ended']);
    });

    test('going back from the room; the other side sees "left" and keeps waiting', async (t) => {
      const { alice, bob } = await connectedPair();
      const inCall = (await trackStates(alice)).length;
      const started = Date.now();
      await alice.goBack();
      await leftShown(t, bob, started);
      assert.match(await bob.locator('.banner').innerText(), /Alice left the call/);
      await alice.getByRole('button', { name: 'Join', exact: true }).waitFor();
      const states = await trackStates(alice);
      assert.ok(allEnded(states.slice(0, inCall)), `tracks used in the call: ${states.slice(0, inCall)}`);
    });

    test('closing the room by navigating elsewhere', async (t) => {
      const { alice, bob } = await connectedPair();
      const started = Date.now();
      await alice.goto(`${server.url}/healthz`);
      await leftShown(t, bob, started);
      const atExit = JSON.parse((await alice.evaluate(() => sessionStorage.getItem('__tracksAtPagehide'))) ?? '[]') as string[];
      assert.ok(allEnded(atExit), `track states when the page was left: ${atExit}`);
    });

    test('closing the tab tells the other side that Alice left', async (t) => {
      const { alice, bob } = await connectedPair();
      const started = Date.now();
      await alice.close({ runBeforeUnload: true });
      await leftShown(t, bob, started);
    });
  });

  describe('3: a peer whose network silently vanishes', () => {
    test('is shown as interrupted or lost', { skip: missing('netns') }, async (t) => {
      const host = createIsolatedHost('vadef', 1);
      const isolated = await launchChromium({ executablePath: host.chromium, extra: [`--unsafely-treat-insecure-origin-as-secure=http://${host.gateway}:${server.port}`] });
      try {
        const base = `http://${host.gateway}:${server.port}`;
        const alice = await page(isolated);
        const bob = await page();
        const link = await startNewCall(alice, base, 'Alice');
        await pressJoin(alice);
        // Bob opens the same room at loopback, which his browser counts as a secure origin.
        await openLobby(bob, link.replace(base, server.url), 'Bob');
        await pressJoin(bob);
        await waitForCallState(bob, 'connected');
        await expectMediaFlowing(bob, 'Bob', 500);
        const started = Date.now();
        host.cut();
        await waitForCallState(bob, 'reconnecting', LOST_NOTICE_BOUND_MS);
        reportFigure(t, 'silent network loss shown', Date.now() - started, LOST_NOTICE_TARGET_MS);
        assert.match(await bob.locator('.banner').innerText(), /Connection to Alice interrupted|Alice's connection was lost/);
      } finally {
        await isolated.close();
        host.destroy();
      }
    });
  });

  describe('4: each failure says what happened and what to do', () => {
    test('a wrong room code', async () => {
      const p = await page();
      await p.goto(server.url);
      await p.getByLabel('Join with a code or link').fill('zzzz zzzz zzzz zzzz');
      await p.getByRole('button', { name: 'Join', exact: true }).click();
      await p.getByRole('heading', { name: 'No call with that code' }).waitFor();
      assert.match(await p.locator('[data-problem]').innerText(), /Check the code or link/);
      assert.deepEqual(await trackStates(p), [], 'no camera is opened for a room that does not exist');
    });

    test('a code that cannot be a room', async () => {
      const p = await page();
      await p.goto(server.url);
      await p.getByLabel('Join with a code or link').fill('hello');
      await p.getByRole('button', { name: 'Join', exact: true }).click();
      await p.getByText('That is not a room code').waitFor();
    });

    test('a full room', async (t) => {
      const { link } = await connectedPair();
      // The places left after the pair go to socket-only guests, so Carol comes when every place is taken.
      const roomId = new URL(link).pathname.split('/').pop()!;
      const guests = await fillRoom(server.url, roomId, MAX_ROOM_PEERS - 2);
      t.after(() => {
        for (const guest of guests) guest.close();
      });
      const carol = await page();
      await carol.goto(link);
      await carol.getByRole('heading', { name: 'This call is full' }).waitFor();
      assert.deepEqual(await trackStates(carol), []);
    });

    test('being offline', async () => {
      const p = await page();
      await p.goto(server.url);
      await p.context().setOffline(true);
      await p.getByRole('button', { name: 'New call' }).click();
      await p.getByText('You are offline').waitFor();
      await p.context().setOffline(false);
      await p.getByRole('button', { name: 'New call' }).click();
      await p.getByRole('button', { name: 'Join', exact: true }).waitFor();
    });

    test('camera and microphone permission refused', async () => {
      const refusing = await launchChromium({ fakeMediaUi: false });
      try {
        const context = await refusing.newContext();
        await context.addInitScript(() => undefined);
        const p = await context.newPage();
        await p.goto(server.url);
        await p.getByRole('button', { name: 'New call' }).click();
        await p.getByRole('heading', { name: 'Camera and microphone are blocked' }).waitFor();
        assert.match(await p.locator('[data-problem]').innerText(), /address bar/);
        await p.getByRole('button', { name: 'Try again' }).waitFor();
      } finally {
        await refusing.close();
      }
    });

    test('no camera: join with audio only, and the call still connects', async () => {
      const noCamera = await launchChromium({ extra: ['--use-fake-device-for-media-stream=device-count=0'] });
      try {
        const alice = await (await instrumentedContext(noCamera)).newPage();
        const link = await startNewCall(alice, server.url, 'Alice');
        await alice.getByText('No camera found: you will join with audio only.').waitFor();
        await pressJoin(alice);
        const bob = await page();
        await openLobby(bob, link, 'Bob');
        await pressJoin(bob);
        await waitForCallState(alice, 'connected');
        await expectMediaFlowing(alice, 'Alice hears and sees Bob', 1000);
      } finally {
        await noCamera.close();
      }
    });
  });
});

/** `count` greeted socket clients joined to `roomId`, holding places without any media. */
async function fillRoom(serverUrl: string, roomId: string, count: number): Promise<WsTestClient[]> {
  const guests: WsTestClient[] = [];
  for (let i = 0; i < count; i++) {
    const guest = await WsTestClient.greeted(serverUrl);
    guest.send({ type: 'join', roomId, name: `Guest ${i + 1}` });
    await guest.next('joined');
    guests.push(guest);
  }
  return guests;
}
