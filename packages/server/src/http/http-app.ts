import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeRoomId, type ApiErrorResponse, type CreateRoomResponse, type ErrorCode, type RoomStatusResponse } from '@videoapp/protocol';
import { PerMinuteLimit } from '../rate-limit.ts';
import type { RoomRegistry } from '../registry/room-registry.ts';
import type { Metrics } from '../metrics.ts';
import { setSecurityHeaders } from './security-headers.ts';
import { StaticFiles } from './static-files.ts';

export interface HttpAppDeps {
  registry: RoomRegistry;
  metrics: Metrics;
  webRoot: string;
  roomsPerMinutePerAddress: number;
  joinLimit: PerMinuteLimit;
  isReady: () => boolean;
}

const STATUS_FOR: Partial<Record<ErrorCode, number>> = { 'room-not-found': 404, 'rate-limited': 429, 'bad-message': 400 };

/** The HTTP side: the JSON API, health, metrics, and the web app (any unknown page path gets the app shell). */
export function createHttpApp(deps: HttpAppDeps) {
  const files = new StaticFiles(deps.webRoot);
  const createLimit = new PerMinuteLimit(deps.roomsPerMinutePerAddress);

  function json(res: ServerResponse, status: number, body: CreateRoomResponse | RoomStatusResponse | ApiErrorResponse | { status: string }): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  function fail(res: ServerResponse, code: ErrorCode, message: string): void {
    json(res, STATUS_FOR[code] ?? 400, { error: { code, message } });
  }

  async function createRoom(res: ServerResponse, address: string): Promise<void> {
    if (!createLimit.take(address)) return fail(res, 'rate-limited', 'too many rooms created; wait a minute');
    json(res, 201, { roomId: await deps.registry.createRoom() });
  }

  async function roomStatus(res: ServerResponse, address: string, rawId: string): Promise<void> {
    // Looking a room up is a guess at its ID too, so it shares the join limit.
    if (!deps.joinLimit.take(address)) return fail(res, 'rate-limited', 'too many lookups; wait a minute');
    const roomId = normalizeRoomId(rawId);
    const status = roomId && (await deps.registry.status(roomId));
    if (!roomId || !status) return fail(res, 'room-not-found', 'no such room, or it has expired');
    json(res, 200, { roomId, ...status });
  }

  async function serveApp(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const file = (path !== '/' && (await files.get(path))) || (isAppRoute(path) ? await files.get('/index.html') : undefined);
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Length': file.body.length,
      'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, address: string): Promise<void> {
    setSecurityHeaders(req, res);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/api/rooms' && req.method === 'POST') return createRoom(res, address);
    const statusMatch = /^\/api\/rooms\/([^/]+)$/.exec(path);
    if (statusMatch && req.method === 'GET') return roomStatus(res, address, statusMatch[1]!);
    if (path.startsWith('/api/')) return fail(res, 'bad-message', 'unknown API path');
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') return json(res, deps.isReady() ? 200 : 503, { status: deps.isReady() ? 'ready' : 'draining' });
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(deps.metrics.render());
      return;
    }
    return serveApp(req, res, path);
  };
}

/** Paths the single-page app draws itself: home, room links (the lobby) and the room itself. */
function isAppRoute(path: string): boolean {
  return path === '/' || path === '/index.html' || /^\/r\/[^/]+(\/call)?\/?$/.test(path);
}
