// Lighthouse-style installability: the manifest Chromium itself parses, icons of the sizes stores ask for,
// a service worker that controls the page and opens the app shell with the server gone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumArgs, instrumentedContext } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { startTestServer } from '../support/test-server.ts';

/** The icon sizes Chromium's install prompt and Android's splash screen need. */
const REQUIRED_ICON_SIZES = [192, 512];

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.equal(bytes.subarray(1, 4).toString('ascii'), 'PNG', 'not a PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

// Needs no browser, so it runs wherever Chromium is missing too.
test('the manifest and service worker are served with the right types and caching', async () => {
  const server = await startTestServer();
  try {
    const manifest = await fetch(`${server.url}/manifest.webmanifest`);
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('content-type'), 'application/manifest+json');
    const worker = await fetch(`${server.url}/sw.js`);
    assert.equal(worker.status, 200);
    assert.match(worker.headers.get('content-type') ?? '', /^text\/javascript/);
    // Browsers check for a new service worker on every visit only if the script is not kept in the HTTP cache.
    assert.equal(worker.headers.get('cache-control'), 'no-cache');
    assert.match(worker.headers.get('content-security-policy') ?? '', /worker-src 'self'.*manifest-src 'self'/);
  } finally {
    await server.close();
  }
});

describe('installing the app in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();

  test('Chromium parses the manifest without errors and reports no installability errors', async () => {
    // Chromium never offers installation in an incognito window, which every ordinary test context is; a real profile is.
    const profile = mkdtempSync(join(tmpdir(), 'vashell-profile-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs() });
    const page = context.pages()[0] ?? (await context.newPage());
    try {
      await page.goto(lab.server.url);
      await page.evaluate(() => navigator.serviceWorker.ready);
      const cdp = await page.context().newCDPSession(page);
      const parsed = (await cdp.send('Page.getAppManifest')) as { url: string; errors: { message: string }[]; data?: string };
      assert.deepEqual(parsed.errors, [], JSON.stringify(parsed.errors));
      assert.equal(parsed.url, `${lab.server.url}/manifest.webmanifest`);
      const manifest = JSON.parse(parsed.data!) as {
        name: string;
        short_name: string;
        start_url: string;
        display: string;
        theme_color: string;
        icons: { src: string; sizes: string; type: string; purpose?: string }[];
      };
      assert.equal(manifest.name, 'VideoApp');
      assert.ok(manifest.short_name.length <= 12, 'short_name is cut on home screens past 12 characters');
      assert.equal(manifest.start_url, '/');
      assert.equal(manifest.display, 'standalone');
      assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/i);
      for (const size of REQUIRED_ICON_SIZES) {
        const icon = manifest.icons.find((i) => i.type === 'image/png' && i.sizes === `${size}x${size}` && (i.purpose ?? 'any').includes('any'));
        assert.ok(icon, `no ${size}px PNG icon`);
        const response = await fetch(new URL(icon.src, lab.server.url));
        assert.equal(response.headers.get('content-type'), 'image/png');
        assert.deepEqual(pngSize(Buffer.from(await response.arrayBuffer())), { width: size, height: size }, `${icon.src} is not ${size}px`);
      }
      assert.ok(
        manifest.icons.some((i) => i.purpose === 'maskable'),
        'no maskable icon for Android adaptive icons',
      );
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
      assert.deepEqual(installabilityErrors, [], JSON.stringify(installabilityErrors));

      // What iOS reads instead of the manifest.
      const ios = await page.evaluate(() => ({
        touchIcon: document.querySelector<HTMLLinkElement>('link[rel="apple-touch-icon"]')?.href,
        capable: document.querySelector('meta[name="apple-mobile-web-app-capable"]')?.getAttribute('content'),
        viewportFit: document.querySelector('meta[name="viewport"]')?.getAttribute('content')?.includes('viewport-fit=cover'),
      }));
      assert.equal(ios.capable, 'yes');
      assert.equal(ios.viewportFit, true);
      const touchIcon = await fetch(ios.touchIcon!);
      assert.deepEqual(pngSize(Buffer.from(await touchIcon.arrayBuffer())), { width: 180, height: 180 });
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  /** Paths in every shell cache the service worker made. */
  function cachedPaths(page: Page): Promise<string[]> {
    return page.evaluate(async () => {
      const paths: string[] = [];
      for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) paths.push(new URL(request.url).pathname);
      return paths;
    });
  }

  test('the service worker controls the page after a reload, caches only the shell, and opens the app with the server gone', async () => {
    // A server of its own, since this test stops it.
    const doomed = await startTestServer();
    const page = await (await instrumentedContext(lab.browser)).newPage();
    try {
      await page.goto(doomed.url);
      await page.evaluate(() => navigator.serviceWorker.ready);
      await page.reload();
      assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL), `${doomed.url}/sw.js`);

      // Signaling and the API pass the worker by: a room made now reaches the server, and nothing of it is cached.
      const fromWorker: string[] = [];
      page.on('response', (r) => {
        if (r.fromServiceWorker()) fromWorker.push(new URL(r.url()).pathname);
      });
      await page.getByRole('button', { name: 'New call' }).click();
      await page.getByLabel('Your name').waitFor();
      const roomPath = new URL(page.url()).pathname;
      const cached = await cachedPaths(page);
      assert.ok(cached.includes('/') && cached.some((p) => p.endsWith('.js')) && cached.some((p) => p.endsWith('.css')), `shell not cached: ${cached}`);
      assert.deepEqual(
        cached.filter((p) => /^\/(api|ws|r)\b/.test(p)),
        [],
        `cached more than the shell: ${cached}`,
      );
      assert.deepEqual(
        fromWorker.filter((p) => p.startsWith('/api/')),
        [],
        'API answered by the service worker',
      );
      await page.goto('about:blank');

      await doomed.close();
      const home = await page.goto(doomed.url);
      assert.equal(home?.fromServiceWorker(), true);
      await page.getByRole('button', { name: 'New call' }).waitFor();
      // A room link opened offline draws the shell too, which then says what is wrong instead of a browser error page.
      const room = await page.goto(`${doomed.url}${roomPath}`);
      assert.equal(room?.fromServiceWorker(), true);
      await page.getByRole('heading', { name: /offline|reach|server/i }).waitFor();
      console.log(`offline: shell served by the service worker; room link shows "${await page.getByRole('heading').first().textContent()}"`);
    } finally {
      await page.context().close();
      await doomed.close().catch(() => undefined);
    }
  });
});
