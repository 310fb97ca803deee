import type { EndedSessionLog } from '../rooms/ended-sessions.ts';
import type { Redis } from './connection.ts';
import { keys } from './keys.ts';

/** Ended sessions in Redis, each kept as long as one of its tokens could still be presented. */
export class RedisEndedSessions implements EndedSessionLog {
  constructor(
    private readonly redis: Redis,
    private readonly tokenLifetimeMs: number,
  ) {}

  async end(peerId: string): Promise<void> {
    await this.redis.set(keys.ended(peerId), '1', { PX: this.tokenLifetimeMs });
  }

  async has(peerId: string): Promise<boolean> {
    return (await this.redis.exists(keys.ended(peerId))) === 1;
  }

  close(): void {}
}
