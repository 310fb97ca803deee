// Chromium and Firefox call each other, each way round, through the UI.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VIDEO_GUARDED_MARK } from '../../packages/web/src/frame-worker.ts';
import { type Evaluator, expectMediaFlowing, instrumentedContext } from '../support/browsers.ts';
import { instrumentedFirefoxPage, joinFromFirefox, waitForFirefoxCallState } from '../support/firefox.ts';
import { serverChromiumAndFirefox } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/**
 * The video receivers of the page's open connections, and how many of them
 * have had frames pass through their stale-frame guard (the app marks each
 * one's first frame: frame-worker.ts). A transform attached too late is
 * there but sees no frame (Chromium, on the offering side).
 */
function videoGuarding(page: Evaluator): Promise<{ receivers: number; guarded: number }> {
  return page.evaluate((mark: string) => {
    const receivers = (window as unknown as { __callPcs: () => RTCPeerConnection[] })
      .__callPcs()
      .flatMap((pc) => pc.getReceivers())
      .filter((r) => r.track.kind === 'video').length;
    return { receivers, guarded: performance.getEntriesByName(mark).length };
  }, VIDEO_GUARDED_MARK);
}

/**
 * Both sides' video passes through their guards: the joining side offers, the other answers, so one
 * test checks each role. Marks stay for the page's life, so a link replaced while joining (a glare,
 * say) may have left one more mark than there are receivers now; none is the failure.
 */
async function expectVideoGuarded(chrome: Evaluator, fox: Evaluator): Promise<void> {
  for (const [page, browser] of [
    [chrome, 'Chromium'],
    [fox, 'Firefox'],
  ] as const) {
    const { receivers, guarded } = await videoGuarding(page);
    assert.equal(receivers, 1, `${browser} receives one video`);
    assert.ok(guarded >= receivers, `the video ${browser} receives passes through its stale-frame guard (${guarded} marked)`);
  }
}

describe('cross-engine calls', { skip: missing('chromium', 'firefox') }, () => {
  const lab = serverChromiumAndFirefox();

  test('Chromium calls Firefox', async () => {
    const chrome = await (await instrumentedContext(lab.browser)).newPage();
    const link = await startNewCall(chrome, lab.server.url, 'Chromium');
    await pressJoin(chrome);
    const fox = await instrumentedFirefoxPage(lab.firefox);
    await joinFromFirefox(fox, link, 'Firefox');
    await Promise.all([waitForCallState(chrome, 'connected'), waitForFirefoxCallState(fox, 'connected')]);
    await Promise.all([expectMediaFlowing(chrome, 'Chromium'), expectMediaFlowing(fox, 'Firefox')]);
    await expectVideoGuarded(chrome, fox);
    await fox.close();
    await chrome.context().close();
  });

  test('Firefox calls Chromium', async () => {
    const fox = await instrumentedFirefoxPage(lab.firefox);
    await fox.goto(lab.server.url);
    await fox.waitForSelector('button.primary');
    await fox.click('button.primary');
    await fox.waitForSelector('input.room-link');
    const link = await fox.$eval('input.room-link', (el) => (el as HTMLInputElement).value);
    await joinFromFirefox(fox, link, 'Firefox');
    const chrome = await (await instrumentedContext(lab.browser)).newPage();
    await openLobby(chrome, link, 'Chromium');
    await pressJoin(chrome);
    await Promise.all([waitForCallState(chrome, 'connected'), waitForFirefoxCallState(fox, 'connected')]);
    await Promise.all([expectMediaFlowing(chrome, 'Chromium'), expectMediaFlowing(fox, 'Firefox')]);
    await expectVideoGuarded(chrome, fox);
    await fox.close();
    await chrome.context().close();
  });
});
