// "Ask to join" and copied /call links, through the UI in real Chromium with the real server: a knocker
// waits in the lobby with no peer connection and nothing of the room on its socket, keeps its place
// across a reload, is turned away plainly or let in with media both ways; a /call link opened in a
// fresh tab shows the lobby, while a reload of a tab in the call goes straight back in.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** Server messages a knocker must never receive: anything about the people in the room or how to reach them. */
const ROOM_ONLY = new Set(['joined', 'resumed', 'peer-joined', 'peer-left', 'peer-presence', 'peer-media', 'description', 'candidate', 'ice-servers', 'sfu-offer', 'sfu-answer', 'chat', 'talking']);
const WAITING = 'Waiting for the host to let you in…';

/** Records the type of every WebSocket message the page receives, across reloads of the page. */
function recordReceived(page: Page): string[] {
  const types: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      types.push(String((JSON.parse(String(payload)) as { type: unknown }).type));
    }),
  );
  return types;
}

const peerConnectionsMade = (page: Page) => page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.length);

describe('ask to join and copied call links in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();
  const contexts: BrowserContext[] = [];
  async function newPage(): Promise<Page> {
    const context = await instrumentedContext(lab.browser);
    contexts.push(context);
    return context.newPage();
  }
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  test('knockers wait with no peer connection and nothing of the room; a reload keeps the place; Deny turns away, Admit lets in with media both ways', async (t) => {
    const alice = await newPage();
    const link = await startNewCall(alice, lab.server.url, 'Alice');
    await pressJoin(alice);
    await waitForCallState(alice, 'waiting');
    await alice.getByRole('button', { name: /^Ask to join: off/ }).click();
    await alice.getByRole('button', { name: /^Ask to join: on/ }).waitFor();

    const bob = await newPage();
    const bobHeard = recordReceived(bob);
    await openLobby(bob, link, 'Bob');
    await bob.getByRole('button', { name: 'Join', exact: true }).click();
    await bob.getByText(WAITING).waitFor();
    const carol = await newPage();
    const carolHeard = recordReceived(carol);
    await openLobby(carol, link, 'Carol');
    await carol.getByRole('button', { name: 'Join', exact: true }).click();
    await carol.getByText(WAITING).waitFor();
    assert.equal(await carol.getByText('You are number 2 in line.').count(), 1);

    const list = alice.getByRole('region', { name: '2 people are asking to join' });
    await list.waitFor();
    assert.deepEqual(await list.getByRole('listitem').allTextContents(), ['BobAdmitDeny', 'CarolAdmitDeny']);

    // Bob reloads: still waiting, still first, and still listed once.
    await bob.reload();
    await bob.getByText(WAITING).waitFor({ timeout: 15_000 });
    await bob.getByText('You are next in line.').waitFor();
    assert.equal(await list.getByRole('listitem').count(), 2);

    await alice.getByRole('button', { name: 'Deny Carol' }).click();
    await carol.getByRole('alert').filter({ hasText: 'The host did not let you in.' }).waitFor();
    await carol.getByRole('button', { name: 'Join', exact: true }).waitFor();
    await alice.getByRole('region', { name: 'Bob is asking to join' }).waitFor();

    assert.equal(await peerConnectionsMade(bob), 0, 'the waiting page made no RTCPeerConnection');
    assert.equal(await peerConnectionsMade(carol), 0, 'the turned-away page made no RTCPeerConnection');
    for (const [who, heard] of [
      ['Bob', bobHeard],
      ['Carol', carolHeard],
    ] as const) {
      assert.ok(heard.includes('knock-waiting'), `${who} knocked: ${heard.join(', ')}`);
      assert.deepEqual(
        heard.filter((type) => ROOM_ONLY.has(type)),
        [],
        `${who} heard nothing of the room`,
      );
    }

    await alice.getByRole('button', { name: 'Admit Bob' }).click();
    await waitForCallState(bob, 'connected', 20_000);
    await waitForCallState(alice, 'connected');
    assert.equal(await alice.getByRole('region', { name: /asking to join/ }).count(), 0, 'nobody waits any more');
    const [a, b] = await Promise.all([expectMediaFlowing(alice, 'Alice'), expectMediaFlowing(bob, 'Bob')]);
    t.diagnostic(`decoded after admission: Alice ${a.framesDecoded} frames, Bob ${b.framesDecoded} frames`);
  });

  test('a copied /call link opens the lobby in a fresh tab; a reload of a tab in the call goes straight back in, even with Ask to join on', async (t) => {
    const alice = await newPage();
    const link = await startNewCall(alice, lab.server.url, 'Alice');
    await pressJoin(alice);
    await waitForCallState(alice, 'waiting');

    const dave = await newPage();
    await dave.goto(`${link}/call`);
    await dave.getByRole('button', { name: 'Join', exact: true }).waitFor();
    assert.equal(new URL(dave.url()).pathname, new URL(link).pathname, 'the address is the lobby’s');
    assert.equal(await dave.locator('.room').count(), 0);
    assert.equal(await peerConnectionsMade(dave), 0);
    await dave.getByLabel('Your name').fill('Dave');
    await pressJoin(dave);
    await waitForCallState(dave, 'connected');
    assert.equal(new URL(dave.url()).pathname, `${new URL(link).pathname}/call`);

    await alice.getByRole('button', { name: /^Ask to join: off/ }).click();
    await alice.getByRole('button', { name: /^Ask to join: on/ }).waitFor();
    const reloadedAt = Date.now();
    await dave.reload();
    await dave.locator('.room').waitFor();
    assert.equal(await dave.getByRole('button', { name: 'Join', exact: true }).count(), 0, 'no lobby on a reload');
    await waitForCallState(dave, 'connected', 20_000);
    t.diagnostic(`back in the call ${Date.now() - reloadedAt} ms after the reload`);
    await Promise.all([expectMediaFlowing(alice, 'Alice'), expectMediaFlowing(dave, 'Dave')]);
  });
});
