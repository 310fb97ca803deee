// A call over https:// with the certificate the server generated for itself, as a phone on the LAN would make it.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '@videoapp/server';
import type { Browser } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext, launchChromium } from '../support/browsers.ts';
import { missing } from '../support/requires.ts';
import { startHttpsTestServer } from '../support/test-server.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

describe('HTTPS in Chromium', { skip: missing('chromium') }, () => {
  let server: RunningServer;
  let browser: Browser;
  before(async () => {
    server = await startHttpsTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the server speaks HTTPS with its own certificate, which a browser refuses until told to accept it', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const cert = new X509Certificate(server.tls!.cert);
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkHost('localhost'), 'localhost');
    const strict = await browser.newContext();
    try {
      await assert.rejects((await strict.newPage()).goto(server.url), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await strict.close();
    }
  });

  test('two browsers complete a call over https:// and wss://, with remote frames decoded on both sides', async () => {
    const ada = await (await instrumentedContext(browser, { ignoreHTTPSErrors: true })).newPage();
    const bob = await (await instrumentedContext(browser, { ignoreHTTPSErrors: true })).newPage();
    const sockets: string[] = [];
    for (const page of [ada, bob]) page.on('websocket', (ws) => sockets.push(ws.url()));
    try {
      const link = await startNewCall(ada, server.url, 'Ada');
      assert.ok(link.startsWith(`${server.url}/r/`), link);
      assert.equal(await ada.evaluate(() => window.isSecureContext), true);
      await pressJoin(ada);
      await openLobby(bob, link, 'Bob');
      await pressJoin(bob);
      await Promise.all([waitForCallState(ada, 'connected'), waitForCallState(bob, 'connected')]);
      const [seenByAda, seenByBob] = await Promise.all([expectMediaFlowing(ada, 'ada over https'), expectMediaFlowing(bob, 'bob over https')]);
      console.log(`frames decoded over https: ada ${seenByAda.framesDecoded}, bob ${seenByBob.framesDecoded}`);
      assert.ok(sockets.length >= 2 && sockets.every((u) => u.startsWith('wss://')), `signaling sockets: ${sockets.join(', ')}`);
    } finally {
      await ada.context().close();
      await bob.context().close();
    }
  });
});
