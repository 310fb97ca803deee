import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ResumeClaims {
  roomId: string;
  peerId: string;
  name: string;
  /** The room's creator, who may lock it. */
  host: boolean;
}

/**
 * Resume tokens are signed rather than looked up, so a server that restarted
 * (or another process sharing the secret) can still recognise who is coming
 * back and give them their old place.
 */
export function signResumeToken(secret: string, claims: ResumeClaims, nonce: string): string {
  const payload = Buffer.from(JSON.stringify({ r: claims.roomId, p: claims.peerId, n: claims.name, h: claims.host, x: nonce })).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

export function readResumeToken(secret: string, token: string): ResumeClaims | undefined {
  const [payload, signature] = token.split('.');
  if (!payload || !signature) return undefined;
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { r?: unknown; p?: unknown; n?: unknown; h?: unknown };
    if (typeof data.r !== 'string' || typeof data.p !== 'string' || typeof data.n !== 'string') return undefined;
    return { roomId: data.r, peerId: data.p, name: data.n, host: data.h === true };
  } catch {
    return undefined;
  }
}

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}
