// The engine's move between the mesh and the SFU in a real Chromium, against in-page stand-ins for
// the server, a mesh peer and the SFU (tests/support/sfu-stand-in.ts): the picture shown for a
// person moves to the new transport only once it decodes there, the old connections close after,
// and the shown picture never goes long without a new frame. Real Janus: the server's tests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { instrumentedContext } from '../support/browsers.ts';
import { openEnginePage } from '../support/engine-page.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { joinStandInRoom, watchShownFrames } from '../support/sfu-stand-in.ts';

/** The goal for the longest frame gap across a switch is 300 ms; a loaded two-core machine gets this much. */
const GAP_BOUND_MS = 1_000;
const SAMPLE_MS = 50;

function waitForTransport(page: Page, transport: string): Promise<unknown> {
  return page.waitForFunction((t) => (window as unknown as { call: import('@videoapp/client').Call }).call.peerList()[0]?.transport === t, transport, { timeout: 20_000, polling: 50 });
}

/** How many of the engine's own connections are open and in use (the stand-ins' are not counted, nor a spare mesh link waiting for a newcomer). */
function openConnections(page: Page): Promise<number> {
  return page.evaluate(
    () => (window as unknown as { enginePcs: RTCPeerConnection[] }).enginePcs.filter((pc) => pc.connectionState !== 'closed' && pc.signalingState !== 'closed' && pc.remoteDescription !== null).length,
  );
}

describe('moving between mesh and SFU in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();

  test('mesh → SFU → mesh, make-before-break, with the shown picture never stalling long', async (t) => {
    const page = await openEnginePage(await instrumentedContext(lab.browser, { bypassCSP: true }), lab.server.url);
    await joinStandInRoom(page, 'mesh');
    await waitForTransport(page, 'mesh');
    await page.waitForFunction(() => (window as unknown as { call: import('@videoapp/client').Call }).call.state.kind === 'connected', undefined, { timeout: 20_000 });
    assert.equal(await openConnections(page), 1, 'one mesh link');

    const toSfu = await watchShownFrames(page, 'ada1', SAMPLE_MS);
    await page.evaluate(() => (window as unknown as { standIn: { deliver(m: unknown): void } }).standIn.deliver({ type: 'media-route', route: 'sfu' }));
    await waitForTransport(page, 'sfu');
    await page.waitForFunction(() => (window as unknown as { call: import('@videoapp/client').Call }).call.mediaRoute.kind === 'settled', undefined, { timeout: 5_000 });
    await page.waitForTimeout(1_500);
    const sfuGap = await toSfu();
    assert.equal(await openConnections(page), 2, 'the mesh link closed after the switch: one publisher, one subscriber');
    const encodings = await page.evaluate(() =>
      (window as unknown as { enginePcs: RTCPeerConnection[] }).enginePcs
        .filter((pc) => pc.connectionState !== 'closed')
        .flatMap((pc) => pc.getSenders())
        .find((s) => s.track?.kind === 'video')
        ?.getParameters()
        .encodings.map((e) => e.rid ?? '-'),
    );

    const toMesh = await watchShownFrames(page, 'ada1', SAMPLE_MS);
    await page.evaluate(() => {
      const standIn = (window as unknown as { standIn: { deliver(m: unknown): void; resetMesh(): void } }).standIn;
      standIn.resetMesh();
      standIn.deliver({ type: 'media-route', route: 'mesh' });
    });
    await waitForTransport(page, 'mesh');
    await page.waitForFunction(() => (window as unknown as { call: import('@videoapp/client').Call }).call.mediaRoute.kind === 'settled', undefined, { timeout: 5_000 });
    await page.waitForTimeout(1_500);
    const meshGap = await toMesh();
    const { sent, errors } = await page.evaluate(() => (window as unknown as { standIn: { sent: string[]; errors: string[] } }).standIn);
    assert.ok(sent.includes('sfu-leave'), 'told the server it needs the SFU no more');
    assert.equal(await openConnections(page), 1, 'back to one mesh link');
    assert.deepEqual(errors, []);
    t.diagnostic(
      `longest gap in the shown picture: to the SFU ${sfuGap.longestGapMs} ms (${sfuGap.samples} samples), back to the mesh ${meshGap.longestGapMs} ms; publisher encodings after negotiation: ${encodings}`,
    );
    assert.ok(sfuGap.longestGapMs <= GAP_BOUND_MS, `to the SFU: ${sfuGap.longestGapMs} ms without a frame`);
    assert.ok(meshGap.longestGapMs <= GAP_BOUND_MS, `back to the mesh: ${meshGap.longestGapMs} ms without a frame`);
  });
});
