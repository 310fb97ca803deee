// Glare: both sides renegotiate at the same instant, again and again; perfect negotiation must settle every collision.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext, remoteMedia } from '../support/browsers.ts';
import { joinWithEngine, openEnginePage, waitForEngineState } from '../support/engine-page.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { createRoom } from '../support/ws-client.ts';

/**
 * Enough collisions to show perfect negotiation settles every one (each run is an ICE restart of
 * about two seconds on a loaded machine; the unit tests of the negotiation cover the orderings).
 */
const RUNS = 10;
/**
 * Both pages fire this long after the test tells them to, at the same wall-clock instant. It must
 * cover telling both pages, which a loaded machine can make slow; a page told too late fires at
 * once, and the run counts as late.
 */
const SYNC_LEAD_MS = 250;
const POLL_MS = 100;

/** Schedules an ICE restart (a full offer/answer renegotiation) at wall-clock time `at`; resolves with the time to spare (negative: late). */
function renegotiateAt(page: Page, at: number): Promise<number> {
  return page.evaluate((t) => {
    const call = (window as unknown as { call: import('@videoapp/client').Call }).call;
    const spare = t - Date.now();
    setTimeout(() => call.restartIce(), spare);
    return spare;
  }, at);
}

/** The ICE username fragment of this side's one open link: an ICE restart changes it on both sides. */
function localUfrag(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const pc = (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs()[0];
    return /a=ice-ufrag:(\S+)/.exec(pc?.localDescription?.sdp ?? '')?.[1];
  });
}

/** True once this side's renegotiation is over: the one link is `stable`, connected, and on new ICE credentials. */
function settled(page: Page, ufragBefore: string | undefined): Promise<boolean> {
  return page.evaluate((old) => {
    const pcs = (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs();
    const ufrag = /a=ice-ufrag:(\S+)/.exec(pcs[0]?.localDescription?.sdp ?? '')?.[1];
    return pcs.length === 1 && pcs[0]!.signalingState === 'stable' && pcs[0]!.connectionState === 'connected' && ufrag !== old;
  }, ufragBefore);
}

describe('glare in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();

  test(`${RUNS} simultaneous renegotiations in a row each end stable with media flowing both ways`, async (t) => {
    const contextOptions = { bypassCSP: true };
    const a = await openEnginePage(await instrumentedContext(lab.browser, contextOptions), lab.server.url);
    const b = await openEnginePage(await instrumentedContext(lab.browser, contextOptions), lab.server.url);
    const roomId = await createRoom(lab.server.url);
    await joinWithEngine(a, roomId, 'A');
    await waitForEngineState(a, 'waiting');
    await joinWithEngine(b, roomId, 'B');
    await Promise.all([waitForEngineState(a, 'connected'), waitForEngineState(b, 'connected')]);
    await Promise.all([expectMediaFlowing(a, 'A', 300), expectMediaFlowing(b, 'B', 300)]);

    let lateRuns = 0;
    for (let run = 1; run <= RUNS; run++) {
      const before = await Promise.all([remoteMedia(a), remoteMedia(b)]);
      const ufrags = await Promise.all([localUfrag(a), localUfrag(b)]);
      const at = Date.now() + SYNC_LEAD_MS;
      const spare = await Promise.all([renegotiateAt(a, at), renegotiateAt(b, at)]);
      if (spare.some((ms) => ms < 0)) lateRuns++;
      const deadline = Date.now() + 10_000;
      for (;;) {
        await a.waitForTimeout(POLL_MS);
        const [sa, sb] = await Promise.all([settled(a, ufrags[0]), settled(b, ufrags[1])]);
        const now = await Promise.all([remoteMedia(a), remoteMedia(b)]);
        const flowing =
          now[0].framesDecoded > before[0].framesDecoded &&
          now[1].framesDecoded > before[1].framesDecoded &&
          now[0].audioPacketsReceived > before[0].audioPacketsReceived &&
          now[1].audioPacketsReceived > before[1].audioPacketsReceived;
        if (sa && sb && flowing) break;
        assert.ok(Date.now() < deadline, `run ${run}: not settled (stable, connected and on new ICE credentials: A=${sa} B=${sb}; media flowing=${flowing})`);
      }
    }

    const collisions = await Promise.all(
      [a, b].map((p) =>
        p.evaluate(() => {
          const call = (window as unknown as { call: import('@videoapp/client').Call }).call;
          return call.peerList().reduce((n, peer) => n + call.collisions(peer.id), 0);
        }),
      ),
    );
    t.diagnostic(`glare: ${RUNS} runs (${lateRuns} with a page told too late to fire with the other), offer collisions seen A=${collisions[0]} B=${collisions[1]}`);
    // Both sides offering at once must actually have collided, or this test proved nothing about glare.
    assert.ok(collisions[0]! + collisions[1]! >= RUNS / 2, `only ${collisions} collisions in ${RUNS} runs`);
  });
});
