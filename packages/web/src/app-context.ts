import type { RoomCredentials, SignalingClient } from '@videoapp/client';
import type { BlurSwitch } from './blur/blur-switch.ts';
import type { Route } from './routes.ts';
import { savedFlag, saveFlag } from './saved-flag.ts';
import type { SentVoice } from './voice/sent-voice.ts';

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
  /** The signaling socket the lobby opened and greeted while the person got ready: joining starts on it. */
  signaling?: SignalingClient;
  /** Background blur as the lobby left it (perhaps running on `stream`'s camera); the room owns it from here. */
  blur?: BlurSwitch;
  /** Our voice as the lobby set it up, noise suppression loaded (or loading) on the microphone in `stream`: the call sends it from the start. */
  voice?: SentVoice;
}

export interface AppContext {
  navigate(route: Route, options?: { replace?: boolean }): void;
  /** Set by the lobby just before it opens the room; taken (and thereby owned) by the room. */
  handoff: JoinHandoff | undefined;
}

/** A screen draws itself into `root` and returns what undoes it: stops media, closes the call, removes listeners. */
export type Screen<R extends Route = Route> = (root: HTMLElement, ctx: AppContext, route: R) => () => void;

/** The signaling WebSocket's address: this server's `/ws`, over TLS when the page is. */
export function signalingUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

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
  return savedFlag(HIDE_IP_KEY, false);
}

export function saveHideIp(hide: boolean): void {
  saveFlag(HIDE_IP_KEY, hide);
}

const KNOCK_PREFIX = 'videoapp:knock:';

/** The token of our knock at an "Ask to join" room, kept for this tab: a reload waits on in the same place. */
export function saveKnockToken(roomId: string, token: string | undefined): void {
  try {
    if (token === undefined) sessionStorage.removeItem(KNOCK_PREFIX + roomId);
    else sessionStorage.setItem(KNOCK_PREFIX + roomId, token);
  } catch {
    // Without storage a reload knocks anew, at the back of the queue.
  }
}

export function savedKnockToken(roomId: string): string | undefined {
  try {
    return sessionStorage.getItem(KNOCK_PREFIX + roomId) ?? undefined;
  } catch {
    return undefined;
  }
}

const IN_CALL_PREFIX = 'videoapp:in-call:';

/**
 * This tab's last resume token for the room while it is in the call, so a
 * reload of `/r/<id>/call` goes straight back in (the token shows the server
 * it was there a moment ago); anyone else opening that address (a copied
 * link) gets the lobby, with its preview and name. `undefined` forgets it.
 */
export function saveInCall(roomId: string, resumeToken: string | undefined): void {
  try {
    if (resumeToken !== undefined) sessionStorage.setItem(IN_CALL_PREFIX + roomId, resumeToken);
    else sessionStorage.removeItem(IN_CALL_PREFIX + roomId);
  } catch {
    // Without storage a reload shows the lobby first: one more click, nothing lost.
  }
}

export function savedInCall(roomId: string): string | undefined {
  try {
    return sessionStorage.getItem(IN_CALL_PREFIX + roomId) ?? undefined;
  } catch {
    return undefined;
  }
}
