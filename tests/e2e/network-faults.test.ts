// Real network faults on a live call: one browser sits in a network namespace of its own whose link
// the test cuts, restores, readdresses, or makes lossy; the server is killed and restarted mid-call.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { expectMediaFlowing, receivedAudioDelay, remoteMedia, timeUntilMoving } from '../support/browsers.ts';
import type { IsolatedHost } from '../support/netns.ts';
import { NetworkLab } from '../support/network-lab.ts';
import { missing } from '../support/requires.ts';
import type { ServerProcess } from '../support/server-process.ts';
import { loadedBound, reportFigure } from '../support/timing.ts';
import { waitForCallState } from '../support/ui.ts';

/**
 * Targets from the issue, reported beside each measured figure: media moving again after a 3 s cut
 * is restored; a permanent cut shown; clients back after a server restart. The tests fail only past
 * loadedBound() of them.
 */
const RESUME_AFTER_RESTORE_TARGET_MS = 5_000;
const LOSS_SHOWN_TARGET_MS = 10_000;
/**
 * Once the video moves again after the cut, the voice must be played about
 * as late as before it: a live jitter buffer holds tens to a few hundred ms,
 * a stale backlog seconds.
 */
const AUDIO_DELAY_AFTER_CUT_MS = 400;
const AUDIO_DELAY_WINDOW_MS = 1_000;
const BACK_ON_SERVER_TARGET_MS = 5_000;
/** How long the link is down in the short-cut test. */
const SHORT_CUT_MS = 3_000;
/**
 * "Frames never stop" while the signaling server restarts: the longest stretch with no new decoded
 * frame should stay under this (a frame is due every ~33 ms) and must stay under loadedBound() of it.
 */
const FRAME_GAP_TARGET_MS = 500;
/** How long the server stays down: longer than that bound, so media that needed the server could not pass. */
const SERVER_DOWN_MS = loadedBound(FRAME_GAP_TARGET_MS) + 500;
const FRAME_SAMPLE_MS = 250;

describe('a call under real network faults', { skip: missing('netns', 'chromium') }, () => {
  let lab: NetworkLab;
  let server: ServerProcess;
  let host: IsolatedHost;

  before(async () => {
    lab = await NetworkLab.start('vanet', 2, { RESUME_SECRET: 'network-faults-test' });
    server = lab.server;
    host = lab.host;
  });
  // A finished test's pages would go on encoding and sending video, slowing every test after it.
  afterEach(() => lab.endCalls());
  after(() => lab?.close());

  const call = () => lab.call();

  async function hangUp(...pages: Page[]): Promise<void> {
    for (const p of pages)
      await p
        .context()
        .close()
        .catch(() => {});
  }

  test('a link cut for 3 seconds: video moves again after the restore, with no user action', async (t) => {
    const { alice, bob } = await call();
    host.cut();
    await bob.waitForTimeout(SHORT_CUT_MS);
    host.restore();
    const restoredAt = Date.now();
    const bound = loadedBound(RESUME_AFTER_RESTORE_TARGET_MS);
    const [bobMoving, aliceMoving] = await Promise.all([timeUntilMoving(bob, bound), timeUntilMoving(alice, bound)]);
    reportFigure(t, "after a 3 s cut, Bob's video moving again after the restore", bobMoving, RESUME_AFTER_RESTORE_TARGET_MS);
    reportFigure(t, "after a 3 s cut, Alice's video moving again after the restore", aliceMoving, RESUME_AFTER_RESTORE_TARGET_MS);
    // Alice's system held what she sent during the cut and released it at the restore: seconds of her
    // voice, which Bob's jitter buffer would otherwise play out, seconds late, long after the restore.
    const bobHearsAliceAfter = await receivedAudioDelay(bob, AUDIO_DELAY_WINDOW_MS);
    t.diagnostic(`Bob plays Alice's voice ${Math.round(bobHearsAliceAfter ?? Number.NaN)} ms late, ${Date.now() - restoredAt} ms after the restore`);
    assert.ok(bobHearsAliceAfter !== undefined && bobHearsAliceAfter < AUDIO_DELAY_AFTER_CUT_MS, `Bob hears Alice ${bobHearsAliceAfter} ms late after the cut`);
    await Promise.all([waitForCallState(alice, 'connected'), waitForCallState(bob, 'connected')]);
    await hangUp(alice, bob);
  });

  test('a link cut for good: the other side says the connection was lost', async (t) => {
    const { alice, bob } = await call();
    const started = Date.now();
    host.cut();
    try {
      await bob.getByText("Alice's connection was lost").waitFor({ timeout: loadedBound(LOSS_SHOWN_TARGET_MS) });
      reportFigure(t, 'permanent cut shown as lost', Date.now() - started, LOSS_SHOWN_TARGET_MS);
      assert.ok(await bob.locator('.stage.remote-lost').count(), 'the frozen last frame is hidden');
    } finally {
      host.restore();
      await hangUp(alice, bob);
    }
  });

  test('the signaling server killed and restarted mid-call: frames never stop, both clients come back, renegotiation works', async (t) => {
    const { alice, bob } = await call();
    let sampling = true;
    /** Per side (Alice, Bob): the longest time between two samples that saw new frames (so never under one sampling period). */
    const longestGapMs = [0, 0];
    const sampler = (async () => {
      let last = await Promise.all([remoteMedia(alice), remoteMedia(bob)]);
      const lastNewFrameAt = [Date.now(), Date.now()];
      while (sampling) {
        await bob.waitForTimeout(FRAME_SAMPLE_MS);
        const now = await Promise.all([remoteMedia(alice), remoteMedia(bob)]);
        const at = Date.now();
        for (const i of [0, 1]) {
          longestGapMs[i] = Math.max(longestGapMs[i]!, at - lastNewFrameAt[i]!);
          if (now[i]!.framesDecoded > last[i]!.framesDecoded) lastNewFrameAt[i] = at;
        }
        last = now;
      }
    })();

    await server.kill();
    await Promise.all([alice, bob].map((p) => p.waitForFunction(() => document.querySelector('.room')?.getAttribute('data-server-link') === 'lost', undefined, { timeout: 10_000 })));
    await bob.waitForTimeout(SERVER_DOWN_MS);
    await server.start();
    const listening = Date.now();
    await Promise.all(
      [alice, bob].map((p) =>
        p.waitForFunction(() => document.querySelector('.room')?.getAttribute('data-server-link') === 'ok', undefined, { timeout: loadedBound(BACK_ON_SERVER_TARGET_MS), polling: 50 }),
      ),
    );
    reportFigure(t, 'both clients back on the restarted server after it listened', Date.now() - listening, BACK_ON_SERVER_TARGET_MS);
    sampling = false;
    await sampler;
    reportFigure(t, `longest stretch without a new frame at Alice's side (sampled every ${FRAME_SAMPLE_MS} ms)`, longestGapMs[0]!, FRAME_GAP_TARGET_MS);
    reportFigure(t, `longest stretch without a new frame at Bob's side (sampled every ${FRAME_SAMPLE_MS} ms)`, longestGapMs[1]!, FRAME_GAP_TARGET_MS);
    assert.ok(
      longestGapMs.every((gap) => gap <= loadedBound(FRAME_GAP_TARGET_MS)),
      `frames stopped for ${longestGapMs.join(' and ')} ms while the server was down for ${SERVER_DOWN_MS} ms`,
    );

    // A full renegotiation (an ICE restart, new offer and answer) through the restarted server.
    const ufrag = (p: Page) => p.evaluate(() => /a=ice-ufrag:(\S+)/.exec((window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().at(-1)!.localDescription!.sdp)?.[1]);
    const before = await Promise.all([ufrag(alice), ufrag(bob)]);
    await alice.evaluate(() => (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().at(-1)!.restartIce());
    await alice.waitForFunction((old) => /a=ice-ufrag:(\S+)/.exec((window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().at(-1)!.remoteDescription!.sdp)?.[1] !== old, before[1], {
      timeout: 25_000,
    });
    const afterRestart = await Promise.all([ufrag(alice), ufrag(bob)]);
    assert.notEqual(afterRestart[0], before[0]);
    assert.notEqual(afterRestart[1], before[1]);
    await Promise.all([expectMediaFlowing(alice, 'Alice after renegotiation', 1000), expectMediaFlowing(bob, 'Bob after renegotiation', 1000)]);
    await hangUp(alice, bob);
  });

  test("one peer's network address replaced: the call recovers through an ICE restart", async (t) => {
    const { alice, bob } = await call();
    const remoteUfrag = () => bob.evaluate(() => /a=ice-ufrag:(\S+)/.exec((window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().at(-1)!.remoteDescription!.sdp)?.[1]);
    const ufragBefore = await remoteUfrag();
    const started = Date.now();
    host.changeAddress();
    // The old path is dead, so recovery must come through an ICE restart (new credentials from Alice).
    // Waiting for that, rather than for "reconnecting" to show, keeps the test true when the restart
    // is fast enough that Bob's side never shows a break at all.
    await bob.waitForFunction((old) => /a=ice-ufrag:(\S+)/.exec((window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().at(-1)!.remoteDescription!.sdp)?.[1] !== old, ufragBefore, {
      timeout: 30_000,
      polling: 100,
    });
    const restarted = Date.now() - started;
    const moving = await timeUntilMoving(bob, 30_000);
    await waitForCallState(bob, 'connected');
    t.diagnostic(`address changed: ICE restarted after ${restarted} ms, video moving again after ${restarted + moving} ms (${moving} ms of it waiting for frames)`);
    assert.notEqual(await remoteUfrag(), ufragBefore, 'recovered through an ICE restart (new credentials)');
    await expectMediaFlowing(alice, 'Alice on her new address', 1000);
    await hangUp(alice, bob);
  });
});
