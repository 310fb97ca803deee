// axe-core, the standard automated accessibility check, over every screen of the app in real Chromium, at a
// desktop and a phone size: home, lobby, waiting room, a connected 1:1 room (with the chat and devices panels,
// the reaction picker and a raised hand the host can lower), and a group room of three. No serious or critical
// violation may remain. WCAG 2.5.3 "label in name" is an experimental rule in axe, so it is switched on here:
// a button whose spoken name does not contain its visible words cannot be pressed by voice ("click Mute").
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { instrumentedContext } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
/** The impacts this test refuses; axe's "moderate" and "minor" are left to review. */
const REFUSED_IMPACTS = ['serious', 'critical'];

interface Finding {
  where: string;
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/** Runs axe-core over the page as it is now, at each size; returns the serious and critical violations. */
async function scan(page: Page, screen: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const size of SIZES) {
    await page.setViewportSize(size);
    // Let the layout (and the tile grid's resize observer) settle at the new size.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }
      ).axe;
      const result = await axe.run(document, { rules: { 'label-content-name-mismatch': { enabled: true } }, resultTypes: ['violations'] });
      return result.violations.map((v) => ({ rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
    });
    findings.push(...violations.filter((v) => REFUSED_IMPACTS.includes(v.impact)).map((v) => ({ where: `${screen} (${size.name})`, ...v })));
  }
  return findings;
}

describe('accessibility of every screen, checked by axe-core (Chromium)', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();
  let contexts: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of contexts) await context.close();
    contexts = [];
  });

  async function newPage(): Promise<Page> {
    // Our CSP allows no inline script; the test's own injection of axe-core is let through.
    const context = await instrumentedContext(lab.browser, { bypassCSP: true });
    contexts.push(context);
    return context.newPage();
  }

  test('home, lobby, waiting room, a 1:1 call with its panels, and a group of three: no serious or critical violation at desktop and phone sizes', async (t) => {
    const findings: Finding[] = [];
    const screens: string[] = [];
    const check = async (page: Page, screen: string) => {
      screens.push(screen);
      findings.push(...(await scan(page, screen)));
    };
    const alice = await newPage();
    await alice.goto(lab.server.url);
    await alice.getByRole('button', { name: 'New call' }).waitFor();
    await check(alice, 'home');
    // The check itself: a control labelled as the call controls were before this fix is caught.
    await alice.evaluate(() => {
      const probe = document.createElement('button');
      probe.id = 'axe-probe';
      probe.textContent = 'Mute';
      probe.setAttribute('aria-label', 'Turn microphone off');
      document.body.append(probe);
    });
    const caught = await scan(alice, 'probe');
    await alice.evaluate(() => document.getElementById('axe-probe')?.remove());
    assert.ok(
      caught.some((f) => f.rule === 'label-content-name-mismatch' && f.targets.includes('#axe-probe')),
      `a button showing "Mute" but named "Turn microphone off" must be caught: ${JSON.stringify(caught)}`,
    );
    const link = await startNewCall(alice, lab.server.url, 'Alice');
    await check(alice, 'lobby');
    await pressJoin(alice);
    await waitForCallState(alice, 'waiting');
    await check(alice, 'waiting room');

    const bob = await newPage();
    await openLobby(bob, link, 'Bob');
    await pressJoin(bob);
    await Promise.all([alice, bob].map((page) => waitForCallState(page, 'connected', 20_000)));
    await check(alice, 'connected 1:1 room');
    await alice.getByRole('button', { name: 'Chat' }).click();
    await alice.getByRole('dialog', { name: 'Chat' }).waitFor();
    await check(alice, '1:1 room, chat open');
    await alice.getByRole('button', { name: 'Devices' }).click();
    await alice.getByRole('dialog', { name: 'Devices' }).waitFor();
    await check(alice, '1:1 room, devices open');
    await alice.keyboard.press('Escape');
    await bob.getByRole('button', { name: 'Raise hand' }).click();
    await alice.getByRole('button', { name: 'Lower hand of Bob' }).waitFor();
    await alice.getByRole('button', { name: 'React' }).click();
    await alice.getByRole('group', { name: 'Reactions' }).waitFor();
    await check(alice, '1:1 room, a hand raised, reactions open');
    await check(bob, '1:1 room, own hand raised');

    const carol = await newPage();
    await openLobby(carol, link, 'Carol');
    await pressJoin(carol);
    await waitForCallState(carol, 'connected', 20_000);
    await alice.waitForFunction(() => document.querySelectorAll('.remotes.group .tile').length === 2, undefined, { timeout: 20_000 });
    await check(alice, 'group of three (host)');
    await check(carol, 'group of three');

    t.diagnostic(`${screens.length} screens × ${SIZES.length} sizes checked; ${findings.length} serious or critical violations`);
    assert.deepEqual(
      findings.map((f) => `${f.where}: ${f.rule} (${f.impact}) ${f.help} — ${f.targets.join(', ')}`),
      [],
      'serious or critical accessibility violations',
    );
  });
});
