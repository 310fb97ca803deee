import { normalizeRoomId, roomPath } from '@videoapp/protocol';

/** The app's screens as addresses: a room link opens its lobby; `/call` is the room itself. */
export type Route = { screen: 'home' } | { screen: 'lobby'; roomId: string } | { screen: 'room'; roomId: string } | { screen: 'bad-link' };

export function parseRoute(path: string): Route {
  if (path === '/' || path === '/index.html') return { screen: 'home' };
  const match = /^\/r\/([^/]+)(\/call)?\/?$/.exec(path);
  if (!match) return { screen: 'home' };
  const roomId = normalizeRoomId(decodeURIComponent(match[1]!));
  if (!roomId) return { screen: 'bad-link' };
  return { screen: match[2] ? 'room' : 'lobby', roomId };
}

export function pathOf(route: Route): string {
  switch (route.screen) {
    case 'home':
    case 'bad-link':
      return '/';
    case 'lobby':
      return roomPath(route.roomId);
    case 'room':
      return `${roomPath(route.roomId)}/call`;
  }
}

export function roomLink(roomId: string): string {
  return `${location.origin}${roomPath(roomId)}`;
}
