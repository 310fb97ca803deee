// `npm run turn`: starts Debian's coturn for development with the production
// template (deploy/coturn/turnserver.conf) and prints the settings that make
// `npm start` hand out credentials for it.
// `npm run start:turn`: the same, then builds and starts the server with them.
//
//   TURN_SECRET  shared secret (default: a new random one each run)
//   TURN_HOST    address coturn listens and relays on (default 127.0.0.1; a LAN address for phones)
//   TURN_PORT    UDP and TCP port (default 3478)

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBesideService } from './beside-service.ts';
import { startCoturn, TURNSERVER_PATH } from './coturn.ts';

const root = new URL('..', import.meta.url).pathname;
const withServer = process.argv.includes('--with-server');
const secret = process.env.TURN_SECRET || randomBytes(32).toString('base64url');
const host = process.env.TURN_HOST || '127.0.0.1';
const port = Number(process.env.TURN_PORT || 3478);

if (!existsSync(TURNSERVER_PATH)) {
  process.stderr.write(`coturn is not installed (${TURNSERVER_PATH}); on Debian: apt-get install coturn\n`);
  process.exit(2);
}

const workDir = mkdtempSync(join(tmpdir(), 'videoapp-turn-'));
const coturn = await startCoturn({
  secret,
  listeningIps: [host],
  relayIp: host,
  port,
  relayPorts: { min: 49160, max: 49999 },
  // Both callers are relayed by this one coturn, on this address.
  allowedPeerIps: [host],
  workDir,
}).catch((err: Error) => {
  rmSync(workDir, { recursive: true, force: true });
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});

const turnUrls = [`turn:${host}:${port}?transport=udp`, `turn:${host}:${port}?transport=tcp`].join(',');
const env = { TURN_URLS: turnUrls, TURN_SECRET: secret };
process.stdout.write(`\ncoturn is relaying on ${host}:${port} (configuration: ${coturn.configPath})\n`);

await runBesideService({ name: 'coturn', env, stopService: () => coturn.stop(), workDir, root, withServer });
