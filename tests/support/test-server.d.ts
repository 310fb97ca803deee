import { type RunningServer, type ServerConfig } from '@videoapp/server';
/** The real server on an ephemeral loopback port, quiet, with the given settings changed. */
export declare function startTestServer(overrides?: Partial<ServerConfig>): Promise<RunningServer>;
