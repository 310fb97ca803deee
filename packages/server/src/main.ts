import { startServer } from './app.ts';
import { readConfig } from './config.ts';
import { lanUrls } from './lan.ts';

const config = (() => {
  try {
    return readConfig(process.env, process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`videoapp: ${(err as Error).message}\n`);
    process.exit(2);
  }
})();

const server = await startServer(config);
process.stdout.write(`\nVideoApp is running at ${server.url}\n`);
for (const url of lanUrls(config.host, server.port, 'http')) process.stdout.write(`  on your network: ${url}\n`);
process.stdout.write('\n');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    server.close().then(() => process.exit(0));
  });
}
