import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EMPTY_ROOM_TTL_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  JOINS_PER_MINUTE_PER_ADDRESS,
  MAX_ROOM_PEERS,
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
    helloTimeoutMs: HELLO_TIMEOUT_MS,
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    resumeSecret: randomBytes(32).toString('base64url'),
    https: { kind: 'off' },
    dataDir: join(homedir(), '.videoapp'),
    trustedProxies: [],
  };
}

/**
 * Each setting: its environment variable, its flag, and how to read it. Documented in the README's table.
 * A setting with `bare` may be given as its flag alone (`--https`), meaning that value; it then takes a value only inline (`--https=off`).
 */
const SETTINGS: { env: string; flag: string; bare?: string; apply: (c: ServerConfig, v: string) => void }[] = [
  { env: 'PORT', flag: '--port', apply: (c, v) => (c.port = toInt(v, 'PORT')) },
  { env: 'HOST', flag: '--host', apply: (c, v) => (c.host = v) },
  { env: 'ALLOWED_ORIGINS', flag: '--allowed-origins', apply: (c, v) => (c.allowedOrigins = list(v)) },
  { env: 'TRUSTED_PROXIES', flag: '--trusted-proxies', apply: (c, v) => (c.trustedProxies = list(v)) },
  { env: 'STUN_URLS', flag: '--stun-urls', apply: (c, v) => (c.stunUrls = list(v)) },
  { env: 'TURN_URLS', flag: '--turn-urls', apply: (c, v) => (c.turn = { ...turnOf(c), urls: list(v) }) },
  { env: 'TURN_SECRET', flag: '--turn-secret', apply: (c, v) => (c.turn = { ...turnOf(c), secret: v }) },
  { env: 'TURN_TTL_SECONDS', flag: '--turn-ttl', apply: (c, v) => (c.turn = { ...turnOf(c), ttlSeconds: toInt(v, 'TURN_TTL_SECONDS') }) },
  { env: 'RESUME_SECRET', flag: '--resume-secret', apply: (c, v) => (c.resumeSecret = v) },
  { env: 'LOG_LEVEL', flag: '--log-level', apply: (c, v) => (c.logLevel = v as ServerConfig['logLevel']) },
  { env: 'HTTPS', flag: '--https', bare: 'on', apply: (c, v) => (c.https = toSwitch(v, 'HTTPS') ? (c.https.kind === 'off' ? { kind: 'self-signed' } : c.https) : { kind: 'off' }) },
  { env: 'TLS_CERT', flag: '--tls-cert', apply: (c, v) => (c.https = { kind: 'given', certFile: v, keyFile: c.https.kind === 'given' ? c.https.keyFile : '' }) },
  { env: 'TLS_KEY', flag: '--tls-key', apply: (c, v) => (c.https = { kind: 'given', certFile: c.https.kind === 'given' ? c.https.certFile : '', keyFile: v }) },
  { env: 'DATA_DIR', flag: '--data-dir', apply: (c, v) => (c.dataDir = v) },
  { env: 'EMPTY_ROOM_TTL_MS', flag: '--empty-room-ttl', apply: (c, v) => (c.emptyRoomTtlMs = toInt(v, 'EMPTY_ROOM_TTL_MS')) },
  { env: 'SOCKETS_PER_ADDRESS', flag: '--sockets-per-address', apply: (c, v) => (c.socketsPerAddress = toInt(v, 'SOCKETS_PER_ADDRESS')) },
  { env: 'ROOMS_PER_MINUTE_PER_ADDRESS', flag: '--rooms-per-minute-per-address', apply: (c, v) => (c.roomsPerMinutePerAddress = toInt(v, 'ROOMS_PER_MINUTE_PER_ADDRESS')) },
  { env: 'JOINS_PER_MINUTE_PER_ADDRESS', flag: '--joins-per-minute-per-address', apply: (c, v) => (c.joinsPerMinutePerAddress = toInt(v, 'JOINS_PER_MINUTE_PER_ADDRESS')) },
  { env: 'PASSCODE_ATTEMPTS_PER_MINUTE_PER_ADDRESS', flag: '--passcode-attempts-per-minute-per-address', apply: (c, v) => (c.passcodeAttemptsPerMinutePerAddress = toInt(v, 'PASSCODE_ATTEMPTS_PER_MINUTE_PER_ADDRESS')) },
  { env: 'HANDSHAKE_TIMEOUT_MS', flag: '--handshake-timeout', apply: (c, v) => (c.handshakeTimeoutMs = toInt(v, 'HANDSHAKE_TIMEOUT_MS')) },
];

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
const turnOf = (c: ServerConfig): TurnSettings => c.turn ?? { urls: [], secret: '', ttlSeconds: 3600 };

function toSwitch(value: string, name: string): boolean {
  if (/^(on|true|yes|1)$/i.test(value)) return true;
  if (/^(off|false|no|0)$/i.test(value)) return false;
  throw new Error(`${name} must be on or off, got "${value}"`);
}

function toInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
  return n;
}

/** Reads the configuration: defaults, then environment variables, then command-line flags. */
export function readConfig(env: NodeJS.ProcessEnv, argv: string[]): ServerConfig {
  const config = defaultConfig();
  for (const s of SETTINGS) {
    const value = env[s.env];
    if (value !== undefined && value !== '') s.apply(config, value);
  }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2);
    const setting = SETTINGS.find((s) => s.flag === flag);
    if (!setting) throw new Error(`unknown option ${flag}`);
    const value = inline ?? setting.bare ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    setting.apply(config, value);
  }
  if (config.https.kind === 'given' && (!config.https.certFile || !config.https.keyFile)) {
    throw new Error('HTTPS with your own certificate needs both TLS_CERT and TLS_KEY');
  }
  if (config.turn && (!config.turn.secret || config.turn.urls.length === 0)) {
    throw new Error('TURN needs both TURN_URLS and TURN_SECRET');
  }
  // A typo here would silently trust nobody (or the wrong host): refuse to start instead.
  trustedProxyList(config.trustedProxies);
  return config;
}
