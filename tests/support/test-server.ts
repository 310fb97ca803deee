import { defaultConfig, startServer, type RunningServer, type ServerConfig } from '@videoapp/server';

/** The real server on an ephemeral loopback port, quiet, with the given settings changed. */
export function startTestServer(overrides: Partial<ServerConfig> = {}): Promise<RunningServer> {
  return startServer({ ...defaultConfig(), port: 0, host: '127.0.0.1', logLevel: 'silent', ...overrides });
}
