/**
 * Room IDs: 80 random bits written as 16 characters of Crockford's base32
 * (no i, l, o or u, so nothing is ambiguous when read aloud or typed on a
 * phone), shown in four groups: `k7dq-3mzp-xw9a-fh2e`.
 */

// Web Crypto is global in browsers and in Node 20; declared here so this package needs no DOM or Node types.
declare const crypto: { getRandomValues<T extends Uint8Array>(array: T): T };

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_CHARS = 16;
const GROUP = 4;
export const ROOM_ID_BITS = ID_CHARS * 5;

/** The canonical form: grouped, lowercase. */
export const ROOM_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;

export function generateRoomId(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const bytes = random(new Uint8Array((ID_CHARS * 5) / 8));
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return groupRoomId(out);
}

function groupRoomId(chars: string): string {
  const groups: string[] = [];
  for (let i = 0; i < chars.length; i += GROUP) groups.push(chars.slice(i, i + GROUP));
  return groups.join('-');
}

/**
 * Reads what a person typed or pasted — a code in any case with or without
 * separators, or a whole room link — and returns the canonical ID, or
 * undefined when it cannot be one.
 */
export function normalizeRoomId(input: string): string | undefined {
  let text = input.trim();
  const inLink = /\/r\/([^/?#\s]+)/.exec(text);
  if (inLink?.[1]) text = inLink[1];
  const chars = text
    .toLowerCase()
    .replace(/[\s\-_.]/g, '')
    .replace(/[il]/g, '1')
    .replace(/o/g, '0');
  if (chars.length !== ID_CHARS) return undefined;
  for (const c of chars) if (!ALPHABET.includes(c)) return undefined;
  return groupRoomId(chars);
}

/** The path that opens a room directly. */
export function roomPath(roomId: string): string {
  return `/r/${roomId}`;
}
