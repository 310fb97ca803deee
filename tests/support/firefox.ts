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

/** Each page's errors and warnings (console and uncaught), for diagnoses. */
const pageProblems = new WeakMap<Page, string[]>();

export async function instrumentedFirefoxPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  const problems: string[] = [];
  pageProblems.set(page, problems);
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));
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
  try {
    await page.waitForSelector('[data-call-state]');
  } catch (error) {
    // Where it stopped instead of the room, for a failure to say more than a timeout.
    const shown = await page.evaluate(() => `${location.href}: ${document.body.innerText.replace(/\s+/g, ' ').slice(0, 400)}`).catch((e: unknown) => String(e));
    throw new Error(`Firefox never showed the room after Join; the page shows ${shown}; it reported ${JSON.stringify(pageProblems.get(page) ?? [])}`, { cause: error });
  }
}

export async function waitForFirefoxCallState(page: Page, state: string, timeoutMs = 15_000): Promise<void> {
  await page.waitForFunction((s) => document.querySelector('.room')?.getAttribute('data-call-state') === s, { timeout: timeoutMs, polling: 50 }, state);
}
