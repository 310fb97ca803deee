/**
 * This browser's one DTLS certificate, handed to every RTCPeerConnection the
 * app makes, so the other side sees the same key from us in every call: the
 * verification code can then be remembered as verified (trust on first use).
 * Kept in IndexedDB, which stores RTCCertificate objects as they are (the
 * private key never leaves the browser). Where storage is refused (private
 * modes), each page makes a fresh certificate: calls work the same, only
 * "verified before" cannot carry over to the next visit.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a new certificate is valid: browsers cap it at a year, and a longer one keeps a verification valid longer. */
export const CERTIFICATE_LIFETIME_MS = 365 * DAY_MS;
/** A certificate this close to its expiry is replaced, so no call outlives it. */
export const CERTIFICATE_RENEW_BEFORE_MS = 30 * DAY_MS;
/** How long IndexedDB may take to answer before this page uses a fresh certificate of its own (some private modes never answer). */
export const CERTIFICATE_STORE_TIMEOUT_MS = 3_000;

const DATABASE = 'videoapp-dtls-certificate';
const STORE = 'certificates';
const RECORD_KEY = 'browser';

/** Whether a certificate expiring at `expires` should be replaced now. */
export function needsRenewal(expires: number, now: number): boolean {
  return expires - now < CERTIFICATE_RENEW_BEFORE_MS;
}

let loading: Promise<RTCCertificate | undefined> | undefined;
/** Set once loading has finished, so a caller can go on at once rather than wait a turn. */
let loaded: { certificate: RTCCertificate | undefined } | undefined;

/**
 * The certificate to use for this page's connections; undefined lets the
 * browser make its own per connection (no WebRTC, or no way to make one).
 * The app starts loading it as the page opens, so it is ready by the time a
 * call begins.
 */
export function browserCertificate(): Promise<RTCCertificate | undefined> {
  loading ??= loadOrCreate().then((certificate) => {
    loaded = { certificate };
    return certificate;
  });
  return loading;
}

/** Runs `use` with the certificate: at once if it is loaded (the usual case), else when it is. */
export function withBrowserCertificate(use: (certificate: RTCCertificate | undefined) => void): void {
  if (loaded) return use(loaded.certificate);
  void browserCertificate().then(use);
}

async function loadOrCreate(): Promise<RTCCertificate | undefined> {
  if (typeof RTCPeerConnection === 'undefined' || !RTCPeerConnection.generateCertificate) return undefined;
  const database = await withTimeout(openDatabase()).catch(() => undefined);
  const stored = database && (await withTimeout(request(database, 'readonly', (store) => store.get(RECORD_KEY))).catch(() => undefined));
  if (stored instanceof RTCCertificate && !needsRenewal(stored.expires, Date.now())) return stored;
  const fresh = await generate().catch(() => undefined);
  if (fresh && database) await withTimeout(request(database, 'readwrite', (store) => store.put(fresh, RECORD_KEY))).catch(() => undefined);
  database?.close();
  return fresh;
}

function generate(): Promise<RTCCertificate> {
  // ECDSA P-256: what browsers make by default, quick to generate and to handshake with.
  const algorithm: EcKeyGenParams & { expires: number } = { name: 'ECDSA', namedCurve: 'P-256', expires: CERTIFICATE_LIFETIME_MS };
  return RTCPeerConnection.generateCertificate(algorithm);
}

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(DATABASE, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
}

function request<T>(database: IDBDatabase, mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const transaction = database.transaction(STORE, mode);
    const pending = act(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(pending.result);
    transaction.onerror = transaction.onabort = () => reject(transaction.error ?? pending.error);
  });
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('storage did not answer')), CERTIFICATE_STORE_TIMEOUT_MS);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
