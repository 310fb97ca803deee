/**
 * The format of an end-to-end encrypted media frame, as it travels through
 * the SFU:
 *
 *   clear header | AES-GCM ciphertext (with its 16-byte tag) | IV (12) | key id (4) | FRAME_MARKER
 *
 * The header stays readable because the SFU and the receiver's depacketizer
 * read it: Janus tells VP8 key frames (and their size) from the first bytes,
 * and a receiver needs them to reassemble the frame before it is decrypted.
 * It is authenticated all the same (it is the AES-GCM additional data). The
 * key id names which sender key encrypted the frame, so a receiver holding a
 * sender's previous and current key (a rotation in flight) picks the right one.
 */

/** Bytes left in the clear: the VP8 key frame header with its size (10), the VP8 frame tag of a delta frame (3), the Opus TOC byte (1). */
export const CLEAR_BYTES = { videoKey: 10, videoDelta: 3, audio: 1 } as const;
export const FRAME_IV_BYTES = 12;
const KEY_ID_BYTES = 4;
/** The last byte of every encrypted frame: a plain frame that happens to end with it fails to decrypt, nothing worse. */
export const FRAME_MARKER = 0xe2;
const TRAILER_BYTES = FRAME_IV_BYTES + KEY_ID_BYTES + 1;
const TAG_BYTES = 16;

export type FrameKind = 'audio' | 'video';

/** How many leading bytes of a frame stay readable. */
export function clearBytesOf(kind: FrameKind, videoFrameType: string | undefined): number {
  if (kind === 'audio') return CLEAR_BYTES.audio;
  return videoFrameType === 'key' ? CLEAR_BYTES.videoKey : CLEAR_BYTES.videoDelta;
}

/** `frame` encrypted with `key` (id `keyId`), its first `clear` bytes left readable. */
export async function encryptFrame(frame: ArrayBuffer, clear: number, key: CryptoKey, keyId: number): Promise<ArrayBuffer> {
  const bytes = new Uint8Array(frame);
  const head = bytes.subarray(0, Math.min(clear, bytes.length));
  const iv = crypto.getRandomValues(new Uint8Array(FRAME_IV_BYTES));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: head }, key, bytes.subarray(head.length)));
  const out = new Uint8Array(head.length + sealed.length + TRAILER_BYTES);
  out.set(head);
  out.set(sealed, head.length);
  out.set(iv, head.length + sealed.length);
  new DataView(out.buffer).setUint32(head.length + sealed.length + FRAME_IV_BYTES, keyId);
  out[out.length - 1] = FRAME_MARKER;
  return out.buffer;
}

/** The key id an encrypted frame names, or undefined when the frame does not look encrypted. */
export function keyIdOf(frame: ArrayBuffer): number | undefined {
  const bytes = new Uint8Array(frame);
  if (bytes.length < TRAILER_BYTES || bytes[bytes.length - 1] !== FRAME_MARKER) return undefined;
  return new DataView(frame).getUint32(bytes.length - 1 - KEY_ID_BYTES);
}

/** The plain frame, or undefined when `key` did not encrypt it (or it was altered on the way). */
export async function decryptFrame(frame: ArrayBuffer, clear: number, key: CryptoKey): Promise<ArrayBuffer | undefined> {
  const bytes = new Uint8Array(frame);
  const body = bytes.subarray(0, bytes.length - TRAILER_BYTES);
  // The plain frame was the body without its tag: a frame shorter than `clear` was left wholly readable.
  const head = body.subarray(0, Math.max(0, Math.min(clear, body.length - TAG_BYTES)));
  const iv = bytes.subarray(body.length, body.length + FRAME_IV_BYTES);
  try {
    const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: head }, key, body.subarray(head.length)));
    const out = new Uint8Array(head.length + plain.length);
    out.set(head);
    out.set(plain, head.length);
    return out.buffer;
  } catch {
    return undefined;
  }
}

/** Imports a raw media key for frame encryption and decryption. */
export function importMediaKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}
