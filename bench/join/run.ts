/**
 * Join to first frame, in one headless Chromium (the flags of
 * tests/support/browsers.ts, fake camera and microphone), one page. The page
 * (bench/join/page.ts, which documents what each side does) is served from
 * its own loopback origin; VideoApp's real server and a PeerJS server run in
 * this process. Calls are interleaved floor → VideoApp → PeerJS so a slow
 * patch on the machine hits all three alike; the first `warmup` of each are
 * not counted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '@videoapp/server';
import { build } from 'esbuild';
import { PeerServer } from 'peer';
import { launchChromium } from '../../tests/support/browsers.ts';
import { startTestServer } from '../../tests/support/test-server.ts';
import type { CallTiming } from './page.ts';

export interface JoinPlan {
  warmup: number;
  calls: number;
}

export const JOIN_CONTENDERS = ['floor', 'videoapp', 'peerjs'] as const;
export type JoinContender = (typeof JOIN_CONTENDERS)[number];

/** Both sides' first frame: the call is up when the later of the two shows. */
export const bothSides = (t: CallTiming) => Math.max(t.caller, t.callee);

/**
 * Every call of this run comes from one address within a few minutes, so
 * VideoApp's per-address room and join limits (30 and 60 a minute, there to
 * slow guessing) are raised for it; they are not on the timed path.
 */
const JOIN_BENCH_LIMIT = 10_000;

export async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome100',
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

export async function servePage(script: string): Promise<{ server: Server; origin: string }> {
  const html = '<!doctype html><meta charset="utf-8"><title>join benchmark</title><body><script type="module" src="/page.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/page.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export function startPeerServer(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve) => {
    PeerServer({ port: 0, host: '127.0.0.1' }, (server) => resolve({ port: (server.address() as AddressInfo).port, server: server as Server }));
  });
}

export async function createRoom(videoApp: RunningServer): Promise<string> {
  const res = await fetch(`${videoApp.url}/api/rooms`, { method: 'POST' });
  if (res.status !== 201) throw new Error(`create room: ${res.status}`);
  return ((await res.json()) as { roomId: string }).roomId;
}

export async function runJoin(plan: JoinPlan, log: (line: string) => void): Promise<Record<JoinContender, CallTiming[]>> {
  const page = await servePage(await bundlePage());
  const videoApp = await startTestServer({ allowedOrigins: [page.origin], roomsPerMinutePerAddress: JOIN_BENCH_LIMIT, joinsPerMinutePerAddress: JOIN_BENCH_LIMIT });
  const peer = await startPeerServer();
  const browser = await launchChromium();
  const results: Record<JoinContender, CallTiming[]> = { floor: [], videoapp: [], peerjs: [] };
  try {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const tab = await context.newPage();
    tab.on('pageerror', (err) => log(`  page error: ${err.message}`));
    await tab.goto(page.origin);
    await tab.waitForFunction(() => 'bench' in window);
    const wsUrl = `${videoApp.url.replace('http', 'ws')}/ws`;
    type Bench = { bench: { floor(): Promise<CallTiming>; videoApp(url: string, room: string): Promise<CallTiming>; peerJs(port: number): Promise<CallTiming> } };
    const once: Record<JoinContender, () => Promise<CallTiming>> = {
      floor: () => tab.evaluate(() => (window as unknown as Bench).bench.floor()),
      videoapp: async () => {
        const roomId = await createRoom(videoApp);
        return tab.evaluate(([url, room]) => (window as unknown as Bench).bench.videoApp(url, room), [wsUrl, roomId] as const);
      },
      peerjs: () => tab.evaluate((port) => (window as unknown as Bench).bench.peerJs(port), peer.port),
    };
    for (let i = 0; i < plan.warmup + plan.calls; i++) {
      const line: string[] = [];
      for (const contender of JOIN_CONTENDERS) {
        const timing = await once[contender]();
        if (i >= plan.warmup) results[contender].push(timing);
        line.push(`${contender} ${bothSides(timing).toFixed(0)} ms`);
        // Let the closed connections wind down before the next call starts.
        await tab.waitForTimeout(150);
      }
      log(`  ${i < plan.warmup ? 'warm-up' : `call ${i - plan.warmup + 1}`}: ${line.join(', ')}`);
    }
  } finally {
    await browser.close();
    await videoApp.close();
    peer.server.closeAllConnections();
    await new Promise((resolve) => peer.server.close(resolve));
    page.server.close();
  }
  return results;
}
