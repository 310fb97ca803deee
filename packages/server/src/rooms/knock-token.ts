import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { KnockRecord } from '../store/knock-queue.ts';

/**
 * A knock token is `<id>.<secret>`: the id is what the host sees and answers
 * by; the secret, 128 random bits, is what makes a waiting place (and, once
 * admitted, the way in) the knocker's alone. It is kept only for the knock's
 * life, and never logged.
 */
export function newKnockKeys(): { id: string; secret: string } {
  return { id: randomBytes(8).toString('hex'), secret: randomBytes(16).toString('base64url') };
}

export function knockTokenOf(knock: Pick<KnockRecord, 'id' | 'secret'>): string {
  return `${knock.id}.${knock.secret}`;
}

/** The id a token names (the protocol's schema has checked its shape). */
export function knockIdOf(token: string): string {
  return token.slice(0, token.indexOf('.'));
}

/** Whether `token` is the one for `knock`. */
export function knockTokenMatches(token: string, knock: Pick<KnockRecord, 'id' | 'secret'>): boolean {
  const presented = Buffer.from(token);
  const expected = Buffer.from(knockTokenOf(knock));
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
