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

export interface ServerChromiumAndFirefox extends ServerAndChromium {
  readonly firefox: FirefoxBrowser;
}

/**
 * Registers hooks that start the real server and one Chromium before the
 * tests of the enclosing file or suite, and stop both after them.
 */
export function serverAndChromium(overrides: Partial<ServerConfig> = {}): ServerAndChromium {
  return lab(overrides, false);
}

/** As serverAndChromium, with a Firefox beside the Chromium (over WebDriver BiDi, see firefox.ts), for cross-engine tests. */
export function serverChromiumAndFirefox(overrides: Partial<ServerConfig> = {}): ServerChromiumAndFirefox {
  return lab(overrides, true);
}

/** The hooks of both: the browsers start side by side, and everything stops in reverse order. */
function lab(overrides: Partial<ServerConfig>, withFirefox: boolean): ServerChromiumAndFirefox {
  const parts: { server?: RunningServer; browser?: Browser; firefox?: FirefoxBrowser } = {};
  before(async () => {
    parts.server = await startTestServer(overrides);
    [parts.browser, parts.firefox] = await Promise.all([launchChromium(), withFirefox ? launchFirefox() : undefined]);
  });
  after(async () => {
    await parts.firefox?.close();
    await parts.browser?.close();
    await parts.server?.close();
  });
  return {
    get server() {
      return parts.server!;
    },
    get browser() {
      return parts.browser!;
    },
    get firefox() {
      if (!parts.firefox) throw new Error('this lab has no Firefox (see serverChromiumAndFirefox)');
      return parts.firefox;
    },
  };
}
