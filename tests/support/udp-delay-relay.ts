// A UDP relay that adds a fixed delay each way: this kernel has no netem, so a
// test that needs latency puts this between a client and its TURN server.
// Run as its own process (inside a network namespace):
//   node --import tsx tests/support/udp-delay-relay.ts LISTEN_IP:PORT TARGET_IP:PORT DELAY_MS
// It exits by itself after MAX_LIFETIME_MS, so a test that dies cannot leave it running.
import { createSocket, type Socket } from 'node:dgram';

/** The relay never outlives a test run. */
export const MAX_LIFETIME_MS = 180_000;
/** Distinct clients the relay serves; more is a bug in the test. */
const MAX_CLIENTS = 64;

function parseAddress(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  return { host: text.slice(0, at), port: Number(text.slice(at + 1)) };
}

const [listenArg, targetArg, delayArg] = process.argv.slice(2);
if (!listenArg || !targetArg || !delayArg) {
  process.stderr.write('usage: udp-delay-relay LISTEN_IP:PORT TARGET_IP:PORT DELAY_MS\n');
  process.exit(2);
}
const listen = parseAddress(listenArg);
const target = parseAddress(targetArg);
const delayMs = Number(delayArg);

const front = createSocket('udp4');
/** One upstream socket per client, so the target sees each client as a distinct address. */
const upstreams = new Map<string, Socket>();

front.on('message', (packet, from) => {
  const key = `${from.address}:${from.port}`;
  let upstream = upstreams.get(key);
  if (!upstream) {
    if (upstreams.size >= MAX_CLIENTS) return;
    upstream = createSocket('udp4');
    upstream.bind(0, listen.host);
    upstream.on('message', (reply) => setTimeout(() => front.send(reply, from.port, from.address), delayMs));
    upstreams.set(key, upstream);
  }
  const socket = upstream;
  setTimeout(() => socket.send(packet, target.port, target.host), delayMs);
});

front.bind(listen.port, listen.host, () => process.stdout.write(`relaying ${listenArg} -> ${targetArg} with ${delayMs} ms each way\n`));
setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref();
process.on('SIGTERM', () => process.exit(0));
