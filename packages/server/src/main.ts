import { join } from 'node:path';
import { startServer } from './app.ts';
import { readConfig } from './config.ts';
import { lanUrls } from './lan.ts';
import { createLogger } from './log.ts';
import { NO_RELAY_WARNING, warnsOfNoRelay } from './no-relay-warning.ts';
import { persistentResumeSecret } from './resume-secret.ts';
import { EndedSessions } from './rooms/ended-sessions-file.ts';
import { terminalQr } from './terminal-qr.ts';

const config = (() => {
  try {
    const read = readConfig(process.env, process.argv.slice(2));
    if (!process.env.RESUME_SECRET && !process.argv.some((a) => a.startsWith('--resume-secret'))) read.resumeSecret = persistentResumeSecret(read.dataDir);
    return read;
  } catch (err) {
    process.stderr.write(`videoapp: ${(err as Error).message}\n`);
    process.exit(2);
  }
})();

const server = await (async () => {
  try {
    const log = createLogger(config.logLevel);
    // Kept beside the resume secret: a restarted process must refuse the tokens of sessions that ended before it (with Redis, Redis keeps them).
    const endedSessions = config.redisUrl
      ? undefined
      : await EndedSessions.inFile(join(config.dataDir, 'ended-sessions'), config.resumeTokenLifetimeMs, (err) => log.error('ended-sessions-write-failed', { message: String(err) }));
    return await startServer(config, { log, endedSessions });
  } catch (err) {
    process.stderr.write(`videoapp: could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
})();
const lan = lanUrls(config.host, server.port, server.tls ? 'https' : 'http');
const say = (line = '') => process.stdout.write(`${line}\n`);

say();
say(`VideoApp is running at ${server.url}`);
for (const url of lan) say(`  on your network: ${url}`);
if (lan.length > 0 && !server.tls) say('  Phones allow the camera only over HTTPS: start with --https (or HTTPS=on) to call from a phone.');
if (server.tls && config.https.kind === 'self-signed') {
  say('  The certificate is this server\'s own, so a phone warns about it once: see "Calling from a phone" in the README.');
  say(`  Its SHA-256 fingerprint: ${server.tls.fingerprint}`);
}
if (warnsOfNoRelay(config)) say(`  Warning: ${NO_RELAY_WARNING}`);
if (process.stdout.isTTY) {
  say();
  say(`Scan to open ${lan[0] ?? server.url}:`);
  for (const line of terminalQr(lan[0] ?? server.url)) say(`  ${line}`);
}
say();

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    server.close().then(() => process.exit(0));
  });
}
