import { after, before } from 'node:test';
import type { RunningServer, ServerConfig } from '@videoapp/server';
import type { Browser } from 'playwright-core';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { launchChromium } from './browsers.ts';
import { launchFirefox } from './firefox.ts';
import { startTestServer } from './test-server.ts';

export interface ServerAndChromium {
  readonly server: RunningServer;
  readonly browser: Browser;
}

/**
 * Registers hooks that start the real server and one Chromium before the
 * tests of the enclosing file or suite, and stop both after them.
 */
export function serverAndChromium(overrides: Partial<ServerConfig> = {}): ServerAndChromium {
  const lab: { server?: RunningServer; browser?: Browser } = {};
  before(async () => {
    lab.server = await startTestServer(overrides);
    lab.browser = await launchChromium();
  });
  after(async () => {
    await lab.browser?.close();
    await lab.server?.close();
  });
  return {
    get server() {
      return lab.server!;
    },
    get browser() {
      return lab.browser!;
    },
  };
}

export interface ServerChromiumAndFirefox extends ServerAndChromium {
  readonly firefox: FirefoxBrowser;
}

/** As serverAndChromium, with a Firefox beside the Chromium (over WebDriver BiDi, see firefox.ts), for cross-engine tests. */
export function serverChromiumAndFirefox(overrides: Partial<ServerConfig> = {}): ServerChromiumAndFirefox {
  const lab: { server?: RunningServer; browser?: Browser; firefox?: FirefoxBrowser } = {};
  before(async () => {
    lab.server = await startTestServer(overrides);
    [lab.browser, lab.firefox] = await Promise.all([launchChromium(), launchFirefox()]);
  });
  after(async () => {
    await lab.firefox?.close();
    await lab.browser?.close();
    await lab.server?.close();
  });
  return {
    get server() {
      return lab.server!;
    },
    get browser() {
      return lab.browser!;
    },
    get firefox() {
      return lab.firefox!;
    },
  };
}
