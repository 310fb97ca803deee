// VideoApp as a deployment runs it, on one machine: a local Redis, several
// server processes sharing rooms through it, and nginx in front spreading
// requests over them. Started by `npm run start:cluster` (scripts/cluster.ts)
// and by the cluster tests; everything listens on loopback and is stopped by PID.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../tests/support/free-port.ts';
import { RedisServer } from '../tests/support/redis-server.ts';
import { ServerProcess } from '../tests/support/server-process.ts';
import { type RunningNginx, startNginx } from './nginx.ts';

/** Enough processes that one can die while the call it served goes on across the others. */
export const DEFAULT_PROCESS_COUNT = 3;
/** What the processes call the proxy in front of them: nginx runs on the same machine. */
const PROXY_ADDRESS = '127.0.0.1';

export interface LocalClusterOptions {
  /** Loopback port nginx listens on: the one URL people open. */
  publicPort: number;
  processCount?: number;
  /** Settings given to every process on top of the cluster's own (e.g. LOG_LEVEL, RESUME_GRACE_MS). */
  env?: Record<string, string>;
  /** Each log line of each process, with the process's name (`videoapp-1`, …). */
  onLine?: (processName: string, line: string) => void;
}

/** One server process of the cluster, named for logs and messages. */
export class ClusterProcess extends ServerProcess {
  constructor(
    readonly name: string,
    ...process: ConstructorParameters<typeof ServerProcess>
  ) {
    super(...process);
  }
}

export class LocalCluster {
  private constructor(
    readonly redis: RedisServer,
    readonly processes: ClusterProcess[],
    readonly proxy: RunningNginx,
    private readonly workDir: string,
  ) {}

  /** The URL to open: nginx, which passes each request to one of the processes. */
  get url(): string {
    return this.proxy.url;
  }

  /** Starts Redis, then the processes, then nginx over them; on a failure stops what had started. */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const workDir = mkdtempSync(join(tmpdir(), 'videoapp-cluster-'));
    let redis: RedisServer | undefined;
    const processes: ClusterProcess[] = [];
    try {
      redis = await RedisServer.start();
      const shared = {
        REDIS_URL: redis.url,
        // One secret for all: a token signed by the process that died is honoured by the one the client reaches next.
        RESUME_SECRET: randomBytes(32).toString('base64url'),
        TRUSTED_PROXIES: PROXY_ADDRESS,
        ...options.env,
      };
      for (let i = 1; i <= (options.processCount ?? DEFAULT_PROCESS_COUNT); i++) {
        const name = `videoapp-${i}`;
        // Each its own DATA_DIR, as on separate machines.
        const env = { ...shared, DATA_DIR: join(workDir, name) };
        const onLine = options.onLine && ((line: string) => options.onLine!(name, line));
        processes.push(new ClusterProcess(name, await freePort(), env, { host: '127.0.0.1', onLine }));
      }
      await Promise.all(processes.map((p) => p.start()));
      const proxy = await startNginx({ port: options.publicPort, upstreams: processes.map((p) => `127.0.0.1:${p.port}`), workDir: join(workDir, 'nginx') });
      return new LocalCluster(redis, processes, proxy, workDir);
    } catch (err) {
      await Promise.all(processes.map((p) => p.kill()));
      await redis?.close();
      rmSync(workDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The processes not killed (yet). */
  get running(): ClusterProcess[] {
    return this.processes.filter((p) => p.running);
  }

  /** Stops the proxy first (no new requests), then the processes, then Redis, and removes their files. */
  async stop(): Promise<void> {
    await this.proxy.stop();
    await Promise.all(this.processes.map((p) => p.stop()));
    await this.redis.close();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
