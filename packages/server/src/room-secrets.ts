import { createHash, randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Room secrets at rest: a passcode is kept only as a salted scrypt hash (a
 * person picks it, so it may be short and guessable offline); a host key is
 * 144 random bits, so a plain SHA-256 of it is enough.
 */

/** scrypt cost: ~30 ms per try on one core, paid only by passcode joins, which are rate-limited. */
const SCRYPT = { N: 16_384, r: 8, p: 1, keyLength: 32, saltBytes: 16 } as const;

function derive(passcode: string, salt: Buffer, options: ScryptOptions, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(passcode.normalize('NFC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash`, so the cost can be raised later without breaking stored rooms. */
export async function hashPasscode(passcode: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltBytes);
  const key = await derive(passcode, salt, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }, SCRYPT.keyLength);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPasscode(passcode: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(passcode, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) }, expected.length);
  return timingSafeEqual(key, expected);
}

export function newHostKey(): { key: string; hash: string } {
  const key = randomBytes(18).toString('base64url');
  return { key, hash: hashHostKey(key) };
}

export function hostKeyMatches(key: string, hash: string): boolean {
  const presented = Buffer.from(hashHostKey(key), 'hex');
  const expected = Buffer.from(hash, 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function hashHostKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
