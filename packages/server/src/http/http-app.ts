import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiErrorResponse, CreateRoomRequest, type CreateRoomResponse, type ErrorCode, normalizeRoomId, parse, type RoomStatusResponse } from '@videoapp/protocol';
import type { Metrics } from '../metrics.ts';
import { hashPasscode, newHostKey } from '../room-secrets.ts';
import type { RateLimits } from '../rooms/rate-limits.ts';
import type { RoomStore } from '../store/room-store.ts';
import { setSecurityHeaders } from './security-headers.ts';
import type { StaticFiles } from './static-files.ts';

export interface HttpAppDeps {
  store: RoomStore;
  /** Room creation and lookups count against the same per-address allowances as joins. */
  limits: RateLimits;
  metrics: Metrics;
  /** The built web app, read at start. */
  files: StaticFiles;
  /** `ready`, or why not: shutting down, or the room store (Redis) unreachable. */
  readiness: () => 'ready' | 'draining' | 'store-unavailable';
}

/** Largest request body the API reads (a create-room request with the longest passcode is ~200 bytes). */
export const MAX_API_BODY_BYTES = 1024;

const STATUS_FOR: Partial<Record<ErrorCode, number>> = { 'room-not-found': 404, 'rate-limited': 429, 'bad-message': 400, 'message-too-large': 413 };

/** The HTTP side: the JSON API, health, metrics, and the web app (any unknown page path gets the app shell). */
export function createHttpApp(deps: HttpAppDeps) {
  const { files } = deps;

  function json(res: ServerResponse, status: number, body: CreateRoomResponse | RoomStatusResponse | ApiErrorResponse | { status: string }): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  function fail(res: ServerResponse, code: ErrorCode, message: string): void {
    if (code === 'message-too-large') res.shouldKeepAlive = false;
    json(res, STATUS_FOR[code] ?? 400, { error: { code, message } });
  }

  async function createRoom(req: IncomingMessage, res: ServerResponse, address: string): Promise<void> {
    if (!(await deps.limits.take('create-room', address))) return fail(res, 'rate-limited', 'too many rooms created; wait a minute');
    const body = await readJsonBody(req);
    if (!body.ok) return fail(res, body.code, body.problem);
    const request = parse(CreateRoomRequest, body.value);
    if (!request.ok) return fail(res, 'bad-message', request.problem);
    const hostKey = newHostKey();
    const passcode = request.value.passcode;
    const roomId = await deps.store.createRoom({ hostKeyHash: hostKey.hash, passcodeHash: passcode === undefined ? undefined : await hashPasscode(passcode) });
    json(res, 201, { roomId, hostKey: hostKey.key });
  }

  async function roomStatus(res: ServerResponse, address: string, rawId: string): Promise<void> {
    // Looking a room up is a guess at its ID too, so it shares the join limit.
    if (!(await deps.limits.take('join', address))) return fail(res, 'rate-limited', 'too many lookups; wait a minute');
    const roomId = normalizeRoomId(rawId);
    const status = roomId && (await deps.store.status(roomId));
    if (!roomId || !status) return fail(res, 'room-not-found', 'no such room, or it has expired');
    json(res, 200, { roomId, ...status });
  }

  function serveApp(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const file = (path !== '/' && files.get(path)) || (isAppRoute(path) ? files.get('/index.html') : undefined);
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
    if (path === '/api/rooms' && req.method === 'POST') return createRoom(req, res, address);
    const statusMatch = /^\/api\/rooms\/([^/]+)$/.exec(path);
    if (statusMatch && req.method === 'GET') return roomStatus(res, address, statusMatch[1]!);
    if (path.startsWith('/api/')) return fail(res, 'bad-message', 'unknown API path');
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const status = deps.readiness();
      return json(res, status === 'ready' ? 200 : 503, { status });
    }
    if (path === '/metrics') {
      const text = await deps.metrics.render();
      res.writeHead(200, { 'Content-Type': deps.metrics.contentType }).end(text);
      return;
    }
    return serveApp(req, res, path);
  };
}

/** Paths the single-page app draws itself: home, room links (the lobby) and the room itself. */
function isAppRoute(path: string): boolean {
  return path === '/' || path === '/index.html' || /^\/r\/[^/]+(\/call)?\/?$/.test(path);
}

/** Reads a small JSON body; an empty body reads as `{}`. */
async function readJsonBody(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; code: ErrorCode; problem: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_API_BODY_BYTES) {
      // Stop reading; the answer goes out with Connection: close so the rest is never read.
      req.pause();
      return { ok: false, code: 'message-too-large', problem: `request body over ${MAX_API_BODY_BYTES} bytes` };
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, code: 'bad-message', problem: 'body is not valid JSON' };
  }
}
