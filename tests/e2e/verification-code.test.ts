// The verification code of a mesh call (issue 15): both ends show the same
// code, another room gives another, a man in the middle makes them differ,
// and a person marked as verified is recognised in the next call.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { RunningServer } from '@videoapp/server';
import type { BrowserContext, Browser as ChromiumBrowser, Page } from 'playwright-core';
import type { Browser as FirefoxBrowser, Page as FirefoxPage } from 'puppeteer-core';
import { expectMediaFlowing, instrumentedContext, launchChromium, mediaPerTile } from '../support/browsers.ts';
import { DtlsInterceptor } from '../support/dtls-interceptor.ts';
import { instrumentedFirefoxPage, joinFromFirefox, launchFirefox, waitForFirefoxCallState } from '../support/firefox.ts';
import { NodeParticipant } from '../support/node-participant.ts';
import { missing } from '../support/requires.ts';
import { startTestServer } from '../support/test-server.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';
import { remoteFingerprints, type ShownVerification, waitForVerification, waitForVerifications } from '../support/verification.ts';
import { until } from '../support/wrtc-peer.ts';

const CODE_FORMAT = /^\d{4} \d{4} \d{4}$/;

describe('verification code', { skip: missing('chromium', 'firefox') }, () => {
  let server: RunningServer;
  let chromium: ChromiumBrowser;
  let firefox: FirefoxBrowser;
  const contexts: BrowserContext[] = [];
  const foxPages: FirefoxPage[] = [];
  before(async () => {
    server = await startTestServer();
    [chromium, firefox] = await Promise.all([launchChromium(), launchFirefox()]);
  });
  afterEach(async () => {
    await Promise.all([...contexts.splice(0).map((c) => c.close()), ...foxPages.splice(0).map((p) => p.close())]);
  });
  after(async () => {
    await firefox?.close();
    await chromium?.close();
    await server?.close();
  });

  /** Ada in Chromium starts a call, Bea in Firefox joins it; both see and hear each other. Returns the code each shows. */
  async function chromiumCallsFirefox(chrome: Page, fox: FirefoxPage, label: string): Promise<[ShownVerification, ShownVerification]> {
    const link = await startNewCall(chrome, server.url, 'Ada');
    await pressJoin(chrome);
    await joinFromFirefox(fox, link, 'Bea');
    await Promise.all([waitForCallState(chrome, 'connected'), waitForFirefoxCallState(fox, 'connected')]);
    await Promise.all([expectMediaFlowing(chrome, `${label}, Chromium`), expectMediaFlowing(fox, `${label}, Firefox`)]);
    return Promise.all([waitForVerification(chrome, `${label}, Chromium`), waitForVerification(fox, `${label}, Firefox`)]);
  }

  test('Chromium and Firefox show the same code, another call another; marked as verified, the next call says "verified before"', async (t) => {
    const context = await instrumentedContext(chromium);
    contexts.push(context);
    const chrome = await context.newPage();
    const fox = await instrumentedFirefoxPage(firefox);
    foxPages.push(fox);

    const [adaFirst, beaFirst] = await chromiumCallsFirefox(chrome, fox, 'first call');
    t.diagnostic(`first call: Chromium ${adaFirst.code}, Firefox ${beaFirst.code}`);
    assert.match(adaFirst.code, CODE_FORMAT);
    assert.equal(adaFirst.code, beaFirst.code, 'both sides read the same code');
    assert.match(adaFirst.text, /Read it to each other; if it differs, someone is listening\./);
    assert.equal(await chrome.getByRole('group', { name: `Verification code: ${adaFirst.code}` }).count(), 1, 'the code is a labelled element');
    assert.deepEqual([adaFirst.trust, beaFirst.trust], ['unverified', 'unverified']);

    // Both read it out, it matched: each marks the other as verified.
    await chrome.getByRole('button', { name: 'Mark as verified' }).click();
    await fox.click('.stage > .verification .verification-mark');
    const [adaMarked, beaMarked] = await Promise.all([waitForVerification(chrome, 'after marking, Chromium'), waitForVerification(fox, 'after marking, Firefox')]);
    assert.deepEqual([adaMarked.trust, beaMarked.trust], ['marked', 'marked']);
    await chrome.getByRole('button', { name: 'Hang up' }).click();
    await fox.waitForSelector('.screen.ended[data-end-reason="peer-hung-up"]', { timeout: 15_000 });

    // The same two browsers in a new room: a new code, and each recognises the other's key.
    const [adaSecond, beaSecond] = await chromiumCallsFirefox(chrome, fox, 'second call');
    t.diagnostic(`second call: Chromium ${adaSecond.code}, Firefox ${beaSecond.code}`);
    assert.equal(adaSecond.code, beaSecond.code, 'both sides read the same code');
    assert.notEqual(adaSecond.code, adaFirst.code, 'another room gives another code');
    assert.deepEqual([adaSecond.trust, beaSecond.trust], ['verified-before', 'verified-before']);
    assert.match(adaSecond.text, /Verified before/);
    assert.match(beaSecond.text, /Verified before/);
  });

  test('a man in the middle terminating DTLS on both sides makes the two codes differ, while both still see each other', async (t) => {
    const interceptor = await DtlsInterceptor.start(server.url);
    t.after(() => interceptor.close());
    const [adaContext, bobContext] = await Promise.all([instrumentedContext(chromium), instrumentedContext(chromium)]);
    contexts.push(adaContext, bobContext);
    const [ada, bob] = await Promise.all([adaContext.newPage(), bobContext.newPage()]);

    const link = await startNewCall(ada, interceptor.url, 'Ada');
    await pressJoin(ada);
    await openLobby(bob, link, 'Bob');
    await pressJoin(bob);
    await Promise.all([waitForCallState(ada, 'connected'), waitForCallState(bob, 'connected')]);
    await Promise.all([expectMediaFlowing(ada, 'Ada'), expectMediaFlowing(bob, 'Bob')]);
    assert.ok(interceptor.bothTerminated, 'each browser is connected to a Node peer in the middle');
    assert.ok(interceptor.intercepted > 0, 'the browsers’ signals went to the man in the middle');

    const [adaSees, bobSees] = await Promise.all([waitForVerification(ada, 'Ada'), waitForVerification(bob, 'Bob')]);
    t.diagnostic(`Ada reads ${adaSees.code}, Bob reads ${bobSees.code}`);
    assert.match(adaSees.code, CODE_FORMAT);
    assert.notEqual(adaSees.code, bobSees.code, 'the codes differ: someone is listening');
    // Each browser's DTLS peer is a different certificate: the two impostors', not each other's.
    const [adaRemote, bobRemote] = await Promise.all([remoteFingerprints(ada), remoteFingerprints(bob)]);
    assert.equal(adaRemote.length, 1);
    assert.equal(bobRemote.length, 1);
    assert.notEqual(adaRemote[0], bobRemote[0]);
  });

  test("in a group each tile shows its person's own code, the same that person reads for us", async (t) => {
    const [adaContext, bobContext] = await Promise.all([instrumentedContext(chromium), instrumentedContext(chromium)]);
    contexts.push(adaContext, bobContext);
    const [ada, bob] = await Promise.all([adaContext.newPage(), bobContext.newPage()]);
    const link = await startNewCall(ada, server.url, 'Ada');
    await pressJoin(ada);
    await openLobby(bob, link, 'Bob');
    await pressJoin(bob);
    // The third person is our engine in Node, with a synthetic camera: a browser's worth of code at a fraction of the CPU.
    const cy = NodeParticipant.join(server.url, new URL(link).pathname.split('/').pop()!, 'Cy');
    t.after(() => cy.leave());
    const [adaSees, bobSees] = await Promise.all([waitForVerifications(ada, 2, 'Ada'), waitForVerifications(bob, 2, 'Bob')]);
    const codeOn = (shown: ShownVerification[], name: string) => shown.find((v) => v.tileName === name)?.code;
    const cyReads = (name: string) => cy.call.participants().find((p) => p.name === name)?.verification?.code;
    await until('Cy to have a code for each of the others', () => Boolean(cyReads('Ada') && cyReads('Bob')), 20_000);
    t.diagnostic(`Ada–Bob ${codeOn(adaSees, 'Bob')}, Ada–Cy ${codeOn(adaSees, 'Cy')}, Bob–Cy ${codeOn(bobSees, 'Cy')}`);

    assert.equal(codeOn(adaSees, 'Bob'), codeOn(bobSees, 'Ada'), 'Ada and Bob read the same code for each other');
    assert.equal(codeOn(adaSees, 'Cy'), cyReads('Ada'), 'Ada and Cy read the same code for each other');
    assert.equal(codeOn(bobSees, 'Cy'), cyReads('Bob'), 'Bob and Cy read the same code for each other');
    assert.equal(new Set([codeOn(adaSees, 'Bob'), codeOn(adaSees, 'Cy'), codeOn(bobSees, 'Cy')]).size, 3, 'every pair has a code of its own');
    assert.equal(await ada.getByRole('group', { name: /^Verification code/ }).count(), 0, 'in a group the call-wide code gives way to the tiles');
    // And the call is a call: Ada's tile of each of the others keeps decoding frames.
    const framesOn = async () => new Map((await mediaPerTile(ada)).map((tile) => [tile.name, tile.framesDecoded]));
    const before = await framesOn();
    let now = before;
    const rose = () => ['Bob', 'Cy'].every((name) => (now.get(name) ?? 0) > (before.get(name) ?? 0));
    const deadline = Date.now() + 15_000;
    while (!rose() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      now = await framesOn();
    }
    assert.ok(rose(), `Ada's tiles decode frames from Bob and Cy: ${JSON.stringify([...now])}`);
  });
});
