import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext, launchChromium } from './browsers.ts';
import { freePort } from './free-port.ts';
import { createIsolatedHost, type IsolatedHost } from './netns.ts';
import { ServerProcess } from './server-process.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from './ui.ts';

/**
 * A call across a network the caller can break: Alice's Chromium runs in a
 * network namespace of its own (whose link can be cut, restored or
 * readdressed), Bob's on this machine, the real server as its own process.
 * Shared by the network-fault tests and the network benchmark.
 */
export class NetworkLab {
  private readonly contexts: BrowserContext[] = [];

  private constructor(
    readonly host: IsolatedHost,
    readonly server: ServerProcess,
    private readonly local: Browser,
    private readonly isolated: Browser,
  ) {}

  /** `tag` and `index` name the namespace and its address range: distinct for labs that may run at the same time. */
  static async start(tag: string, index: number, serverEnv: Record<string, string> = {}): Promise<NetworkLab> {
    const host = createIsolatedHost(tag, index);
    const server = new ServerProcess(await freePort(), { RESUME_SECRET: `${tag}-network-lab-secret`, LOG_LEVEL: 'warn', ...serverEnv });
    try {
      await server.start();
      const local = await launchChromium();
      const isolated = await launchChromium({ executablePath: host.chromium, extra: [`--unsafely-treat-insecure-origin-as-secure=http://${host.gateway}:${server.port}`] });
      return new NetworkLab(host, server, local, isolated);
    } catch (err) {
      await server.kill().catch(() => {});
      host.destroy();
      throw err;
    }
  }

  /** Alice (isolated) starts the call, Bob (on this machine) joins; both see each other. */
  async call(): Promise<{ alice: Page; bob: Page }> {
    const aliceContext = await instrumentedContext(this.isolated);
    const bobContext = await instrumentedContext(this.local);
    this.contexts.push(aliceContext, bobContext);
    const alice = await aliceContext.newPage();
    const bob = await bobContext.newPage();
    const base = `http://${this.host.gateway}:${this.server.port}`;
    const link = await startNewCall(alice, base, 'Alice');
    await pressJoin(alice);
    await openLobby(bob, link.replace(base, this.server.url), 'Bob');
    await pressJoin(bob);
    await Promise.all([waitForCallState(alice, 'connected'), waitForCallState(bob, 'connected')]);
    await Promise.all([expectMediaFlowing(alice, 'Alice', 500), expectMediaFlowing(bob, 'Bob', 500)]);
    return { alice, bob };
  }

  /** Closes every call's pages: a finished call left running would go on encoding video under the next. */
  async endCalls(): Promise<void> {
    for (const c of this.contexts.splice(0)) await c.close().catch(() => {});
  }

  async close(): Promise<void> {
    await this.endCalls();
    await this.isolated.close();
    await this.local.close();
    await this.server.kill();
    this.host.destroy();
  }
}
