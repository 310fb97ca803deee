import { after, before } from 'node:test';
import type { RunningServer, ServerConfig } from '@videoapp/server';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browsers.ts';
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
