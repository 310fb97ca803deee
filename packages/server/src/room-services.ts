import { randomBytes } from 'node:crypto';
import { MemorySignalBus } from './bus/memory.ts';
import { RedisSignalBus } from './bus/redis.ts';
import type { SignalBus } from './bus/signal-bus.ts';
import { roomCapacity, type ServerConfig } from './config.ts';
import type { Logger } from './log.ts';
import { connectRedis } from './redis/connection.ts';
import { RedisEndedSessions } from './redis/ended-sessions.ts';
import { RedisRateLimits } from './redis/rate-limits.ts';
import type { EndedSessionLog } from './rooms/ended-sessions.ts';
import { EndedSessions } from './rooms/ended-sessions-file.ts';
import { type LimitsPerMinute, MemoryRateLimits, type RateLimits } from './rooms/rate-limits.ts';
import { JanusAdapter } from './sfu/janus.ts';
import type { SfuAdapter } from './sfu/sfu-adapter.ts';
import { MemoryRoomStore } from './store/memory.ts';
import { RedisRoomStore } from './store/redis.ts';
import type { RoomStore } from './store/room-store.ts';

/** What the rooms service works against: all in this process's memory, or all in Redis. */
export interface RoomServices {
  store: RoomStore;
  bus: SignalBus;
  limits: RateLimits;
  ended: EndedSessionLog;
  processId: string;
  /**
   * The SFU, when JANUS_URL is set: connected (and its secrets checked) at
   * start, so a wrong setting stops the server.
   */
  sfu: SfuAdapter | undefined;
  close(): Promise<void>;
}

export function limitsPerMinute(config: ServerConfig): LimitsPerMinute {
  return {
    join: config.joinsPerMinutePerAddress,
    'create-room': config.roomsPerMinutePerAddress,
    'passcode-by-address': config.passcodeAttemptsPerMinutePerAddress,
    'passcode-by-room': config.passcodeAttemptsPerMinutePerRoom,
    knock: config.knocksPerMinutePerAddress,
  };
}

/** In memory unless REDIS_URL is set. `ended` (without Redis) defaults to memory only; main.ts passes one kept on disk. */
export async function roomServices(config: ServerConfig, log: Logger, ended?: EndedSessionLog): Promise<RoomServices> {
  const processId = randomBytes(6).toString('hex');
  const sfu = config.sfu ? await JanusAdapter.connect(config.sfu, log) : undefined;
  if (config.redisUrl) return redisServices(config.redisUrl, config, log, processId, sfu);
  const store = new MemoryRoomStore({ capacity: roomCapacity(config), emptyRoomTtlMs: config.emptyRoomTtlMs });
  const bus = new MemorySignalBus(store);
  return {
    store,
    bus,
    limits: new MemoryRateLimits(limitsPerMinute(config)),
    ended: ended ?? EndedSessions.inMemory(config.resumeTokenLifetimeMs),
    processId,
    sfu,
    async close() {
      await sfu?.close();
      await bus.close();
      await store.close();
    },
  };
}

async function redisServices(url: string, config: ServerConfig, log: Logger, processId: string, sfu: SfuAdapter | undefined): Promise<RoomServices> {
  const redis = await connectRedis(url, log, 'commands');
  const subscriber = await connectRedis(url, log, 'subscriber');
  const store = new RedisRoomStore(redis, { capacity: roomCapacity(config), emptyRoomTtlMs: config.emptyRoomTtlMs });
  await store.renewLease(processId);
  const bus = await RedisSignalBus.start(redis, subscriber, processId, log);
  log.info('redis-connected', { processId });
  return {
    store,
    bus,
    limits: new RedisRateLimits(redis, limitsPerMinute(config)),
    ended: new RedisEndedSessions(redis, config.resumeTokenLifetimeMs),
    processId,
    sfu,
    async close() {
      await sfu?.close().catch(() => undefined);
      await bus.close().catch(() => undefined);
      // Whatever is still queued for Redis is given up: the process is going.
      subscriber.destroy();
      redis.destroy();
    },
  };
}
