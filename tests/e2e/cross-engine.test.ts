// Chromium and Firefox call each other, each way round, through the UI.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Evaluator, expectMediaFlowing, instrumentedContext } from '../support/browsers.ts';
import { instrumentedFirefoxPage, joinFromFirefox, waitForFirefoxCallState } from '../support/firefox.ts';
import { serverChromiumAndFirefox } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** For each video receiver of the page's open connections, whether it has a receive transform (the app's stale-frame guard). */
function videoReceiversGuarded(page: Evaluator): Promise<boolean[]> {
  return page.evaluate(() =>
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
      .filter((pc) => pc.connectionState !== 'closed')
      .flatMap((pc) => pc.getReceivers())
      .filter((r) => r.track.kind === 'video')
      .map((r) => Boolean(r.transform)),
  );
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
    // The video each side decodes has passed through its stale-frame guard's worker (stale-frames.ts).
    assert.deepEqual(await videoReceiversGuarded(chrome), [true], 'Chromium guards the video it receives');
    assert.deepEqual(await videoReceiversGuarded(fox), [true], 'Firefox guards the video it receives');
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
    await fox.close();
    await chrome.context().close();
  });
});
