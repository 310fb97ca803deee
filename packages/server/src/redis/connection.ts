import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type { Logger } from '../log.ts';

/**
 * Commands waiting for Redis while it is unreachable. A short outage (a
 * restart) is ridden out by this queue and signaling carries on where it
 * stopped; past this many, commands fail at once and the client gets an error
 * rather than the server's memory growing.
 */
export const REDIS_QUEUE_MAX = 10_000;
/** Longest pause between attempts to reach Redis again. */
export const REDIS_RECONNECT_MAX_MS = 1_000;
/** How long a starting server waits for Redis before giving up (a wrong REDIS_URL should say so, not hang). */
export const REDIS_CONNECT_TIMEOUT_MS = 10_000;
/** How often "Redis unreachable" is logged while it stays so. */
export const REDIS_ERROR_LOG_INTERVAL_MS = 10_000;

function newClient(url: string) {
  return createClient({
    url,
    commandsQueueMaxLength: REDIS_QUEUE_MAX,
    socket: { reconnectStrategy: (attempt) => Math.min(50 * 2 ** attempt, REDIS_RECONNECT_MAX_MS) },
  });
}

export type Redis = ReturnType<typeof newClient>;

/** A connected client that reconnects on its own and logs trouble instead of throwing it at the process. */
export async function connectRedis(url: string, log: Logger, role: string): Promise<Redis> {
  const client = newClient(url);
  let lastLogged = 0;
  let down = false;
  client.on('error', (err: unknown) => {
    down = true;
    const now = Date.now();
    if (now - lastLogged < REDIS_ERROR_LOG_INTERVAL_MS) return;
    lastLogged = now;
    log.error('redis-unreachable', { role, message: err instanceof Error ? err.message : String(err) });
  });
  client.on('ready', () => {
    if (down) log.info('redis-back', { role });
    down = false;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis at ${new URL(url).host} did not answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s (check REDIS_URL)`)), REDIS_CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([client.connect(), timeout]);
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/** A Lua script, run by its hash (loaded on first use, and again after Redis restarts and forgets it). */
export class Script {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    const options = { keys, arguments: args.map(String) };
    try {
      return await client.evalSha(this.sha, options);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, options);
    }
  }
}
