// `npm run janus`: starts Debian's Janus for development with a generated
// minimal configuration (scripts/janus-server.ts: the VideoRoom plugin and the
// WebSocket transport only, the API on loopback, fresh secrets) and prints the
// settings that point `npm start` at it.
// `npm run start:sfu`: the same, then builds and starts the server with them,
// taking the same settings as `npm start` (PORT, flags, ...).
//
//   JANUS_WS_PORT    port of Janus's WebSocket API on 127.0.0.1 (default 8188)
//   JANUS_RTP_PORTS  UDP ports for media, as min-max (default 20000-20999)
//
// SFU groundwork: the server reads and checks these settings, but rooms still use the mesh (issue 13).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBesideService } from './beside-service.ts';
import { freshJanusSecrets, JANUS_PATH, startJanus } from './janus-server.ts';

const root = new URL('..', import.meta.url).pathname;
const withServer = process.argv.includes('--with-server');
const wsPort = Number(process.env.JANUS_WS_PORT || 8188);
const rtpPorts = (() => {
  const [min, max] = (process.env.JANUS_RTP_PORTS || '20000-20999').split('-').map(Number);
  if (!Number.isInteger(min) || !Number.isInteger(max) || min! < 1024 || max! > 65_535 || min! >= max!) {
    process.stderr.write('JANUS_RTP_PORTS must be min-max, e.g. 20000-20999\n');
    process.exit(2);
  }
  return { min: min!, max: max! };
})();

if (!existsSync(JANUS_PATH)) {
  process.stderr.write(`Janus is not installed (${JANUS_PATH}); on Debian: apt-get install janus\n`);
  process.exit(2);
}

const workDir = mkdtempSync(join(tmpdir(), 'videoapp-janus-'));
const secrets = freshJanusSecrets();
const janus = await startJanus({ workDir, wsHost: '127.0.0.1', wsPort, rtpPorts, ...secrets }).catch((err: Error) => {
  rmSync(workDir, { recursive: true, force: true });
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});

const env = { JANUS_URL: janus.url, JANUS_API_SECRET: secrets.apiSecret, JANUS_ADMIN_KEY: secrets.adminKey };
process.stdout.write(`\nJanus is answering on ${janus.url}, media on UDP ${rtpPorts.min}-${rtpPorts.max} (configuration: ${janus.configFolder})\n`);

await runBesideService({ name: 'Janus', env, stopService: () => janus.stop(), workDir, root, withServer });
