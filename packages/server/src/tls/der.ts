/** Just enough ASN.1 DER to write an X.509 certificate: each function returns one encoded element. */

function element(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

export const sequence = (...items: Buffer[]) => element(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]) => element(0x31, Buffer.concat(items));
export const octetString = (content: Buffer) => element(0x04, content);
export const utf8String = (text: string) => element(0x0c, Buffer.from(text, 'utf8'));
export const boolean = (value: boolean) => element(0x01, Buffer.from([value ? 0xff : 0x00]));
/** A bit string whose length is a whole number of bytes. */
export const bitString = (content: Buffer) => element(0x03, Buffer.concat([Buffer.from([0]), content]));
/** [n] EXPLICIT: wraps a whole element. */
export const explicit = (n: number, inner: Buffer) => element(0xa0 | n, inner);
/** [n] IMPLICIT on a primitive: the tag replaces the element's own (used by subjectAltName entries). */
export const implicitPrimitive = (n: number, content: Buffer) => element(0x80 | n, content);

/** A non-negative integer from its big-endian bytes. */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  // A set top bit would read as negative, so it gets a leading zero byte.
  return element(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function objectIdentifier(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first! * 40 + second!];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v & 0x7f));
    bytes.push(...groups);
  }
  return element(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime after, as RFC 5280 asks. */
export function time(date: Date): Buffer {
  const iso = `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`; // YYYYMMDDHHMMSSZ
  return date.getUTCFullYear() < 2050 ? element(0x17, Buffer.from(iso.slice(2), 'ascii')) : element(0x18, Buffer.from(iso, 'ascii'));
}
