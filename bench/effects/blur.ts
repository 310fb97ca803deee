/**
 * Background blur's cost on this machine: CPU time of the sending browser
 * (every Chromium process: page, worker, GPU emulation) with blur off and on,
 * the frame rate of the blurred preview, the bytes the first page fetches for
 * blur (should be none) and the bytes loaded lazily when blur is switched on.
 * The CPU figures are a ratio of two windows measured one after the other in
 * the same browser, so the machine's other load weighs on both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { instrumentedContext, launchChromium } from '../../tests/support/browsers.ts';
import { fakePersonCameraFile } from '../../tests/support/fake-person-camera.ts';
import { startTestServer } from '../../tests/support/test-server.ts';
import { startNewCall } from '../../tests/support/ui.ts';

export interface BlurFigures {
  /** CPU seconds of the browser per wall second, blur off and on. */
  cpuOff: number;
  cpuOn: number;
  /** cpuOn / cpuOff. */
  cpuRatio: number;
  /** Frames a second the blurred preview showed. */
  previewFps: number;
  /** Bytes the first page fetched for blur before it was switched on. */
  firstPageBlurBytes: number;
  /** Bytes fetched once blur was switched on (code, worker, runtime, model). */
  lazyBytes: number;
  /** From the switch to the first blurred frame. */
  startMs: number;
}

/** How long each CPU window lasts. */
const WINDOW_MS = 10_000;
/** Settling time before a window, after a change. */
const SETTLE_MS = 3_000;
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds of every process descended from this one (the browser Playwright started). */
function browserCpuSeconds(): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended while we looked.
    }
  }
  const isOurs = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, t] of ticks) if (isOurs(pid)) total += t;
  return total / CLOCK_TICKS_PER_SECOND;
}

async function cpuPerSecond(page: Page): Promise<number> {
  const cpu0 = browserCpuSeconds();
  const t0 = Date.now();
  await page.waitForTimeout(WINDOW_MS);
  return (browserCpuSeconds() - cpu0) / ((Date.now() - t0) / 1000);
}

export async function measureBlur(): Promise<BlurFigures> {
  const server = await startTestServer();
  const browser = await launchChromium({ extra: [`--use-file-for-fake-video-capture=${fakePersonCameraFile()}`] });
  try {
    const page = await (await instrumentedContext(browser)).newPage();
    let blurOn = false;
    let firstPageBlurBytes = 0;
    let lazyBytes = 0;
    page.on('response', (response) => {
      void response.body().then(
        (body) => {
          if (blurOn) lazyBytes += body.length;
          else if (/blur|selfie/.test(response.url())) firstPageBlurBytes += body.length;
        },
        () => {},
      );
    });
    await startNewCall(page, server.url, 'Ada');
    await page.waitForFunction(() => (document.querySelector('video.preview') as HTMLVideoElement | null)?.readyState === 4);
    await page.waitForTimeout(SETTLE_MS);
    const cpuOff = await cpuPerSecond(page);

    blurOn = true;
    const started = Date.now();
    await page.getByLabel('Blur background').check();
    await page.waitForFunction(() => document.querySelector('.blur-status')?.getAttribute('data-blur') === 'on', null, { timeout: 120_000 });
    const startMs = Date.now() - started;
    await page.waitForTimeout(SETTLE_MS);
    const frames = () => page.evaluate(() => (document.querySelector('video.preview') as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames);
    const frames0 = await frames();
    const t0 = Date.now();
    const cpuOn = await cpuPerSecond(page);
    const previewFps = ((await frames()) - frames0) / ((Date.now() - t0) / 1000);
    return { cpuOff, cpuOn, cpuRatio: cpuOn / cpuOff, previewFps, firstPageBlurBytes, lazyBytes, startMs };
  } finally {
    await browser.close();
    await server.close();
  }
}
