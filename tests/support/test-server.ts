import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type RunningServer, type ServerConfig, startServer } from '@videoapp/server';

/** The real server on an ephemeral loopback port, quiet, with the given settings changed. */
export function startTestServer(overrides: Partial<ServerConfig> = {}): Promise<RunningServer> {
  return startServer({ ...defaultConfig(), port: 0, host: '127.0.0.1', logLevel: 'silent', ...overrides });
}

/**
 * The real server serving HTTPS with a certificate it generates itself (as `npm start -- --https` does),
 * kept in a fresh temporary data dir that `close()` removes.
 */
export async function startHttpsTestServer(overrides: Partial<ServerConfig> = {}): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vashell-https-'));
  const server = await startTestServer({ https: { kind: 'self-signed' }, dataDir, ...overrides }).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    ...server,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
