import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ResumeClaims {
  roomId: string;
  /** Which life of the room the session belongs to: a room created anew under the same ID does not honour older tokens. */
  roomLife: string;
  peerId: string;
  name: string;
  /** The room's creator, who may lock it. */
  host: boolean;
  /** Epoch milliseconds after which the token is refused; the server hands out fresh ones while the session lives. */
  expiresAt: number;
}

/**
 * Resume tokens are signed rather than looked up, so a server that restarted
 * (or another process sharing the secret) can still recognise who is coming
 * back and give them their old place. The nonce makes every token distinct.
 */
export function signResumeToken(secret: string, claims: ResumeClaims, nonce: string): string {
  const { roomId, roomLife, peerId, name, host, expiresAt } = claims;
  const payload = Buffer.from(JSON.stringify({ r: roomId, l: roomLife, p: peerId, n: name, h: host, e: expiresAt, x: nonce })).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

/** The token's claims, or undefined when it is forged, malformed or expired at `now`. */
export function readResumeToken(secret: string, token: string, now: number): ResumeClaims | undefined {
  const [payload, signature] = token.split('.');
  if (!payload || !signature) return undefined;
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const { r, l, p, n, h, e } = data;
    if (typeof r !== 'string' || typeof l !== 'string' || typeof p !== 'string' || typeof n !== 'string' || typeof e !== 'number') return undefined;
    if (e <= now) return undefined;
    return { roomId: r, roomLife: l, peerId: p, name: n, host: h === true, expiresAt: e };
  } catch {
    return undefined;
  }
}

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}
