import type { ServerConfig } from '@videoapp/server';
import { RedisServer } from './redis-server.ts';
import { missing } from './requires.ts';
import { startTestServer } from './test-server.ts';

/** Somewhere to point clients at: one process, or two sharing rooms, so a suite can run against either. */
export interface Deployment {
  /** Where the first and the second client of a pair connect: the same process, or two different ones. */
  urls: [string, string];
  /** The first process's port, for tests that speak raw TCP to it. */
  port: number;
  close(): Promise<void>;
}

export interface DeploymentKind {
  name: string;
  /** Why this kind cannot run here, or false. */
  skip: string | false;
  start(overrides?: Partial<ServerConfig>): Promise<Deployment>;
}

export const ONE_PROCESS: DeploymentKind = {
  name: 'one process, rooms in memory',
  skip: false,
  async start(overrides) {
    const server = await startTestServer(overrides);
    return { urls: [server.url, server.url], port: server.port, close: () => server.close() };
  },
};

export const TWO_PROCESSES: DeploymentKind = {
  name: 'two processes sharing rooms through Redis',
  skip: missing('redis'),
  async start(overrides) {
    const redis = await RedisServer.start();
    const settings = { ...overrides, redisUrl: redis.url, resumeSecret: 'two-process-test-secret' };
    const servers = [await startTestServer(settings), await startTestServer(settings)];
    return {
      urls: [servers[0]!.url, servers[1]!.url],
      port: servers[0]!.port,
      async close() {
        for (const server of servers) await server.close();
        await redis.close();
      },
    };
  },
};

export const DEPLOYMENTS = [ONE_PROCESS, TWO_PROCESSES];
