import { randomBytes } from 'node:crypto';
import { MemorySignalBus } from './bus/memory.ts';
import type { SignalBus } from './bus/signal-bus.ts';
import type { ServerConfig } from './config.ts';
import type { Logger } from './log.ts';
import type { EndedSessionLog } from './rooms/ended-sessions.ts';
import { EndedSessions } from './rooms/ended-sessions-file.ts';
import { MemoryRateLimits, type LimitsPerMinute, type RateLimits } from './rooms/rate-limits.ts';
import { MemoryRoomStore } from './store/memory.ts';
import type { RoomStore } from './store/room-store.ts';

/** What the rooms service works against: all in this process's memory, or all in Redis. */
export interface RoomServices {
  store: RoomStore;
  bus: SignalBus;
  limits: RateLimits;
  ended: EndedSessionLog;
  processId: string;
  close(): Promise<void>;
}

export function limitsPerMinute(config: ServerConfig): LimitsPerMinute {
  return {
    join: config.joinsPerMinutePerAddress,
    'create-room': config.roomsPerMinutePerAddress,
    'passcode-by-address': config.passcodeAttemptsPerMinutePerAddress,
    'passcode-by-room': config.passcodeAttemptsPerMinutePerRoom,
  };
}

/** In memory unless REDIS_URL is set. `ended` (without Redis) defaults to memory only; main.ts passes one kept on disk. */
export async function roomServices(config: ServerConfig, log: Logger, ended?: EndedSessionLog): Promise<RoomServices> {
  const processId = randomBytes(6).toString('hex');
  const store = new MemoryRoomStore({ capacity: config.roomCapacity, emptyRoomTtlMs: config.emptyRoomTtlMs });
  const bus = new MemorySignalBus(store);
  void log;
  return {
    store,
    bus,
    limits: new MemoryRateLimits(limitsPerMinute(config)),
    ended: ended ?? EndedSessions.inMemory(config.resumeTokenLifetimeMs),
    processId,
    async close() {
      await bus.close();
      await store.close();
    },
  };
}
