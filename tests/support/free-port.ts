import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** Tries before giving up on finding a loopback port free for both UDP and TCP. */
const FREE_PORT_ATTEMPTS = 20;

/** A TCP port free right now on all interfaces, for a server a test starts and restarts on the same port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback port free for both UDP and TCP right now (TURN listens on both). */
export async function freeUdpTcpPort(): Promise<number> {
  for (let i = 0; i < FREE_PORT_ATTEMPTS; i++) {
    const udp = createSocket('udp4');
    const port = await new Promise<number>((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    udp.close();
    if (tcpFree) return port;
  }
  throw new Error(`no port free for both UDP and TCP after ${FREE_PORT_ATTEMPTS} tries`);
}
