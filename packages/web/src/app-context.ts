import type { RoomCredentials } from '@videoapp/client';
import type { BlurSwitch } from './blur/blur-switch.ts';
import type { Route } from './routes.ts';

/** What the lobby hands the room: the media already open, so joining needs no second camera prompt. */
export interface JoinHandoff {
  roomId: string;
  name: string;
  stream: MediaStream;
  /** The camera could not be had: the call is audio-only. */
  audioOnly: boolean;
  /** "Hide my IP address": media only through the TURN relay, so the other side never learns our address. */
  relayOnly: boolean;
  /** What the lobby gathered to enter a protected room. */
  credentials: RoomCredentials;
  /** Background blur as the lobby left it (perhaps running on `stream`'s camera); the room owns it from here. */
  blur?: BlurSwitch;
}

export interface AppContext {
  navigate(route: Route, options?: { replace?: boolean }): void;
  /** Set by the lobby just before it opens the room; taken (and thereby owned) by the room. */
  handoff: JoinHandoff | undefined;
}

/** A screen draws itself into `root` and returns what undoes it: stops media, closes the call, removes listeners. */
export type Screen<R extends Route = Route> = (root: HTMLElement, ctx: AppContext, route: R) => () => void;

const NAME_KEY = 'videoapp:name';
const HOST_KEY_PREFIX = 'videoapp:host:';

/** The creator's proof of ownership, kept for this tab only: never in a link, never sent anywhere but the server. */
export function saveHostKey(roomId: string, hostKey: string): void {
  try {
    sessionStorage.setItem(HOST_KEY_PREFIX + roomId, hostKey);
  } catch {
    // Without storage the creator joins as a guest: the call works, only locking is lost.
  }
}

export function savedHostKey(roomId: string): string | undefined {
  try {
    return sessionStorage.getItem(HOST_KEY_PREFIX + roomId) ?? undefined;
  } catch {
    return undefined;
  }
}

export function savedName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // Private browsing may refuse storage; the name is then asked again next time.
  }
}

const HIDE_IP_KEY = 'videoapp:hide-ip';

/** Whether this person last chose to hide their IP address; remembered like the name. */
export function savedHideIp(): boolean {
  try {
    return localStorage.getItem(HIDE_IP_KEY) === '1';
  } catch {
    return false;
  }
}

export function saveHideIp(hide: boolean): void {
  try {
    localStorage.setItem(HIDE_IP_KEY, hide ? '1' : '0');
  } catch {
    // Without storage the box simply starts unticked next time.
  }
}
