// Chromium and Firefox call each other, each way round, through the UI.
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '@videoapp/server';
import type { Browser as ChromiumBrowser } from 'playwright-core';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { expectMediaFlowing, instrumentedContext, launchChromium } from '../support/browsers.ts';
import { instrumentedFirefoxPage, joinFromFirefox, launchFirefox, waitForFirefoxCallState } from '../support/firefox.ts';
import { missing } from '../support/requires.ts';
import { startTestServer } from '../support/test-server.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

describe('cross-engine calls', { skip: missing('chromium', 'firefox') }, () => {
  let server: RunningServer;
  let chromium: ChromiumBrowser;
  let firefox: FirefoxBrowser;
  before(async () => {
    server = await startTestServer();
    [chromium, firefox] = await Promise.all([launchChromium(), launchFirefox()]);
  });
  after(async () => {
    await firefox?.close();
    await chromium?.close();
    await server?.close();
  });

  test('Chromium calls Firefox', async () => {
    const chrome = await (await instrumentedContext(chromium)).newPage();
    const link = await startNewCall(chrome, server.url, 'Chromium');
    await pressJoin(chrome);
    const fox = await instrumentedFirefoxPage(firefox);
    await joinFromFirefox(fox, link, 'Firefox');
    await Promise.all([waitForCallState(chrome, 'connected'), waitForFirefoxCallState(fox, 'connected')]);
    await Promise.all([expectMediaFlowing(chrome, 'Chromium'), expectMediaFlowing(fox, 'Firefox')]);
    await fox.close();
    await chrome.context().close();
  });

  test('Firefox calls Chromium', async () => {
    const fox = await instrumentedFirefoxPage(firefox);
    await fox.goto(server.url);
    await fox.waitForSelector('button.primary');
    await fox.click('button.primary');
    await fox.waitForSelector('input.room-link');
    const link = await fox.$eval('input.room-link', (el) => (el as HTMLInputElement).value);
    await joinFromFirefox(fox, link, 'Firefox');
    const chrome = await (await instrumentedContext(chromium)).newPage();
    await openLobby(chrome, link, 'Chromium');
    await pressJoin(chrome);
    await Promise.all([waitForCallState(chrome, 'connected'), waitForFirefoxCallState(fox, 'connected')]);
    await Promise.all([expectMediaFlowing(chrome, 'Chromium'), expectMediaFlowing(fox, 'Firefox')]);
    await fox.close();
    await chrome.context().close();
  });
});
