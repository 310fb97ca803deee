/**
 * The load generator: one process (pinned by the runner to the core the
 * server does not use) holding many WebSocket clients in pairs. Driven over
 * IPC by bench/signaling/run.ts with one command at a time:
 *
 * - connect {kind, port, pairs}: opens 2×pairs clients (at most CONNECT_CONCURRENCY
 *   handshakes at once), each paired with one other client it sends to.
 * - saturate {windowPerSender, warmupMs, measureMs}: closed loop. Every client
 *   keeps `windowPerSender` offers in flight to its partner and sends another as
 *   soon as one arrives; relayed messages/s is what arrived during `measureMs`.
 * - latency {rate, warmupMs, measureMs}: open loop. Offers leave at `rate`
 *   per second in total, round-robin over clients, whatever the server does;
 *   each arrival's latency is its receive time minus the send time it carries.
 * - close: every client leaves as a real one would (VideoApp: `leave`, then a
 *   closing handshake; others: a closing handshake) and is dropped.
 *
 * Every reply carries the generator's own CPU use over the measured span, so
 * a run can show the generator had headroom while the server did not.
 */

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ACK_DELAY_MS } from '@videoapp/client';
import WebSocket from 'ws';
import { quantile } from '../stats.ts';
import { createVideoAppRoom, type FrameTemplate, frameTemplate, readStamp, sourceAddress, type WireKind } from './wires.ts';

/** Upgrades in flight at once while connecting. */
export const CONNECT_CONCURRENCY = 200;
/** Longest wait for a handshake (hello/join/OPEN) before the run fails. */
export const HANDSHAKE_TIMEOUT_MS = 15_000;
/** Longest wait for messages in flight to arrive after a run stops sending. */
export const DRAIN_TIMEOUT_MS = 5_000;
/** How often a PeerJS client tells its server it is alive (the `peerjs` client's default `pingInterval`). */
export const PEERJS_HEARTBEAT_MS = 5_000;
/** Latency samples kept at most (a fixed buffer, so recording costs no allocation). */
export const MAX_LATENCY_SAMPLES = 2_000_000;

export type GeneratorCommand =
  /** `firstClient` numbers the clients (and so picks their source addresses) from there. */
  | { command: 'connect'; kind: WireKind; port: number; pairs: number; serverPid: number; firstClient: number }
  | { command: 'saturate'; windowPerSender: number; warmupMs: number; measureMs: number }
  | { command: 'latency'; rate: number; warmupMs: number; measureMs: number }
  | { command: 'close' };

export interface SaturateResult {
  relayedPerSecond: number;
  generatorCpu: number;
  serverCpu: number;
  otherCpu: number;
  errors: number;
}
export interface LatencyResult {
  offeredPerSecond: number;
  deliveredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  generatorCpu: number;
  serverCpu: number;
  otherCpu: number;
  errors: number;
}

interface Client {
  ws: WebSocket;
  index: number;
  partner: Client;
  template: FrameTemplate;
  /** Offers this client sent that its partner has not yet received. */
  inFlight: number;
  /** The last `seq` VideoApp numbered a frame to this client with. */
  lastSeq: number;
  /** The last `seq` acknowledged: on an offer, a pong, or an `ack` once ACK_DELAY_MS passed without either. */
  ackedSeq: number;
  /** When this client's acknowledgement timer would fire; 0 while none is set. */
  ackDueMs: number;
  /** Numbers this client's offers as our client numbers its room messages. */
  sentSeq: number;
}

const clients: Client[] = [];
let kind: WireKind = 'bare';
let serverPid = 0;
let errors = 0;
let firstError = '';
/** What happens when a relayed offer arrives: set by the running mode. */
let onArrival: (sender: Client, sentAtUs: number) => void = () => {};

const nowUs = () => Math.round(performance.now() * 1000);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function send(client: Client): void {
  client.inFlight++;
  client.ws.send(numbered(client) + nowUs() + client.template.tail);
}

/**
 * The head of an offer as VideoApp's client sends it (SignalingClient.frameOf):
 * numbered, and acknowledging the last numbered frame received. The bare relay
 * gets the same bytes; the PeerJS envelope has no numbers.
 */
function numbered(client: Client): string {
  const head = client.template.head;
  if (kind === 'peerjs') return head;
  client.ackedSeq = client.lastSeq;
  const ack = client.lastSeq > 0 ? `,"ack":${client.lastSeq}` : '';
  return `${DESCRIPTION_TYPE},"seq":${++client.sentSeq}${ack}${head.slice(DESCRIPTION_TYPE.length)}`;
}
const DESCRIPTION_TYPE = '{"type":"description"';

const SEQ_KEY = '"seq":';
/** VideoApp numbers a frame to a session with `"seq":N` as its last key: read N from the bytes without parsing the JSON. */
function readSeq(data: Buffer): number {
  const at = data.lastIndexOf(SEQ_KEY);
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + SEQ_KEY.length; i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39; i++) n = n * 10 + data[i]! - 0x30;
  return n;
}

/**
 * Our client acknowledges a numbered frame at most ACK_DELAY_MS after it
 * arrives, alone if no message of its own carried the acknowledgement first.
 * One sweep over a queue in arrival order stands in for a timer per client.
 */
const awaitingAck: Client[] = [];
let ackSweep: NodeJS.Timeout | undefined;
/** How often the stand-in for the clients' acknowledgement timers runs. */
export const ACK_SWEEP_MS = 5;

function sweepAcks(): void {
  const now = performance.now();
  let done = 0;
  for (; done < awaitingAck.length && awaitingAck[done]!.ackDueMs <= now; done++) {
    const client = awaitingAck[done]!;
    client.ackDueMs = 0;
    if (client.lastSeq > client.ackedSeq) {
      client.ackedSeq = client.lastSeq;
      client.ws.send(`{"type":"ack","seq":${client.lastSeq}}`);
    }
  }
  awaitingAck.splice(0, done);
}

function onFrame(receiver: Client, data: Buffer): void {
  const seq = readSeq(data);
  if (seq > receiver.lastSeq) receiver.lastSeq = seq;
  if (kind === 'videoapp' && seq > 0 && receiver.ackDueMs === 0) {
    receiver.ackDueMs = performance.now() + ACK_DELAY_MS;
    awaitingAck.push(receiver);
  }
  const sentAtUs = readStamp(data);
  if (sentAtUs >= 0) {
    receiver.partner.inFlight--;
    onArrival(receiver.partner, sentAtUs);
    return;
  }
  const text = data.toString();
  if (text === '{"type":"ping"}') {
    receiver.ackedSeq = receiver.lastSeq;
    receiver.ws.send(receiver.lastSeq > 0 ? `{"type":"pong","ack":${receiver.lastSeq}}` : '{"type":"pong"}');
  } else if (text.includes('"error"') || text.includes('"ERROR"')) {
    errors++;
    firstError ||= text;
  }
}

/** Opens one socket and completes the server's handshake; resolves with the id peers address it by. */
function open(index: number, sourceIndex: number, id: string, port: number, partnerId: string, roomId: string | undefined): Promise<{ ws: WebSocket; id: string }> {
  const path = kind === 'videoapp' ? '/ws' : kind === 'peerjs' ? `/peerjs?key=peerjs&id=${id}&token=t${id}` : `/?id=${id}&to=${partnerId}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
    localAddress: sourceAddress(sourceIndex),
    perMessageDeflate: false,
    skipUTF8Validation: true,
    // An all-zero mask (the buffer ws hands in starts zeroed) lets ws skip masking our own frames: it
    // keeps the generator cheap. The server still runs its unmasking pass as for any client.
    generateMask: () => {},
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`client ${index}: no handshake after ${HANDSHAKE_TIMEOUT_MS} ms`)), HANDSHAKE_TIMEOUT_MS);
    const done = (assignedId: string) => {
      clearTimeout(timer);
      ws.removeAllListeners('message');
      resolve({ ws, id: assignedId });
    };
    ws.on('error', (err) => reject(err));
    ws.on('open', () => {
      if (kind === 'videoapp') ws.send(JSON.stringify({ type: 'hello', version: 1 }));
      else if (kind !== 'peerjs') done(id);
    });
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string; selfId?: string };
      if (kind === 'peerjs' && message.type === 'OPEN') done(id);
      else if (message.type === 'welcome') ws.send(JSON.stringify({ type: 'join', roomId, name: `load ${index}` }));
      else if (message.type === 'joined') done(message.selfId!);
      else if (message.type !== 'ping') reject(new Error(`client ${index}: unexpected ${data.toString()}`));
    });
  });
}

async function connectPair(pair: number, port: number, firstClient: number): Promise<void> {
  const a = 2 * pair;
  const b = a + 1;
  const roomId = kind === 'videoapp' ? await createVideoAppRoom(port, sourceAddress(firstClient + a)) : undefined;
  // The first joins before the second so VideoApp's room sees them arrive in order, as in a real call.
  const first = await open(a, firstClient + a, `p${firstClient + a}`, port, `p${firstClient + b}`, roomId);
  const second = await open(b, firstClient + b, `p${firstClient + b}`, port, `p${firstClient + a}`, roomId);
  const fresh = { inFlight: 0, lastSeq: 0, ackedSeq: 0, ackDueMs: 0, sentSeq: 0 };
  const ca = { ws: first.ws, index: a, ...fresh, template: frameTemplate(kind, second.id) } as Client;
  const cb = { ws: second.ws, index: b, ...fresh, template: frameTemplate(kind, first.id) } as Client;
  ca.partner = cb;
  cb.partner = ca;
  for (const c of [ca, cb]) {
    clients[c.index] = c;
    c.ws.on('message', (data: Buffer) => onFrame(c, data));
  }
}

let peerJsHeartbeat: NodeJS.Timeout | undefined;

async function connect(command: Extract<GeneratorCommand, { command: 'connect' }>): Promise<{ clients: number; ms: number }> {
  kind = command.kind;
  // Real PeerJS clients send a heartbeat, as VideoApp clients answer pings: both servers get their keep-alive traffic.
  if (kind === 'peerjs')
    peerJsHeartbeat ??= setInterval(() => {
      // Pairs fill `clients` by index as they connect: while a slow connect is under way it has holes.
      for (const c of clients) c?.ws.send('{"type":"HEARTBEAT"}');
    }, PEERJS_HEARTBEAT_MS);
  if (kind === 'videoapp') ackSweep ??= setInterval(sweepAcks, ACK_SWEEP_MS);
  serverPid = command.serverPid;
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < command.pairs) await connectPair(next++, command.port, command.firstClient);
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY / 2, command.pairs) }, worker));
  return { clients: clients.length, ms: Math.round(performance.now() - started) };
}

/** CPU seconds (user + system) a process has used, from /proc. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the file; 100 ticks a second on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds the whole machine has spent busy (every core, every process), from /proc/stat. */
function machineBusySeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/**
 * Measures a span: wall time, the server's and generator's CPU shares of one
 * core, and `otherCpu`, the cores' worth of CPU that everything else on the
 * machine used meanwhile (other work shares these two cores; a round with a lot
 * of it is a disturbed round).
 */
async function measured(span: () => Promise<void>): Promise<{ seconds: number; generatorCpu: number; serverCpu: number; otherCpu: number }> {
  const cpu0 = process.cpuUsage();
  const server0 = processCpuSeconds(serverPid);
  const machine0 = machineBusySeconds();
  const t0 = performance.now();
  await span();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const generatorCpu = (cpu.user + cpu.system) / 1e6 / seconds;
  const serverCpu = (processCpuSeconds(serverPid) - server0) / seconds;
  const otherCpu = Math.max(0, (machineBusySeconds() - machine0) / seconds - generatorCpu - serverCpu);
  return { seconds, generatorCpu, serverCpu, otherCpu };
}

async function drain(): Promise<void> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (clients.some((c) => c.inFlight > 0) && performance.now() < deadline) await sleep(20);
  for (const c of clients) c.inFlight = 0;
}

async function saturate(command: Extract<GeneratorCommand, { command: 'saturate' }>): Promise<SaturateResult> {
  let running = true;
  let arrived = 0;
  onArrival = (sender) => {
    arrived++;
    if (running) send(sender);
  };
  errors = 0;
  for (let w = 0; w < command.windowPerSender; w++) for (const c of clients) send(c);
  await sleep(command.warmupMs);
  let counted = 0;
  const span = await measured(async () => {
    const before = arrived;
    await sleep(command.measureMs);
    counted = arrived - before;
  });
  running = false;
  await drain();
  onArrival = () => {};
  return { relayedPerSecond: counted / span.seconds, generatorCpu: span.generatorCpu, serverCpu: span.serverCpu, otherCpu: span.otherCpu, errors };
}

async function latency(command: Extract<GeneratorCommand, { command: 'latency' }>): Promise<LatencyResult> {
  const samples = new Float64Array(MAX_LATENCY_SAMPLES);
  let sampled = 0;
  let sentInWindow = 0;
  const start = nowUs();
  const windowStart = start + command.warmupMs * 1000;
  const windowEnd = windowStart + command.measureMs * 1000;
  onArrival = (_sender, sentAtUs) => {
    if (sentAtUs >= windowStart && sentAtUs < windowEnd && sampled < samples.length) samples[sampled++] = (nowUs() - sentAtUs) / 1000;
  };
  errors = 0;
  let sent = 0;
  let turn = 0;
  const pace = () => {
    const now = nowUs();
    const due = Math.floor(((now - start) / 1e6) * command.rate) - sent;
    for (let i = 0; i < due; i++) {
      send(clients[turn]!);
      turn = (turn + 1) % clients.length;
      if (now >= windowStart && now < windowEnd) sentInWindow++;
    }
    sent += Math.max(0, due);
  };
  const timer = setInterval(pace, 1);
  await sleep(command.warmupMs);
  const span = await measured(() => sleep(command.measureMs));
  clearInterval(timer);
  await drain();
  onArrival = () => {};
  const sorted = samples.subarray(0, sampled).sort();
  return {
    offeredPerSecond: sentInWindow / span.seconds,
    deliveredPerSecond: sampled / span.seconds,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    generatorCpu: span.generatorCpu,
    serverCpu: span.serverCpu,
    otherCpu: span.otherCpu,
    errors,
  };
}

async function closeAll(): Promise<void> {
  clearInterval(peerJsHeartbeat);
  peerJsHeartbeat = undefined;
  clearInterval(ackSweep);
  ackSweep = undefined;
  awaitingAck.length = 0;
  const closed = clients.map((c) => new Promise((resolve) => c.ws.once('close', resolve)));
  for (const c of clients) {
    if (kind === 'videoapp') c.ws.send('{"type":"leave","reason":"hang-up"}');
    c.ws.close(1000);
  }
  await Promise.race([Promise.all(closed), sleep(DRAIN_TIMEOUT_MS)]);
  for (const c of clients) c.ws.terminate();
  clients.length = 0;
}

async function handle(command: GeneratorCommand): Promise<unknown> {
  switch (command.command) {
    case 'connect':
      return connect(command);
    case 'saturate':
      return saturate(command);
    case 'latency':
      return latency(command);
    case 'close':
      return closeAll();
  }
}

process.on('message', (command: GeneratorCommand) => {
  firstError = '';
  handle(command).then(
    (result) => process.send!({ ok: true, result, firstError: firstError || undefined }),
    (err: unknown) => process.send!({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
