/**
 * The verification code two people read to each other to check that nobody
 * sits between them. It is derived from the two keys that actually protect
 * the media between them (the DTLS certificate fingerprints of a mesh link,
 * or the end-to-end keys of an SFU call) and the room, so a man in the
 * middle, who must present his own keys to each side, makes the two sides
 * see different codes.
 */

/** Digits in a code: 12 (about 40 bits), read aloud as three groups of four. */
export const VERIFICATION_CODE_DIGITS = 12;
const GROUP_DIGITS = 4;

/** What the call can tell about one other person's code. */
export interface Verification {
  code: string;
  /** What the code covers: the DTLS link to them, or the end-to-end keys of an SFU call. */
  basis: 'dtls' | 'e2ee';
  /** This browser has marked this person's key as verified in an earlier call (trust on first use). */
  verifiedBefore: boolean;
}

/**
 * The code for two keys in a room. The order of the keys does not matter,
 * so both sides derive the same code from their own point of view.
 */
export async function deriveVerificationCode(localKey: string, remoteKey: string, roomId: string): Promise<string> {
  const [first, second] = [normalizeKey(localKey), normalizeKey(remoteKey)].sort();
  const input = new TextEncoder().encode(`videoapp-verification-v1\n${roomId}\n${first}\n${second}`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  // 8 bytes give 64 bits; reducing mod 10^12 leaves a bias far below anything a person could notice.
  let value = 0n;
  for (const byte of digest.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
  const digits = (value % 10n ** BigInt(VERIFICATION_CODE_DIGITS)).toString().padStart(VERIFICATION_CODE_DIGITS, '0');
  return digits.match(new RegExp(`.{${GROUP_DIGITS}}`, 'g'))?.join(' ') ?? digits;
}

/** Fingerprints arrive as "AB:CD:…" or "sha-256 ab:cd:…" depending on where they were read. */
function normalizeKey(key: string): string {
  return key.trim().toLowerCase();
}
