// A flood of requests for paths that do not exist must not grow the server: the app is read once at start,
// and an unknown path is answered without keeping anything for it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { after, before, test } from 'node:test';
import { freePort } from '../support/free-port.ts';
import { ServerProcess } from '../support/server-process.ts';

const FLOOD_REQUESTS = 60_000;
const CONCURRENCY = 32;
/** What the old per-path cache grew by here was ~50 MB; the allocator's own slack is a few. */
const ALLOWED_GROWTH_MB = 8;

function residentMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

function get(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function flood(port: number, count: number, pathOf: (i: number) => string): Promise<Map<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const status = await get(port, pathOf(next++), agent);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  agent.destroy();
  return statuses;
}

let server: ServerProcess;
before(async () => {
  server = new ServerProcess(await freePort(), { LOG_LEVEL: 'warn' });
  await server.start();
});
after(() => server.kill());

test(`${FLOOD_REQUESTS} requests for distinct unknown paths leave resident memory within ${ALLOWED_GROWTH_MB} MB`, async (t) => {
  // Warm up with the same kind of request, so what is measured is growth, not the first allocations.
  await flood(server.port, 5_000, (i) => `/warm-${i}.js`);
  const before = residentMb(server.pid);
  const statuses = await flood(server.port, FLOOD_REQUESTS, (i) => `/no-such-file-${i}-${'x'.repeat(i % 200)}.js`);
  const afterFlood = residentMb(server.pid);
  assert.deepEqual([...statuses], [[404, FLOOD_REQUESTS]]);
  t.diagnostic(`resident memory ${before.toFixed(1)} MB before, ${afterFlood.toFixed(1)} MB after`);
  assert.ok(afterFlood - before < ALLOWED_GROWTH_MB, `grew by ${(afterFlood - before).toFixed(1)} MB`);
  // The app itself is still served, and app routes still get the app shell.
  assert.equal(await get(server.port, '/r/abcd-efgh-jkmn-pqrs', new Agent()), 200);
  assert.equal(await get(server.port, '/manifest.webmanifest', new Agent()), 200);
});
