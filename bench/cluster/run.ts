/**
 * Several processes through Redis, against one process in memory, measured in one run:
 * - relay latency p50/p99 at a fixed load, with the two members of each pair on the same
 *   process (in memory; through Redis) and on different processes (through Redis);
 * - relayed messages per second, offered well past what one process carries, with one
 *   process and with two (each process's, Redis's and the generator's CPU shown, to say
 *   which part saturates on this two-core machine);
 * - resident memory per idle client, in memory and with Redis (the server's, and Redis's).
 *
 * Servers are the built `main.js` as real processes (tests/support/server-process.ts), the
 * load generator is this process: one WebSocket per member, each message stamped with the
 * time it was sent and timed where it arrives.
 *
 *   npm run bench:cluster             the full run (about three minutes)
 *   npm run bench:cluster -- --quick  a smoke run
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { freePort } from '../../tests/support/free-port.ts';
import { RedisServer } from '../../tests/support/redis-server.ts';
import { ServerProcess } from '../../tests/support/server-process.ts';
import { createRoom } from '../../tests/support/ws-client.ts';
import { quantile, ratio, round, table } from '../stats.ts';

const quick = process.argv.includes('--quick');
/** Pairs exchanging descriptions at the fixed load, and the rate each sends. */
const LATENCY_PAIRS = quick ? 50 : 200;
const LATENCY_RATE_PER_SOCKET = 10;
const LATENCY_MEASURE_MS = quick ? 2_000 : 8_000;
/** Offered load for throughput: each socket stays under the server's per-socket limit (50/s), so only capacity refuses. */
const THROUGHPUT_PAIRS = quick ? 100 : 400;
const THROUGHPUT_RATE_PER_SOCKET = 45;
const THROUGHPUT_MEASURE_MS = quick ? 2_000 : 8_000;
const WARMUP_MS = quick ? 500 : 2_000;
const IDLE_CLIENTS = quick ? 200 : 800;
/** Limits lifted for a load that really does come from one address. */
const LOAD_ENV = { SOCKETS_PER_ADDRESS: '100000', JOINS_PER_MINUTE_PER_ADDRESS: '1000000', ROOMS_PER_MINUTE_PER_ADDRESS: '1000000', LOG_LEVEL: 'warn' };
/** Makes each description about the size of a small real one (JSON-escaped line breaks). */
const PADDING = 'a=x\\r\\n'.repeat(40);

interface Member {
  ws: WebSocket;
  id: string;
}

async function member(url: string, roomId: string, onDescription: (sentAt: number) => void): Promise<Member> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let lastSeq = 0;
  const joined = new Promise<string>((resolve) => {
    ws.on('message', (data) => {
      const text = data.toString();
      const msg = JSON.parse(text) as { type: string; selfId?: string; seq?: number; description?: { sdp: string } };
      if (msg.seq) lastSeq = msg.seq;
      if (msg.type === 'ping') ws.send(`{"type":"pong","ack":${lastSeq}}`);
      else if (msg.type === 'joined') resolve(msg.selfId!);
      else if (msg.type === 'description') onDescription(Number(msg.description!.sdp.slice(7, msg.description!.sdp.indexOf('\r\n', 7))));
    });
  });
  ws.send(JSON.stringify({ type: 'hello', version: 1 }));
  ws.send(JSON.stringify({ type: 'join', roomId, name: 'bench' }));
  return { ws, id: await joined };
}

/** Pairs of members, the first of each on `urls[0]`, the second on `urls[1]`; every arrival is timed. */
async function pairs(urls: [string, string], count: number, latencies: number[]) {
  const made: [Member, Member][] = [];
  const arrived = (sentAt: number) => latencies.push(performance.now() - sentAt);
  for (let i = 0; i < count; i++) {
    const roomId = await createRoom(urls[0]);
    made.push([await member(urls[0], roomId, arrived), await member(urls[1], roomId, arrived)]);
  }
  return made;
}

/** Each member sends `rate` descriptions a second to the other for `ms`, spread evenly. */
async function drive(made: [Member, Member][], rate: number, ms: number): Promise<number> {
  let sent = 0;
  const tick = 1000 / rate;
  const timers = made.flatMap(([a, b], i) =>
    [
      [a, b],
      [b, a],
    ].map(([from, to], j) =>
      // Slightly different periods, so the sockets do not all fire in the same millisecond.
      setInterval(
        () => {
          from!.ws.send(`{"type":"description","to":"${to!.id}","description":{"type":"offer","sdp":"v=0\\r\\ns=${performance.now()}\\r\\n${PADDING}"}}`);
          sent++;
        },
        tick * (1 + ((i * 2 + j) % 7) / 700),
      ),
    ),
  );
  await new Promise((r) => setTimeout(r, ms));
  for (const t of timers) clearInterval(t);
  return sent;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function residentKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]);
}

interface Deployment {
  name: string;
  urls: [string, string];
  pids: number[];
  redis: RedisServer | undefined;
  close(): Promise<void>;
}

async function deploy(name: string, processes: 1 | 2, withRedis: boolean): Promise<Deployment> {
  const redis = withRedis ? await RedisServer.start() : undefined;
  const servers: ServerProcess[] = [];
  for (let i = 0; i < processes; i++) {
    const server = new ServerProcess(await freePort(), { ...LOAD_ENV, ...(redis ? { REDIS_URL: redis.url } : {}), RESUME_SECRET: 'bench-cluster-resume-secret' }, { host: '127.0.0.1' });
    await server.start();
    servers.push(server);
  }
  return {
    name,
    urls: [servers[0]!.url, servers.at(-1)!.url],
    pids: servers.map((s) => s.pid),
    redis,
    async close() {
      for (const s of servers) await s.kill();
      await redis?.close();
    },
  };
}

function closeAll(made: [Member, Member][]) {
  for (const [a, b] of made) {
    a.ws.terminate();
    b.ws.terminate();
  }
}

async function latency(d: Deployment) {
  const latencies: number[] = [];
  const made = await pairs(d.urls, LATENCY_PAIRS, latencies);
  await drive(made, LATENCY_RATE_PER_SOCKET, WARMUP_MS);
  latencies.length = 0;
  const cpuBefore = d.pids.map(cpuSeconds);
  const sent = await drive(made, LATENCY_RATE_PER_SOCKET, LATENCY_MEASURE_MS);
  await new Promise((r) => setTimeout(r, 500));
  const cpu = d.pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - cpuBefore[i]!, 0);
  closeAll(made);
  const sorted = latencies.sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), sent, delivered: latencies.length, serverCpuUsPerMessage: (cpu * 1e6) / latencies.length };
}

async function throughput(d: Deployment) {
  const latencies: number[] = [];
  const made = await pairs(d.urls, THROUGHPUT_PAIRS, latencies);
  await drive(made, THROUGHPUT_RATE_PER_SOCKET, WARMUP_MS);
  latencies.length = 0;
  const redisBefore = d.redis ? cpuSeconds(d.redis.pid) : 0;
  const cpuBefore = d.pids.map(cpuSeconds);
  const generatorBefore = process.cpuUsage();
  const started = performance.now();
  const offered = await drive(made, THROUGHPUT_RATE_PER_SOCKET, THROUGHPUT_MEASURE_MS);
  const elapsed = (performance.now() - started) / 1000;
  const delivered = latencies.length;
  const cpu = d.pids.map((pid, i) => (cpuSeconds(pid) - cpuBefore[i]!) / elapsed);
  const generator = process.cpuUsage(generatorBefore);
  const redisCores = d.redis ? (cpuSeconds(d.redis.pid) - redisBefore) / elapsed : 0;
  closeAll(made);
  return { offeredPerSecond: offered / elapsed, relayedPerSecond: delivered / elapsed, serverCores: cpu, redisCores, generatorCores: (generator.user + generator.system) / 1e6 / elapsed };
}

async function idleMemory(d: Deployment) {
  const before = d.pids.map(residentKb);
  const redisBefore = d.redis ? await redisUsedKb(d.redis) : 0;
  const latencies: number[] = [];
  const made = await pairs(d.urls, IDLE_CLIENTS / 2, latencies);
  await new Promise((r) => setTimeout(r, 2_000));
  const after = d.pids.map(residentKb);
  const redisAfter = d.redis ? await redisUsedKb(d.redis) : 0;
  closeAll(made);
  const serverKb = after.reduce((s, a, i) => s + a - before[i]!, 0) / IDLE_CLIENTS;
  return { serverKbPerClient: serverKb, redisKbPerClient: (redisAfter - redisBefore) / IDLE_CLIENTS };
}

async function redisUsedKb(redis: RedisServer): Promise<number> {
  const { createClient } = await import('redis');
  const client = createClient({ url: redis.url });
  await client.connect();
  const info = await client.info('memory');
  client.destroy();
  return Number(/used_memory:(\d+)/.exec(info)![1]) / 1024;
}

const log = (line: string) => console.log(line);
log(
  `Cluster bench: ${LATENCY_PAIRS} pairs at ${LATENCY_RATE_PER_SOCKET} msg/s per socket for latency; ${THROUGHPUT_PAIRS} pairs offering ${THROUGHPUT_RATE_PER_SOCKET} msg/s per socket for throughput; ${IDLE_CLIENTS} idle clients`,
);

const kinds = [
  { name: 'one process, in memory', processes: 1 as const, redis: false },
  { name: 'one process, Redis', processes: 1 as const, redis: true },
  { name: 'two processes, Redis (pairs split)', processes: 2 as const, redis: true },
];
const results: Record<string, { lat: Awaited<ReturnType<typeof latency>>; thr: Awaited<ReturnType<typeof throughput>>; mem: Awaited<ReturnType<typeof idleMemory>> }> = {};
for (const kind of kinds) {
  const d = await deploy(kind.name, kind.processes, kind.redis);
  try {
    // Idle memory first, on a fresh deployment: measured after the overload it reads what the overload left behind.
    const mem = await idleMemory(d);
    log(`  ${kind.name}: ${round(mem.serverKbPerClient, 2)} KB resident per idle client in the servers, ${round(mem.redisKbPerClient, 2)} KB in Redis`);
    const lat = await latency(d);
    log(`  ${kind.name}: latency p50 ${round(lat.p50, 2)} ms, p99 ${round(lat.p99, 2)} ms (${lat.delivered}/${lat.sent} delivered), server CPU ${round(lat.serverCpuUsPerMessage, 1)} µs/msg`);
    const thr = await throughput(d);
    log(
      `  ${kind.name}: relayed ${round(thr.relayedPerSecond)} msg/s of ${round(thr.offeredPerSecond)} offered; server cores ${thr.serverCores.map((c) => round(c, 2)).join(' + ')}, Redis ${round(thr.redisCores, 2)}, generator ${round(thr.generatorCores, 2)}`,
    );
    results[kind.name] = { lat, thr, mem };
  } finally {
    await d.close();
  }
}

const [memory, oneRedis, twoRedis] = kinds.map((k) => results[k.name]!);
log('');
log(
  table([
    ['deployment', 'p50 ms', 'p99 ms', 'server CPU µs/msg', 'relayed msg/s', 'server cores', 'KB/idle client (server)', 'KB/idle client (Redis)'],
    ...kinds.map((k) => {
      const r = results[k.name]!;
      return [
        k.name,
        round(r.lat.p50, 2),
        round(r.lat.p99, 2),
        round(r.lat.serverCpuUsPerMessage, 1),
        round(r.thr.relayedPerSecond),
        r.thr.serverCores.map((c) => round(c, 2)).join('+'),
        round(r.mem.serverKbPerClient, 2),
        round(r.mem.redisKbPerClient, 2),
      ];
    }),
  ]),
);
log('');
log(
  table([
    ['ratio', 'measured', 'target'],
    ['added p99, members on two processes vs one process in memory (ms)', round(twoRedis!.lat.p99 - memory!.lat.p99, 2), '≤ 2 ms'],
    ['added p99, members on two processes vs the same process, both Redis (ms)', round(twoRedis!.lat.p99 - oneRedis!.lat.p99, 2), ''],
    ['relayed msg/s: two processes / one (Redis)', ratio(twoRedis!.thr.relayedPerSecond, oneRedis!.thr.relayedPerSecond), ''],
    ['relayed msg/s: one process Redis / in memory', ratio(oneRedis!.thr.relayedPerSecond, memory!.thr.relayedPerSecond), ''],
    ['server KB per idle client: Redis / in memory', ratio(oneRedis!.mem.serverKbPerClient, memory!.mem.serverKbPerClient), ''],
  ]),
);
process.exit(0);
