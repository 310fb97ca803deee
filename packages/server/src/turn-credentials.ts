import { createHmac } from 'node:crypto';
import type { IceServer } from '@videoapp/protocol';

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
