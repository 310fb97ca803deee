import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { INSTRUMENT } from './browsers.ts';
import { FIREFOX_PATH } from './requires.ts';

/**
 * Debian's Firefox ESR over WebDriver BiDi, with fake camera and microphone and no permission prompts.
 * `env` is added to its environment (e.g. PULSE_SERVER, for a test that needs Web Audio to run).
 */
export function launchFirefox(options: { env?: Record<string, string> } = {}): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
      'media.autoplay.blocking_policy': 0,
      'media.autoplay.block-webaudio': false,
      // No reaching out to the internet from a sandbox without one.
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'browser.safebrowsing.update.enabled': false,
      'app.update.enabled': false,
    },
  });
}

export async function instrumentedFirefoxPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument('globalThis.__name = (f) => f;');
  await page.evaluateOnNewDocument(INSTRUMENT);
  return page;
}

/** In Firefox, as a person would: open the link, type a name, press Join, wait for the room. */
export async function joinFromFirefox(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.waitForSelector('#display-name');
  await page.$eval('#display-name', (el) => ((el as HTMLInputElement).value = ''));
  await page.type('#display-name', name);
  await page.click('form.join button[type=submit]');
  await page.waitForSelector('[data-call-state]');
}

export async function waitForFirefoxCallState(page: Page, state: string, timeoutMs = 15_000): Promise<void> {
  await page.waitForFunction((s) => document.querySelector('.room')?.getAttribute('data-call-state') === s, { timeout: timeoutMs, polling: 50 }, state);
}
