// `npm run start:cluster`: VideoApp as a deployment runs it, on this machine:
// Debian's redis-server, three server processes sharing rooms through it, and
// Debian's nginx in front with the deployed proxy rules (deploy/nginx/). It
// prints the one URL to open, and each process's PID: kill one mid-call and the
// call goes on, its people resumed on the others. Ctrl-C stops everything.
// `npm run start:cluster` builds first, as `npm start` does.
//
//   PORT / --port   the public port, nginx's (default 8080)
//   LOG_LEVEL       the processes' log level (default info); their lines are shown prefixed by their name
import { parseArgs } from 'node:util';
import { LocalCluster } from './local-cluster.ts';
import { NGINX_PATH } from './nginx.ts';

const DEFAULT_PUBLIC_PORT = 8080;
let stopping = false;

const say = (line = '') => process.stdout.write(`${line}\n`);
const fail = (message: string, code: number): never => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};

const flags = (() => {
  try {
    return parseArgs({ options: { port: { type: 'string' } }, strict: true }).values;
  } catch (err) {
    return fail(`start:cluster: ${(err as Error).message} (it takes only --port)`, 2);
  }
})();
const portText = flags.port ?? process.env.PORT ?? String(DEFAULT_PUBLIC_PORT);
const publicPort = Number(portText);
if (!/^\d+$/.test(portText) || publicPort < 1 || publicPort > 65_535) fail(`start:cluster: PORT (--port) must be a whole number from 1 to 65535, got "${portText}"`, 2);

const cluster = await LocalCluster.start({
  publicPort,
  env: { LOG_LEVEL: process.env.LOG_LEVEL || 'info' },
  // Only the log lines: each process's own banner names its address, but people should open nginx's.
  // Quiet once stopping: Ctrl-C reaches Redis too, and the processes' complaints about it are no news.
  onLine: (name, line) => line.startsWith('{') && !stopping && say(`[${name}] ${line}`),
}).catch((err: Error) => fail(`start:cluster: could not start (needs redis-server and ${NGINX_PATH}; on Debian: apt-get install redis-server nginx):\n${err.message}`, 1));

say();
say(`VideoApp is running at ${cluster.url} (nginx in front of ${cluster.processes.length} processes sharing rooms through Redis at ${cluster.redis.url})`);
for (const p of cluster.processes) say(`  ${p.name}: ${p.url}, PID ${p.pid} (kill -9 ${p.pid} to see its calls carry on)`);
say('Ctrl-C stops everything.');
say();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // Ctrl-C reaches every process in the terminal's group at once; stop each once, by PID, and wait for them.
    if (stopping) return;
    stopping = true;
    void cluster.stop().then(() => process.exit(0));
  });
}
