import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { clientAddressResolver } from './client-address.ts';
import type { ServerConfig } from './config.ts';
import { createHttpApp } from './http/http-app.ts';
import { StaticFiles } from './http/static-files.ts';
import { createLogger, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { NO_RELAY_WARNING, warnsOfNoRelay } from './no-relay-warning.ts';
import { roomServices } from './room-services.ts';
import type { EndedSessionLog } from './rooms/ended-sessions.ts';
import { RoomsService } from './rooms/rooms-service.ts';
import { type TlsCredentials, tlsCredentials } from './tls/tls-credentials.ts';
import { SignalingSockets } from './transport/signaling-sockets.ts';

/** How long clients told to reconnect on shutdown wait before trying. */
export const SHUTDOWN_RETRY_MS = 500;
/** Longest a graceful shutdown waits for sockets before exiting anyway. */
export const SHUTDOWN_DEADLINE_MS = 5_000;

export interface RunningServer {
  /** e.g. http://127.0.0.1:41234, or https:// when serving HTTPS */
  url: string;
  port: number;
  /** The certificate in use when serving HTTPS. */
  tls: TlsCredentials | undefined;
  close(): Promise<void>;
}

/** Where the signaling WebSocket is served; any other upgrade is refused. */
export const SIGNALING_PATH = '/ws';

export interface ServerParts {
  log?: Logger;
  /** Where ended sessions are remembered without Redis; in memory unless given (`main.ts` keeps them in DATA_DIR, to outlive a restart). */
  endedSessions?: EndedSessionLog;
}

/** Starts HTTP and signaling on one port. Port 0 picks a free one (tests). */
export async function startServer(config: ServerConfig, parts: ServerParts = {}): Promise<RunningServer> {
  const log = parts.log ?? createLogger(config.logLevel);
  const services = await roomServices(config, log, parts.endedSessions);
  // The gauges are read at scrape time, when both below exist.
  const metrics: Metrics = new Metrics(() => ({ sockets: sockets.count, rooms: rooms.roomCount, sessions: rooms.memberCount }));
  const rooms = new RoomsService({ ...services, config, log, metrics });
  const sockets = new SignalingSockets(config, rooms, metrics, log);
  let draining = false;
  const files = await StaticFiles.load(config.webRoot);
  if (!files.get('/index.html')) log.warn('web-app-missing', { webRoot: config.webRoot, hint: 'run npm run build' });
  const handle = createHttpApp({ store: services.store, limits: services.limits, metrics, files, readiness: () => (draining ? 'draining' : services.store.ready ? 'ready' : 'store-unavailable') });

  const clientAddress = clientAddressResolver(config.trustedProxies);
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, clientAddress(req)).catch((err: unknown) => {
      log.error('http-failed', { message: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
  const tls = config.https.kind === 'off' ? undefined : await tlsCredentials(config.https, config.dataDir);
  if (tls?.created) log.info('certificate-created', { dataDir: config.dataDir, fingerprint: tls.fingerprint });
  // Checked this often, a connection that never finishes its request headers is dropped within a second of its deadline.
  const checking = { connectionsCheckingInterval: Math.min(1_000, config.handshakeTimeoutMs) };
  // Over HTTPS the same bound covers a connection that never starts TLS (the default would wait two minutes).
  const server: Server = tls ? createSecureServer({ ...checking, handshakeTimeout: config.handshakeTimeoutMs, cert: tls.cert, key: tls.key }, onRequest) : createServer(checking, onRequest);
  server.on('upgrade', (req, socket, head) => {
    // This runs inside the socket's data handler, where anything thrown would take the whole process down.
    try {
      if ((req.url ?? '').split('?', 1)[0] !== SIGNALING_PATH) return socket.destroy();
      sockets.handleUpgrade(req, socket, head, clientAddress(req));
    } catch (err) {
      log.error('upgrade-failed', { message: err instanceof Error ? err.message : String(err) });
      socket.destroy();
    }
  });
  // A handshake must finish promptly: a slow-loris request or upgrade (or a connection that sends nothing) is dropped.
  server.headersTimeout = config.handshakeTimeoutMs;
  server.requestTimeout = Math.max(30_000, config.handshakeTimeoutMs);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  log.info('listening', { port, host: config.host });
  if (warnsOfNoRelay(config)) log.warn('no-relay-configured', { host: config.host, advice: NO_RELAY_WARNING });

  return {
    url: `${tls ? 'https' : 'http'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    tls,
    async close() {
      draining = true;
      sockets.shutdown(SHUTDOWN_RETRY_MS);
      const roomsClosed = rooms.close();
      server.closeIdleConnections();
      await Promise.race([new Promise<void>((resolve) => server.close(() => resolve())), new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_DEADLINE_MS).unref())]);
      server.closeAllConnections();
      // The SFU rooms are left (or, with rooms in memory, destroyed) while the connection to the SFU is still up.
      await roomsClosed;
      await services.close();
    },
  };
}
