import { ApiErrorResponse, CreateRoomResponse, type ErrorCode, parse, RoomStatusResponse } from '@videoapp/protocol';

/** Why an API call failed: a protocol error code, or that the server could not be reached at all. */
export type ApiFailure = { ok: false; code: ErrorCode | 'offline' | 'server-unreachable' };
export type ApiResult<T> = { ok: true; value: T } | ApiFailure;

async function request<T>(path: string, init: RequestInit, schema: Parameters<typeof parse<T>>[0]): Promise<ApiResult<T>> {
  if (!navigator.onLine) return { ok: false, code: 'offline' };
  let res: Response;
  try {
    res = await fetch(path, { ...init, cache: 'no-store' });
  } catch {
    return { ok: false, code: navigator.onLine ? 'server-unreachable' : 'offline' };
  }
  const body: unknown = await res.json().catch(() => undefined);
  const success = parse(schema, body);
  if (res.ok && success.ok) return { ok: true, value: success.value };
  const failure = parse(ApiErrorResponse, body);
  return { ok: false, code: failure.ok ? failure.value.error.code : 'server-unreachable' };
}

/** Creates a room, protected by `passcode` when one is given. */
export const createRoom = (passcode?: string) =>
  request('/api/rooms', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passcode ? { passcode } : {}) }, CreateRoomResponse);
export const roomStatus = (roomId: string) => request(`/api/rooms/${encodeURIComponent(roomId)}`, {}, RoomStatusResponse);
