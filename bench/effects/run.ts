/**
 * `npm run bench:effects` (also part of `npm run bench`): what each effect on our own media costs
 * the person who sends it, measured in one run on this machine.
 *
 * - CPU: one sending Chromium (its own browser, so its whole process tree — renderer, audio
 *   service, GPU — is what is counted) in a 1:1 call with a second Chromium; the effect is switched
 *   off and on through the UI, WINDOWS windows each, interleaved (off, on, off, on…), and the
 *   ratio is the median CPU with it on over the median with it off. The sender's camera is a
 *   person in front of a bookshelf (tests/support/fake-person-camera.ts), for background blur.
 * - Frame rates in each window: the sender's own picture as its self view shows it (for blur,
 *   the processed track) and the picture the other side decodes.
 * - Bytes: the first page (home) as the browser fetches it, and how many of those bytes are the
 *   effect's (should be 0: its code loads only when used); then the effect's files as fetched
 *   when it starts (its lazy chunk, worklet, wasm).
 *
 * To measure another effect, add an entry to EFFECTS.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumArgs, expectMediaFlowing, instrumentedContext, remoteMedia, videoFramesShown } from '../../tests/support/browsers.ts';
import { fakePersonCameraFile } from '../../tests/support/fake-person-camera.ts';
import { startTestServer } from '../../tests/support/test-server.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../../tests/support/ui.ts';
import { cpuSecondsTagged } from '../sfu/participant.ts';
import { ratio, round, summarize, table } from '../stats.ts';

export interface Effect {
  name: string;
  /** Switches the effect on or off in the call, through its control, and resolves once it runs (or is off). */
  set(page: Page, on: boolean): Promise<void>;
  /** URL path prefixes of the files only this effect loads. */
  files: string[];
}

/** How long an effect may take to start (loading its files, warming up) on a loaded machine. */
const EFFECT_START_TIMEOUT_MS = 60_000;

export const EFFECTS: Effect[] = [
  {
    name: 'noise suppression',
    set: async (page, on) => {
      const toggle = page.getByRole('switch', { name: 'Noise suppression' });
      if (!(await toggle.isVisible())) await page.locator('[data-control=devices]').click();
      if ((await toggle.isChecked()) !== on) await toggle.click();
      await page.getByText(on ? 'On: background noise is taken out of your voice.' : 'Off: background noise is sent as your microphone hears it.').waitFor({ timeout: EFFECT_START_TIMEOUT_MS });
    },
    files: ['/assets/lazy/noise-suppressor-', '/effects/rnnoise'],
  },
  {
    name: 'background blur',
    set: async (page, on) => {
      const control = page.locator('[data-control=blur]');
      if ((await control.getAttribute('aria-pressed')) !== String(on)) await control.click();
      // Running and too slow is still running: the figures then show why.
      const states = on ? ['on', 'too-slow'] : ['off'];
      await page.waitForFunction((wanted) => wanted.includes(document.querySelector('.room')?.getAttribute('data-blur') ?? ''), states, { timeout: EFFECT_START_TIMEOUT_MS });
    },
    files: ['/assets/lazy/background-blur-', '/assets/lazy/blur-worker-', '/effects/tflite', '/effects/selfieSegmentationModel'],
  },
];

export interface EffectsPlan {
  windows: number;
  windowMs: number;
}
export const FULL_EFFECTS_PLAN: EffectsPlan = { windows: 4, windowMs: 10_000 };
export const QUICK_EFFECTS_PLAN: EffectsPlan = { windows: 1, windowMs: 3_000 };

export interface EffectResult {
  effect: Effect;
  /** Sending browser's CPU, in cores, per window. */
  cpuOff: number[];
  cpuOn: number[];
  /** Frames a second of the sender's self view, and decoded by the other side, per window. */
  shownFpsOff: number[];
  shownFpsOn: number[];
  receivedFpsOff: number[];
  receivedFpsOn: number[];
  /** The first page's files (home, with the service worker's install), their bytes, and how many of those bytes are this effect's. */
  firstPagePaths: string[];
  firstPageBytes: number;
  firstPageEffectBytes: number;
  /** The effect's files as fetched when it started: path → bytes. */
  lazyFiles: Record<string, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const webDist = fileURLToPath(new URL('../../packages/web/dist/', import.meta.url));

/**
 * The built files the context's pages fetch, by URL path, with their sizes as our server sends
 * them (read from packages/web/dist: it serves those bytes as they are). The page itself is `/`.
 */
function recordFetchedFiles(context: BrowserContext): Map<string, number> {
  const files = new Map<string, number>();
  context.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    const file = join(webDist, path === '/' ? 'index.html' : path);
    if (!path.startsWith('/r/') && existsSync(file) && statSync(file).isFile()) files.set(path, statSync(file).size);
  });
  return files;
}

const effectBytes = (bytes: Map<string, number>, effect: Effect) => [...bytes].filter(([path]) => effect.files.some((prefix) => path.startsWith(prefix)));

export async function runEffectsBench(plan: EffectsPlan, log: (line: string) => void): Promise<EffectResult[]> {
  const server = await startTestServer();
  const tag = `vaeffects-${randomBytes(4).toString('hex')}`;
  const sender = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: chromiumArgs({ extra: [`--class=${tag}`, `--use-file-for-fake-video-capture=${fakePersonCameraFile()}`] }),
  });
  const listener = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs() });
  const results: EffectResult[] = [];
  try {
    for (const effect of EFFECTS) {
      const context = await instrumentedContext(sender);
      const bytes = recordFetchedFiles(context);
      const alice = await context.newPage();
      await alice.goto(server.url);
      await alice.waitForLoadState('networkidle');
      const firstPagePaths = [...bytes.keys()];
      const firstPageBytes = [...bytes.values()].reduce((a, b) => a + b, 0);
      const firstPageEffectBytes = effectBytes(bytes, effect).reduce((a, [, b]) => a + b, 0);
      const link = await startNewCall(alice, server.url, 'Alice');
      await pressJoin(alice);
      const bobContext = await instrumentedContext(listener);
      const bob = await bobContext.newPage();
      await openLobby(bob, link, 'Bob');
      await pressJoin(bob);
      await Promise.all([waitForCallState(alice, 'connected', 30_000), waitForCallState(bob, 'connected', 30_000)]);
      const setEffect = async (on: boolean) => {
        await effect.set(alice, on);
        await expectMediaFlowing(bob, `Bob with ${effect.name} ${on ? 'on' : 'off'}`, 500);
      };
      const figures = { cpuOff: [] as number[], cpuOn: [] as number[], shownFpsOff: [] as number[], shownFpsOn: [] as number[], receivedFpsOff: [] as number[], receivedFpsOn: [] as number[] };
      for (let w = 0; w < plan.windows; w++) {
        for (const on of [false, true]) {
          await setEffect(on);
          const [shown0, received0] = [(await videoFramesShown(alice)).local ?? 0, (await remoteMedia(bob)).framesDecoded];
          const before = cpuSecondsTagged(tag);
          const started = Date.now();
          await sleep(plan.windowMs);
          const seconds = (Date.now() - started) / 1000;
          const cores = (cpuSecondsTagged(tag) - before) / seconds;
          const shownFps = (((await videoFramesShown(alice)).local ?? 0) - shown0) / seconds;
          const receivedFps = ((await remoteMedia(bob)).framesDecoded - received0) / seconds;
          figures[on ? 'cpuOn' : 'cpuOff'].push(cores);
          figures[on ? 'shownFpsOn' : 'shownFpsOff'].push(shownFps);
          figures[on ? 'receivedFpsOn' : 'receivedFpsOff'].push(receivedFps);
          log(`  ${effect.name} ${on ? 'on ' : 'off'}: sending browser ${(cores * 100).toFixed(0)}% of a core; self view ${shownFps.toFixed(1)} fps, received ${receivedFps.toFixed(1)} fps`);
        }
      }
      const lazyFiles = Object.fromEntries(effectBytes(bytes, effect));
      results.push({ effect, ...figures, firstPagePaths, firstPageBytes, firstPageEffectBytes, lazyFiles });
      await Promise.all([context.close(), bobContext.close()]);
    }
  } finally {
    await Promise.all([sender.close(), listener.close()]);
    await server.close();
  }
  return results;
}

/** The table rows of the results, one per effect. */
export function effectsTableRows(results: EffectResult[]): string[][] {
  return [
    ['effect (sending browser)', 'CPU off (% core)', 'CPU on (% core)', 'on / off', 'self view fps off → on', 'received fps off → on', 'first page B (of it the effect)', 'lazily loaded B'],
    ...results.map((r) => {
      const off = summarize(r.cpuOff).median;
      const on = summarize(r.cpuOn).median;
      const fps = (offs: number[], ons: number[]) => `${round(summarize(offs).median)} → ${round(summarize(ons).median)}`;
      const lazy = Object.values(r.lazyFiles).reduce((a, b) => a + b, 0);
      return [
        r.effect.name,
        round(off * 100),
        round(on * 100),
        ratio(on, off),
        fps(r.shownFpsOff, r.shownFpsOn),
        fps(r.receivedFpsOff, r.receivedFpsOn),
        `${r.firstPageBytes} (${r.firstPageEffectBytes})`,
        `${lazy} (${Object.keys(r.lazyFiles).length} files)`,
      ];
    }),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  console.log(`Effects on our own media (${quick ? 'quick' : 'full'} run)`);
  const results = await runEffectsBench(quick ? QUICK_EFFECTS_PLAN : FULL_EFFECTS_PLAN, console.log);
  console.log(table(effectsTableRows(results)));
  for (const r of results) console.log(`  first page (${r.effect.name} run): ${r.firstPagePaths.join(', ')}`);
  for (const r of results)
    console.log(
      `  ${r.effect.name} loaded lazily: ${Object.entries(r.lazyFiles)
        .map(([path, b]) => `${path} ${b} B`)
        .join(', ')}`,
    );
  process.exit(0);
}
