/**
 * How two people agree a key through a server they do not trust: each has an
 * ECDH P-256 key pair for the call and publishes the public half; each pair
 * derives the same wrapping key (ECDH, then HKDF bound to the room and both
 * ids), which encrypts the media keys one sends the other. The server relays
 * public keys and wrapped keys but can read neither media key; a public key it
 * swapped changes the verification code both people see (verification-code.ts).
 * WebCrypto only, so it runs in browsers, workers and Node alike.
 */

/** The AES-GCM media key each sender encrypts its frames with: 128 bits is ample and the fastest on phones. */
export const MEDIA_KEY_BYTES = 16;
const WRAP_IV_BYTES = 12;
const HKDF_INFO = new TextEncoder().encode('videoapp-e2ee-wrap-v1');

export interface CallKeyPair {
  privateKey: CryptoKey;
  /** The raw public point in base64url, as it travels in `e2ee-key`. */
  publicKey: string;
}

export async function generateCallKeyPair(): Promise<CallKeyPair> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: toBase64Url(raw) };
}

/**
 * The key `selfId` and `peerId` share in `roomId`: both sides derive the same
 * one, since the HKDF salt orders the two ids. Throws on a public key that is
 * not a point on the curve.
 */
export async function deriveWrappingKey(own: CallKeyPair, theirPublicKey: string, roomId: string, selfId: string, peerId: string): Promise<CryptoKey> {
  const theirs = await crypto.subtle.importKey('raw', fromBase64Url(theirPublicKey), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const secret = await crypto.subtle.deriveBits({ name: 'ECDH', public: theirs }, own.privateKey, 256);
  const material = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
  const salt = new TextEncoder().encode(`${roomId}\n${[selfId, peerId].sort().join('\n')}`);
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: HKDF_INFO }, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** A fresh random media key, raw (it is wrapped for each member and handed to the frame worker). */
export function newMediaKey(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(MEDIA_KEY_BYTES));
}

/** A random key id: ids from different senders then hardly ever collide, so a frame's id alone finds its key. */
export function newKeyId(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

/**
 * `mediaKey` encrypted for one recipient, bound to its id and the direction
 * (sender → recipient), so a wrapped key replayed under another id or to
 * another person does not unwrap.
 */
export async function wrapMediaKey(wrappingKey: CryptoKey, mediaKey: Uint8Array<ArrayBuffer>, keyId: number, fromId: string, toId: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(WRAP_IV_BYTES));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: wrapContext(keyId, fromId, toId) }, wrappingKey, mediaKey));
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return toBase64Url(out);
}

/** The media key inside `wrapped`; throws if it was not wrapped with this key for this id and direction. */
export async function unwrapMediaKey(wrappingKey: CryptoKey, wrapped: string, keyId: number, fromId: string, toId: string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = fromBase64Url(wrapped);
  const iv = bytes.subarray(0, WRAP_IV_BYTES);
  const key = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: wrapContext(keyId, fromId, toId) }, wrappingKey, bytes.subarray(WRAP_IV_BYTES)));
  if (key.length !== MEDIA_KEY_BYTES) throw new Error(`a media key has ${MEDIA_KEY_BYTES} bytes, not ${key.length}`);
  return key;
}

function wrapContext(keyId: number, fromId: string, toId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${keyId}\n${fromId}\n${toId}`);
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
