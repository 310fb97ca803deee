// Runs Debian's coturn with deploy/coturn/turnserver.conf, changed only where a
// development machine or a test differs from production (addresses, ports,
// secret, no TLS certificate). Used by `npm run turn` and by the TURN tests, so
// both exercise the configuration an operator deploys.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const COTURN_TEMPLATE = new URL('../deploy/coturn/turnserver.conf', import.meta.url).pathname;
export const TURNSERVER_PATH = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';
/** Longest coturn may take to open its listeners. */
export const COTURN_START_TIMEOUT_MS = 10_000;
/** Longest a stop waits for coturn to exit on SIGTERM before killing it. */
export const COTURN_STOP_TIMEOUT_MS = 3_000;
/** Log kept for error messages; coturn is chatty and runs for hours under `npm run turn`. */
const MAX_LOG_CHARS = 64 * 1024;
/** coturn prints this once its relay threads, and with them its listeners, exist. */
const READY_LINE = 'Total General servers';

export interface CoturnOptions {
  secret: string;
  /** Addresses coturn listens on: what TURN URLs point at. */
  listeningIps: string[];
  /** Address relayed media leaves from. */
  relayIp: string;
  port: number;
  relayPorts: { min: number; max: number };
  /**
   * Exceptions to the template's denied ranges. Two peers relayed by the same
   * coturn reach each other at its relay address, so that address must be
   * allowed when it lies in a denied range (loopback in development).
   */
  allowedPeerIps: string[];
  realm?: string;
  /** Folder for the generated configuration, pid file and user database. */
  workDir: string;
  /** Command prefix, e.g. `['ip', 'netns', 'exec', 'ns']` to run coturn inside a network namespace. */
  launcher?: string[];
}

/** Template options a development or test run sets itself. */
const REPLACED = new Set([
  'realm',
  'server-name',
  'external-ip',
  'static-auth-secret',
  'listening-port',
  'tls-listening-port',
  'min-port',
  'max-port',
  'cert',
  'pkey',
  'cipher-list',
  'log-file',
  'simple-log',
  'new-log-timestamp',
]);

/** The production template with the development settings in place of the operator's. */
export function devCoturnConfig(template: string, options: CoturnOptions): string {
  const kept = template.split('\n').filter((line) => !REPLACED.has(line.trim().replace(/^#/, '').split('=')[0]!.trim()));
  const realm = options.realm ?? 'videoapp.localhost';
  const loopback = [...options.allowedPeerIps, options.relayIp].some((ip) => ip.startsWith('127.'));
  return [
    ...kept,
    '# ---- development overrides (scripts/coturn.ts) ----',
    `realm=${realm}`,
    `server-name=${realm}`,
    `static-auth-secret=${options.secret}`,
    ...options.listeningIps.map((ip) => `listening-ip=${ip}`),
    `relay-ip=${options.relayIp}`,
    `listening-port=${options.port}`,
    `min-port=${options.relayPorts.min}`,
    `max-port=${options.relayPorts.max}`,
    // No certificate in development: TURN over TLS is production's.
    'no-tls',
    'no-dtls',
    ...options.allowedPeerIps.map((ip) => `allowed-peer-ip=${ip}`),
    // coturn refuses loopback peers before it reads allowed-peer-ip.
    ...(loopback ? ['allow-loopback-peers'] : []),
    'log-file=stdout',
    `pidfile=${join(options.workDir, 'turnserver.pid')}`,
    `userdb=${join(options.workDir, 'turndb')}`,
    '',
  ].join('\n');
}

export interface RunningCoturn {
  readonly configPath: string;
  /** What coturn printed so far (the last part of it). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts coturn and resolves once it is ready, or rejects with its log if it exits or stalls. */
export async function startCoturn(options: CoturnOptions): Promise<RunningCoturn> {
  mkdirSync(options.workDir, { recursive: true });
  const configPath = join(options.workDir, 'turnserver.conf');
  writeFileSync(configPath, devCoturnConfig(readFileSync(COTURN_TEMPLATE, 'utf8'), options), { mode: 0o600 });
  const [command, ...args] = [...(options.launcher ?? []), TURNSERVER_PATH, '-c', configPath];
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-MAX_LOG_CHARS);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`coturn not ready after ${COTURN_START_TIMEOUT_MS} ms:\n${log}`)), COTURN_START_TIMEOUT_MS);
    const onData = () => {
      if (log.includes(READY_LINE)) done();
    };
    const onExit = (code: number | null) => fail(new Error(`coturn exited (${code}) while starting:\n${log}`));
    const done = () => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      resolve();
    };
    const fail = (err: Error) => {
      done();
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout.on('data', onData);
    child.on('exit', onExit);
    child.on('error', (err) => fail(err));
  });

  return { configPath, log: () => log, stop: () => stopProcess(child) };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), COTURN_STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
