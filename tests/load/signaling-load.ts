// `npm run load`: a bounded signaling load test on loopback, not part of `npm test`.
// Starts the built server as its own process, connects LOAD_CLIENTS WebSocket clients in pairs (one room per pair),
// has every client send a description or candidate to its partner every LOAD_INTERVAL_MS for LOAD_SECONDS,
// and reports messages relayed, lost, relay latency (p50/p99) and server memory per connected client.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 10_000);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const INTERVAL_MS = Number(process.env.LOAD_INTERVAL_MS ?? 1_000);
/** Descriptions among the messages: every Nth message, which also starts a new round of candidates. */
const DESCRIPTION_EVERY = 10;
const CONNECT_CONCURRENCY = 200;
const DRAIN_MS = 3_000;
const SETUP_DEADLINE_MS = 180_000;
const MAIN = fileURLToPath(new URL('../../packages/server/dist/main.js', import.meta.url));

interface LoadClient {
  ws: WebSocket;
  selfId: string;
  partner?: LoadClient;
  sent: number;
  /** The next sequence number expected from the partner: relays must arrive complete and in order. */
  expected: number;
  received: number;
  outOfOrder: number;
  errors: number;
}

const latenciesMs: number[] = [];
let unexpectedCloses = 0;

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

async function startServerProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // One address (this generator) opens every socket and makes every join: the per-address limits must make room.
      SOCKETS_PER_ADDRESS: String(CLIENTS + 100),
      JOINS_PER_MINUTE_PER_ADDRESS: String(CLIENTS * 2),
      ROOMS_PER_MINUTE_PER_ADDRESS: String(CLIENTS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /VideoApp is running at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  child.stdout!.on('data', (chunk: Buffer) => process.stderr.write(`server: ${chunk}`));
  return { child, url };
}

async function inBatches<T>(count: number, concurrency: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await make(i);
      }
    }),
  );
  return results;
}

function connect(url: string, roomId: string, name: string): Promise<LoadClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
    const client: LoadClient = { ws, selfId: '', sent: 0, expected: 0, received: 0, outOfOrder: 0, errors: 0 };
    ws.once('error', reject);
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'hello', version: 1 }));
      ws.send(JSON.stringify({ type: 'join', roomId, name }));
    });
    ws.on('close', () => unexpectedCloses++);
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; selfId?: string; code?: string; description?: { sdp: string }; candidate?: { candidate: string } };
      switch (msg.type) {
        case 'ping':
          return ws.send('{"type":"pong"}');
        case 'joined':
          client.selfId = msg.selfId!;
          return resolve(client);
        case 'description':
        case 'candidate':
          return onRelayed(client, msg.type === 'description' ? msg.description!.sdp : msg.candidate!.candidate);
        case 'error':
          client.errors++;
          if (!client.selfId) reject(new Error(`join refused: ${msg.code}`));
          return;
      }
    });
  });
}

/** Every relayed payload carries the sender's sequence number and send time (both ends share this process's clock). */
function onRelayed(client: LoadClient, payload: string): void {
  const [seq, sentAt] = /seq=(\d+) at=([\d.]+)/.exec(payload)!.slice(1).map(Number) as [number, number];
  latenciesMs.push(performance.now() - sentAt);
  if (seq !== client.expected) client.outOfOrder++;
  client.expected = seq + 1;
  client.received++;
}

function sendOne(client: LoadClient): void {
  const partner = client.partner!;
  const tag = `seq=${client.sent} at=${performance.now().toFixed(3)}`;
  const message =
    client.sent % DESCRIPTION_EVERY === 0
      ? { type: 'description', to: partner.selfId, description: { type: 'offer', sdp: `v=0\r\no=- ${tag} IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n` } }
      : { type: 'candidate', to: partner.selfId, candidate: { candidate: `candidate:1 1 udp 2122260223 127.0.0.1 9 typ host ${tag}`, sdpMid: '0', sdpMLineIndex: 0 } };
  client.ws.send(JSON.stringify(message));
  client.sent++;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  if (CLIENTS % 2 !== 0) throw new Error('LOAD_CLIENTS must be even: clients come in pairs');
  const { child, url } = await startServerProcess();
  const setupDeadline = setTimeout(() => {
    process.stderr.write('load: setup took too long\n');
    child.kill('SIGKILL');
    process.exit(1);
  }, SETUP_DEADLINE_MS);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const idleRss = rssBytes(child.pid!);
    const rooms = CLIENTS / 2;
    let started = Date.now();
    const roomIds = await inBatches(rooms, 50, async () => ((await (await fetch(`${url}/api/rooms`, { method: 'POST' })).json()) as { roomId: string }).roomId);
    process.stderr.write(`load: ${rooms} rooms created in ${Date.now() - started} ms\n`);
    started = Date.now();
    const clients = await inBatches(CLIENTS, CONNECT_CONCURRENCY, (i) => connect(url, roomIds[Math.floor(i / 2)]!, `load-${i}`));
    for (let i = 0; i < CLIENTS; i += 2) [clients[i]!.partner, clients[i + 1]!.partner] = [clients[i + 1]!, clients[i]!];
    process.stderr.write(`load: ${CLIENTS} clients connected and joined in ${Date.now() - started} ms\n`);
    clearTimeout(setupDeadline);
    unexpectedCloses = 0;

    // Spread the clients evenly over the interval, so load is steady rather than in waves; a late timer catches up
    // on the slots it missed, so a busy machine delays messages (and that shows in latency) rather than dropping them from the plan.
    const slots = 100;
    const slotMs = INTERVAL_MS / slots;
    const perSlot = Math.ceil(CLIENTS / slots);
    const totalSlots = Math.floor((SECONDS * 1000) / slotMs);
    const runStart = Date.now();
    let slot = 0;
    let peakRss = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(totalSlots, Math.floor((Date.now() - runStart) / slotMs) + 1);
        for (; slot < due; slot++) {
          const from = (slot % slots) * perSlot;
          for (let i = from; i < Math.min(CLIENTS, from + perSlot); i++) sendOne(clients[i]!);
          if ((slot + 1) % slots === 0) {
            peakRss = Math.max(peakRss, rssBytes(child.pid!));
            process.stderr.write(`load: ${Math.round((Date.now() - runStart) / 1000)} s, ${latenciesMs.length} relayed\n`);
          }
        }
        if (slot >= totalSlots) {
          clearInterval(timer);
          resolve();
        }
      }, slotMs);
    });
    const runMs = Date.now() - runStart;
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    const loadedRss = rssBytes(child.pid!);
    peakRss = Math.max(peakRss, loadedRss);

    const sent = clients.reduce((n, c) => n + c.sent, 0);
    const received = clients.reduce((n, c) => n + c.received, 0);
    const sorted = Float64Array.from(latenciesMs).sort();
    const report = {
      clients: CLIENTS,
      rooms,
      seconds: Math.round(runMs / 1000),
      loadAverage: os.loadavg().map((l) => +l.toFixed(2)),
      messagesPlanned: (CLIENTS * SECONDS * 1000) / INTERVAL_MS,
      messagesSent: sent,
      messagesRelayed: received,
      lost: sent - received,
      outOfOrder: clients.reduce((n, c) => n + c.outOfOrder, 0),
      errors: clients.reduce((n, c) => n + c.errors, 0),
      unexpectedCloses,
      relayedPerSecond: Math.round(received / (runMs / 1000)),
      latencyMs: { p50: +percentile(sorted, 50).toFixed(2), p99: +percentile(sorted, 99).toFixed(2), max: +sorted[sorted.length - 1]!.toFixed(2) },
      serverRssMB: { idle: +(idleRss / 2 ** 20).toFixed(1), loaded: +(loadedRss / 2 ** 20).toFixed(1), peak: +(peakRss / 2 ** 20).toFixed(1) },
      serverKBPerClient: +((loadedRss - idleRss) / CLIENTS / 1024).toFixed(1),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    for (const c of clients) c.ws.terminate();
    if (report.lost !== 0 || report.outOfOrder !== 0 || report.errors !== 0) {
      process.stderr.write('load: FAILED: messages were lost, reordered or refused\n');
      process.exitCode = 1;
    }
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
