import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  EMPTY_ROOM_TTL_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  JOINS_PER_MINUTE_PER_ADDRESS,
  KNOCKS_PER_MINUTE_PER_ADDRESS,
  MAX_ROOM_PEERS,
  MAX_SFU_ROOM_PEERS,
  PASSCODE_ATTEMPTS_PER_MINUTE_PER_ADDRESS,
  PASSCODE_ATTEMPTS_PER_MINUTE_PER_ROOM,
  RESUME_GRACE_MS,
  RESUME_TOKEN_LIFETIME_MS,
  RESUME_TOKEN_RENEW_MS,
  ROOMS_CREATED_PER_MINUTE_PER_ADDRESS,
  SOCKETS_PER_ADDRESS,
} from '@videoapp/protocol';
import { trustedProxyList } from './client-address.ts';
import type { LogLevel } from './log.ts';
import type { HttpsSetting } from './tls/tls-credentials.ts';
import type { TurnSettings } from './turn-credentials.ts';

export interface ServerConfig {
  port: number;
  host: string;
  /** Folder holding the built web app. */
  webRoot: string;
  /** Origins allowed to open the WebSocket besides the server's own. */
  allowedOrigins: string[];
  stunUrls: string[];
  turn: TurnSettings | undefined;
  logLevel: LogLevel | 'silent';
  roomCapacity: number;
  emptyRoomTtlMs: number;
  resumeGraceMs: number;
  /** How long a resume token is honoured, and how often a live session gets a fresh one. */
  resumeTokenLifetimeMs: number;
  resumeTokenRenewMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  roomsPerMinutePerAddress: number;
  joinsPerMinutePerAddress: number;
  socketsPerAddress: number;
  passcodeAttemptsPerMinutePerAddress: number;
  passcodeAttemptsPerMinutePerRoom: number;
  /** "Ask to join" knocks (a reloaded knocker's return included) per client address per minute. */
  knocksPerMinutePerAddress: number;
  /** How long a WebSocket may stay open without sending `hello`. */
  helloTimeoutMs: number;
  /** How long a connection may take to send its HTTP request headers (a WebSocket upgrade included). */
  handshakeTimeoutMs: number;
  /** Signs resume tokens. Shared by every process of one deployment, and kept across restarts, so clients can resume anywhere. */
  resumeSecret: string;
  /** Plain HTTP, HTTPS with the user's certificate, or HTTPS with one generated for the LAN. */
  https: HttpsSetting;
  /** Where the server keeps what must outlive a run (the generated certificate); never inside the repository. */
  dataDir: string;
  /** Reverse proxies (addresses or CIDR blocks) whose X-Forwarded-For names the client; see client-address.ts. */
  trustedProxies: string[];
  /** Keep rooms and deliver signaling through Redis (several processes share rooms); in memory when unset. */
  redisUrl: string | undefined;
  /**
   * The Janus SFU our server drives (its WebSocket API and secrets), or none:
   * with one, rooms of SFU_FROM_PEERS people and more send their media through it.
   */
  sfu: SfuSettings | undefined;
}

/** JANUS_URL, JANUS_API_SECRET and JANUS_ADMIN_KEY: all three, or none. */
export interface SfuSettings {
  url: string;
  apiSecret: string;
  adminKey: string;
}

/** Defaults for the two timeouts that drop connections which never finish saying who they are. */
export const HELLO_TIMEOUT_MS = 5_000;
export const HANDSHAKE_TIMEOUT_MS = 5_000;

export function defaultConfig(): ServerConfig {
  return {
    port: 8080,
    host: '0.0.0.0',
    webRoot: fileURLToPath(new URL('../../web/dist', import.meta.url)),
    allowedOrigins: [],
    stunUrls: [],
    turn: undefined,
    logLevel: 'info',
    roomCapacity: MAX_ROOM_PEERS,
    emptyRoomTtlMs: EMPTY_ROOM_TTL_MS,
    resumeGraceMs: RESUME_GRACE_MS,
    resumeTokenLifetimeMs: RESUME_TOKEN_LIFETIME_MS,
    resumeTokenRenewMs: RESUME_TOKEN_RENEW_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
    roomsPerMinutePerAddress: ROOMS_CREATED_PER_MINUTE_PER_ADDRESS,
    joinsPerMinutePerAddress: JOINS_PER_MINUTE_PER_ADDRESS,
    socketsPerAddress: SOCKETS_PER_ADDRESS,
    passcodeAttemptsPerMinutePerAddress: PASSCODE_ATTEMPTS_PER_MINUTE_PER_ADDRESS,
    passcodeAttemptsPerMinutePerRoom: PASSCODE_ATTEMPTS_PER_MINUTE_PER_ROOM,
    knocksPerMinutePerAddress: KNOCKS_PER_MINUTE_PER_ADDRESS,
    helloTimeoutMs: HELLO_TIMEOUT_MS,
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    resumeSecret: randomBytes(32).toString('base64url'),
    https: { kind: 'off' },
    dataDir: join(homedir(), '.videoapp'),
    trustedProxies: [],
    redisUrl: undefined,
    sfu: undefined,
  };
}

/** People one room takes: MAX_SFU_ROOM_PEERS when an SFU carries the bigger rooms, the mesh's limit otherwise. */
export function roomCapacity(config: Pick<ServerConfig, 'roomCapacity' | 'sfu'>): number {
  return config.sfu ? MAX_SFU_ROOM_PEERS : config.roomCapacity;
}

/** Log levels a person may choose; `silent` turns logging off. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
/** Longest TURN credential lifetime accepted: a week; longer-lived credentials are close to the static password they replace. */
export const MAX_TURN_TTL_SECONDS = 7 * 86_400;
/** Shortest RESUME_SECRET accepted: it signs tokens that give back a place in a room. */
export const MIN_RESUME_SECRET_CHARS = 16;

/**
 * Each setting: its environment variable, its flag, and how to read and check
 * it (a reader throws a sentence saying what is allowed). Documented in the
 * README's table. A setting with `bare` may be given as its flag alone
 * (`--https`), meaning that value; it then takes a value only inline (`--https=off`).
 */
interface Setting {
  env: string;
  flag: string;
  bare?: string;
  apply: (c: ServerConfig, v: string) => void;
}

const SETTINGS: Setting[] = [
  { env: 'PORT', flag: 'port', apply: (c, v) => (c.port = wholeNumber(v, 0, 65_535)) },
  { env: 'HOST', flag: 'host', apply: (c, v) => (c.host = v) },
  { env: 'ALLOWED_ORIGINS', flag: 'allowed-origins', apply: (c, v) => (c.allowedOrigins = list(v).map(origin)) },
  { env: 'TRUSTED_PROXIES', flag: 'trusted-proxies', apply: (c, v) => (c.trustedProxies = proxies(v)) },
  { env: 'STUN_URLS', flag: 'stun-urls', apply: (c, v) => (c.stunUrls = urls(v, ['stun:', 'stuns:'])) },
  { env: 'TURN_URLS', flag: 'turn-urls', apply: (c, v) => (c.turn = { ...turnOf(c), urls: urls(v, ['turn:', 'turns:']) }) },
  { env: 'TURN_SECRET', flag: 'turn-secret', apply: (c, v) => (c.turn = { ...turnOf(c), secret: v }) },
  { env: 'TURN_TTL_SECONDS', flag: 'turn-ttl', apply: (c, v) => (c.turn = { ...turnOf(c), ttlSeconds: wholeNumber(v, 1, MAX_TURN_TTL_SECONDS) }) },
  { env: 'RESUME_SECRET', flag: 'resume-secret', apply: (c, v) => (c.resumeSecret = atLeast(v, MIN_RESUME_SECRET_CHARS)) },
  { env: 'LOG_LEVEL', flag: 'log-level', apply: (c, v) => (c.logLevel = oneOf(v, LOG_LEVELS)) },
  { env: 'HTTPS', flag: 'https', bare: 'on', apply: (c, v) => (c.https = toSwitch(v) ? (c.https.kind === 'off' ? { kind: 'self-signed' } : c.https) : { kind: 'off' }) },
  { env: 'TLS_CERT', flag: 'tls-cert', apply: (c, v) => (c.https = { kind: 'given', certFile: v, keyFile: c.https.kind === 'given' ? c.https.keyFile : '' }) },
  { env: 'TLS_KEY', flag: 'tls-key', apply: (c, v) => (c.https = { kind: 'given', certFile: c.https.kind === 'given' ? c.https.certFile : '', keyFile: v }) },
  { env: 'RESUME_GRACE_MS', flag: 'resume-grace', apply: (c, v) => (c.resumeGraceMs = wholeNumber(v, 1_000, 600_000)) },
  { env: 'REDIS_URL', flag: 'redis-url', apply: (c, v) => (c.redisUrl = redisUrl(v)) },
  { env: 'JANUS_URL', flag: 'janus-url', apply: (c, v) => (c.sfu = { ...sfuOf(c), url: janusUrl(v) }) },
  { env: 'JANUS_API_SECRET', flag: 'janus-api-secret', apply: (c, v) => (c.sfu = { ...sfuOf(c), apiSecret: v }) },
  { env: 'JANUS_ADMIN_KEY', flag: 'janus-admin-key', apply: (c, v) => (c.sfu = { ...sfuOf(c), adminKey: v }) },
  { env: 'DATA_DIR', flag: 'data-dir', apply: (c, v) => (c.dataDir = v) },
  { env: 'EMPTY_ROOM_TTL_MS', flag: 'empty-room-ttl', apply: (c, v) => (c.emptyRoomTtlMs = wholeNumber(v, 1_000, 7 * 86_400_000)) },
  { env: 'SOCKETS_PER_ADDRESS', flag: 'sockets-per-address', apply: (c, v) => (c.socketsPerAddress = wholeNumber(v, 1)) },
  { env: 'ROOMS_PER_MINUTE_PER_ADDRESS', flag: 'rooms-per-minute-per-address', apply: (c, v) => (c.roomsPerMinutePerAddress = wholeNumber(v, 1)) },
  { env: 'JOINS_PER_MINUTE_PER_ADDRESS', flag: 'joins-per-minute-per-address', apply: (c, v) => (c.joinsPerMinutePerAddress = wholeNumber(v, 1)) },
  { env: 'PASSCODE_ATTEMPTS_PER_MINUTE_PER_ADDRESS', flag: 'passcode-attempts-per-minute-per-address', apply: (c, v) => (c.passcodeAttemptsPerMinutePerAddress = wholeNumber(v, 1)) },
  { env: 'KNOCKS_PER_MINUTE_PER_ADDRESS', flag: 'knocks-per-minute-per-address', apply: (c, v) => (c.knocksPerMinutePerAddress = wholeNumber(v, 1)) },
  { env: 'HANDSHAKE_TIMEOUT_MS', flag: 'handshake-timeout', apply: (c, v) => (c.handshakeTimeoutMs = wholeNumber(v, 100, 600_000)) },
];

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const turnOf = (c: ServerConfig): TurnSettings => c.turn ?? { urls: [], secret: '', ttlSeconds: 3600 };
const sfuOf = (c: ServerConfig): SfuSettings => c.sfu ?? { url: '', apiSecret: '', adminKey: '' };

function toSwitch(value: string): boolean {
  if (/^(on|true|yes|1)$/i.test(value)) return true;
  if (/^(off|false|no|0)$/i.test(value)) return false;
  throw new Error(`must be on or off, got "${value}"`);
}

function wholeNumber(value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new Error(`must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

function oneOf<const T extends string>(value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function atLeast(value: string, chars: number): string {
  if (value.length < chars) throw new Error(`must be at least ${chars} characters`);
  return value;
}

function urls(value: string, schemes: string[]): string[] {
  const given = list(value);
  const wrong = given.find((u) => !schemes.some((scheme) => u.startsWith(scheme)));
  if (wrong !== undefined) throw new Error(`must be comma-separated ${schemes.join(' or ')} URLs, got "${wrong}"`);
  return given;
}

/** The value as a URL, or undefined when it is none. */
function parsedUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function janusUrl(value: string): string {
  const parsed = parsedUrl(value);
  if (parsed?.protocol !== 'ws:' && parsed?.protocol !== 'wss:') throw new Error(`must be Janus's WebSocket API as a ws:// or wss:// URL, e.g. ws://127.0.0.1:8188, got "${value}"`);
  return value;
}

function redisUrl(value: string): string {
  if (!/^rediss?:\/\/[^\s]+$/.test(value)) throw new Error('must be a redis:// or rediss:// URL (not repeated here: it may hold a password)');
  return value;
}

/** A typo here would silently trust nobody (or the wrong host): refuse to start instead. */
function proxies(value: string): string[] {
  const entries = list(value);
  trustedProxyList(entries);
  return entries;
}

function origin(value: string): string {
  if (parsedUrl(value)?.origin !== value) throw new Error(`must be comma-separated origins such as https://example.org (no path), got "${value}"`);
  return value;
}

/** A setting's value refused: names the variable and the flag, then what is allowed. */
function applyChecked(setting: Setting, config: ServerConfig, value: string): void {
  try {
    setting.apply(config, value);
  } catch (err) {
    throw new Error(`${setting.env} (--${setting.flag}) ${(err as Error).message}`);
  }
}

/** Reads the configuration: defaults, then environment variables, then command-line flags. */
export function readConfig(env: NodeJS.ProcessEnv, argv: string[]): ServerConfig {
  const config = defaultConfig();
  for (const s of SETTINGS) {
    const value = env[s.env];
    if (value !== undefined && value !== '') applyChecked(s, config, value);
  }
  const flags = parseFlags(argv);
  for (const s of SETTINGS) {
    const value = flags[s.flag];
    if (value !== undefined) applyChecked(s, config, value);
  }
  if (config.https.kind === 'given' && (!config.https.certFile || !config.https.keyFile)) {
    throw new Error('HTTPS with your own certificate needs both TLS_CERT and TLS_KEY');
  }
  if (config.turn && (!config.turn.secret || config.turn.urls.length === 0)) {
    throw new Error('TURN needs both TURN_URLS and TURN_SECRET');
  }
  if (config.sfu && (!config.sfu.url || !config.sfu.apiSecret || !config.sfu.adminKey)) {
    const absent = [
      ['JANUS_URL', config.sfu.url],
      ['JANUS_API_SECRET', config.sfu.apiSecret],
      ['JANUS_ADMIN_KEY', config.sfu.adminKey],
    ]
      .filter(([, v]) => !v)
      .map(([name]) => name);
    throw new Error(`Janus needs all three of JANUS_URL, JANUS_API_SECRET and JANUS_ADMIN_KEY (missing: ${absent.join(', ')})`);
  }
  return config;
}

/** The flags through `node:util` parseArgs; a flag given twice counts its last value, as the environment would. */
function parseFlags(argv: string[]): Record<string, string | undefined> {
  // parseArgs knows no optional values: a bare `--https` is spelled out as `--https=on` first.
  const bareOf = new Map(SETTINGS.filter((s) => s.bare !== undefined).map((s) => [`--${s.flag}`, `--${s.flag}=${s.bare}`]));
  const args = argv.map((arg) => bareOf.get(arg) ?? arg);
  const options = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' as const }]));
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (err) {
    throw new Error(`${(err as Error).message.split('\n')[0]} (see the configuration table in the README)`);
  }
}
