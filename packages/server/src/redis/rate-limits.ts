import type { LimitName, LimitsPerMinute, RateLimits } from '../rooms/rate-limits.ts';
import { type Redis, Script } from './connection.ts';
import { keys } from './keys.ts';

// KEYS: the counter. ARGV: its lifetime. Counts one use, starting the window's clock on the first.
const COUNT = new Script(`
local used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return used`);

const MINUTE_MS = 60_000;

/** Per-minute allowances counted in Redis, so every process of a deployment draws on the same ones. */
export class RedisRateLimits implements RateLimits {
  constructor(
    private readonly redis: Redis,
    private readonly perMinute: LimitsPerMinute,
  ) {}

  async take(limit: LimitName, key: string): Promise<boolean> {
    const window = Math.floor(Date.now() / MINUTE_MS);
    const used = Number(await COUNT.run(this.redis, [keys.rate(limit, window, key)], [MINUTE_MS]));
    return used <= this.perMinute[limit];
  }
}
