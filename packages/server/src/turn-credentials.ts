import { createHmac } from 'node:crypto';
import type { IceServer } from '@videoapp/protocol';

/** Credentials are re-issued once this share of their lifetime has passed, so a client always holds some with time left. */
export const TURN_REFRESH_FRACTION = 0.5;
/** The fastest re-issue, however short the configured lifetime. */
export const MIN_TURN_REFRESH_MS = 1_000;

export interface TurnSettings {
  /** TURN URLs, e.g. `turn:turn.example.com:3478?transport=udp`. */
  urls: string[];
  /** The `static-auth-secret` shared with coturn. */
  secret: string;
  /** How long issued credentials stay valid. */
  ttlSeconds: number;
}

/**
 * Short-lived TURN credentials in the TURN REST API scheme coturn checks with
 * `use-auth-secret`: the username is the expiry time (and who it is for), the
 * password an HMAC-SHA1 of the username keyed by the shared secret. No static
 * TURN password ever leaves the server.
 */
export function issueTurnCredentials(turn: TurnSettings, holder: string, nowMs = Date.now()): IceServer {
  const expiresAt = Math.floor(nowMs / 1000) + turn.ttlSeconds;
  const username = `${expiresAt}:${holder}`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return { urls: turn.urls, username, credential };
}

/** How often a session in a room gets fresh credentials. */
export function turnRefreshIntervalMs(turn: TurnSettings): number {
  return Math.max(MIN_TURN_REFRESH_MS, Math.floor(turn.ttlSeconds * 1000 * TURN_REFRESH_FRACTION));
}
