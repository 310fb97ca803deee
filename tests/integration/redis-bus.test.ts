// The signal bus and room store over a real Redis, as two processes would use them: the same contracts as in memory.
import { describe } from 'node:test';
import { createLogger } from '@videoapp/server';
import { RedisSignalBus } from '../../packages/server/src/bus/redis.ts';
import { busContract } from '../../packages/server/src/bus/signal-bus.contract.ts';
import { connectRedis } from '../../packages/server/src/redis/connection.ts';
import { knockQueueContract } from '../../packages/server/src/store/knock-queue.contract.ts';
import { raisedHandsContract } from '../../packages/server/src/store/raised-hands.contract.ts';
import { RedisRoomStore } from '../../packages/server/src/store/redis.ts';
import { type OpenStore, sfuRoomRecordContract } from '../../packages/server/src/store/sfu-room-record.contract.ts';
import { RedisServer } from '../support/redis-server.ts';
import { missing } from '../support/requires.ts';

/** A Redis store of its own, on a Redis started for it. */
const openRedisStore: OpenStore = async (emptyRoomTtlMs) => {
  const redis = await RedisServer.start();
  const client = await connectRedis(redis.url, createLogger('silent'), 'test-store');
  return {
    store: new RedisRoomStore(client, { capacity: 4, emptyRoomTtlMs }),
    async close() {
      client.destroy();
      await redis.close();
    },
  };
};

describe('the signal bus over Redis, between two processes', { skip: missing('redis') }, () => {
  busContract(async () => {
    const redis = await RedisServer.start();
    const log = createLogger('silent');
    const clients = await Promise.all(Array.from({ length: 3 }, (_, i) => connectRedis(redis.url, log, `test-${i}`)));
    const [commands, subscriberA, subscriberB] = clients as [(typeof clients)[0], (typeof clients)[0], (typeof clients)[0]];
    const store = new RedisRoomStore(commands, { capacity: 4, emptyRoomTtlMs: 60_000 });
    const buses = [await RedisSignalBus.start(commands, subscriberA, 'process-a', log), await RedisSignalBus.start(commands, subscriberB, 'process-b', log)] as const;
    return {
      store,
      buses: [buses[0], buses[1]],
      async close() {
        for (const bus of buses) await bus.close();
        for (const client of clients) client.destroy();
        await redis.close();
      },
    };
  });
});

describe('the SFU room record over Redis', { skip: missing('redis') }, () => {
  sfuRoomRecordContract(openRedisStore);
});

describe('raised hands over Redis', { skip: missing('redis') }, () => {
  raisedHandsContract(openRedisStore);
});

describe('the knock queue over Redis', { skip: missing('redis') }, () => {
  knockQueueContract(openRedisStore);
});
