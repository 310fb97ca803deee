// The 1:1 call through the UI in real Chromium with fake media: the spine of VideoApp.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectMediaFlowing, instrumentedContext, remoteMedia } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { eventually, loadedBound, reportFigure } from '../support/timing.ts';

/**
 * A call starts small and fast (send-cap.ts, fast start) and must reach the
 * camera's full 1280×720 within this long of its first frame (issue 14); the
 * test fails only past loadedBound() of it.
 */
const FULL_RESOLUTION_TARGET_MS = 5_000;

import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

describe('a 1:1 call in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();

  test('New call, share the link, join from another browser: both sides decode the other, at full resolution within seconds', async (t) => {
    const alice = await (await instrumentedContext(lab.browser)).newPage();
    const bob = await (await instrumentedContext(lab.browser)).newPage();
    const link = await startNewCall(alice, lab.server.url, 'Alice');
    assert.match(link, /\/r\/[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    await pressJoin(alice);
    await waitForCallState(alice, 'waiting');

    await openLobby(bob, link, 'Bob');
    await pressJoin(bob);
    // From Bob's first decoded frame of Alice, read the received frame size until it is the camera's own.
    await eventually(
      'a first frame at Bob',
      () => remoteMedia(bob),
      (m) => m.framesDecoded > 0,
    );
    const firstFrameAt = Date.now();
    const sizes = new Set<string>();
    const full = await eventually(
      'the full 1280×720 at Bob',
      async () => {
        const m = await remoteMedia(bob);
        sizes.add(`${m.frameWidth}×${m.frameHeight}`);
        return m;
      },
      (m) => m.frameHeight >= 720,
      loadedBound(FULL_RESOLUTION_TARGET_MS),
    );
    reportFigure(t, `full resolution after the first frame (received sizes: ${[...sizes].join(', ')})`, Date.now() - firstFrameAt, FULL_RESOLUTION_TARGET_MS);
    assert.equal(full.frameWidth, 1280);
    await waitForCallState(bob, 'connected');
    await waitForCallState(alice, 'connected');
    // Defect 1 of the old app: the remote video must play with no further action.
    const [a, b] = await Promise.all([expectMediaFlowing(alice, 'Alice'), expectMediaFlowing(bob, 'Bob')]);
    assert.ok(a.frameWidth > 0 && b.frameWidth > 0);
    const playing = await bob.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('video.remote')!;
      return { paused: v.paused, width: v.videoWidth };
    });
    assert.deepEqual({ paused: playing.paused, hasPicture: playing.width > 0 }, { paused: false, hasPicture: true });
    await alice.context().close();
    await bob.context().close();
  });
});
