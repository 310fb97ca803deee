/**
 * One signaling server in its own process, so it can be pinned to one core
 * (the runner starts it under `taskset`). Usage: server-process.ts <kind>.
 * Tells its parent the port over IPC, and on request reports its resident
 * memory after two full garbage collections (started with --expose-gc) and a
 * pause for V8 to return the pages they freed.
 *
 * What each kind runs, as shipped:
 * - videoapp: our server, `startServer` with the default configuration (every
 *   production limit on: per-socket rate limit, per-address limits, heartbeat),
 *   logging silenced, in-memory registry.
 * - peerjs: the `peer` package's PeerServer, defaults except `concurrent_limit`
 *   raised from 5,000 to 20,000 (the default would refuse the memory test's clients).
 * - bare / bare-raw: bench/signaling/bare-relay.ts.
 */

import type { AddressInfo } from 'node:net';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { defaultConfig, startServer } from '@videoapp/server';
import { PeerServer } from 'peer';
import { startBareRelay } from './bare-relay.ts';

export type ServerKind = 'videoapp' | 'peerjs' | 'bare' | 'bare-raw';

export interface ServerReady {
  port: number;
}
export interface MemoryReport {
  rss: number;
  heapUsed: number;
  /** Bytes V8 holds per heap space (committed, used or not): tells heap growth from retained objects. */
  spaces: Record<string, number>;
}

async function start(kind: ServerKind): Promise<number> {
  switch (kind) {
    case 'videoapp':
      return (await startServer({ ...defaultConfig(), port: 0, host: '127.0.0.1', logLevel: 'silent' })).port;
    case 'peerjs':
      return new Promise((resolve) => {
        PeerServer({ port: 0, host: '127.0.0.1', concurrent_limit: 20_000 }, (server) => resolve((server.address() as AddressInfo).port));
      });
    case 'bare':
      return (await startBareRelay({ rawForward: false })).port;
    case 'bare-raw':
      return (await startBareRelay({ rawForward: true })).port;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * After a full GC, V8 hands the pages it freed to a background thread that
 * returns them to the OS a moment later; read before that, the resident set
 * still counts them. This long a pause was enough on every run here (the
 * figure stopped moving well before it).
 */
export const MEMORY_SETTLE_MS = 1_000;

/** Resident memory after two full garbage collections, once V8 has returned what they freed. */
async function memory(): Promise<MemoryReport> {
  gc?.();
  gc?.();
  // Live heap right after the collections; the resident set once the freed pages are gone.
  const { heapUsed } = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size]));
  await new Promise((resolve) => setTimeout(resolve, MEMORY_SETTLE_MS));
  return { rss: process.memoryUsage.rss(), heapUsed, spaces };
}

const kind = process.argv[2] as ServerKind;
const port = await start(kind);
process.send!({ port } satisfies ServerReady);
process.on('message', (request: string) => {
  if (request === 'memory') void memory().then((report) => process.send!(report));
  if (request === 'exit') process.exit(0);
  // For profiling memory by hand: BENCH_SERVER_HEAP_SNAPSHOT makes the runner ask for one.
  if (request.startsWith('snapshot ')) process.send!(writeHeapSnapshot(request.slice('snapshot '.length)));
});
process.on('disconnect', () => process.exit(0));
