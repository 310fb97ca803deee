import type { TrustedKeys } from '@videoapp/client';

/** Where the other people's verified certificate fingerprints are kept. */
const STORAGE_KEY = 'videoapp:verified-keys';
/** Most fingerprints remembered; past it the longest-known are forgotten first (a fingerprint is about 100 characters). */
export const MAX_TRUSTED_KEYS = 500;

type KeyStorage = Pick<Storage, 'getItem' | 'setItem'>;

/**
 * The people this browser has marked as verified, by their certificate's
 * fingerprint, in localStorage: small, synchronous, and kept as long as the
 * certificate in IndexedDB. Where storage is refused the marks last for this
 * page only.
 */
export function browserTrustedKeys(storage: KeyStorage | undefined = localStorageIfAllowed()): TrustedKeys {
  const inPage = new Set<string>();
  const read = (): string[] => {
    try {
      const list: unknown = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '[]');
      return Array.isArray(list) ? list.filter((key): key is string => typeof key === 'string') : [];
    } catch {
      return [];
    }
  };
  return {
    has: (key) => inPage.has(key) || read().includes(key),
    add(key) {
      inPage.add(key);
      const keys = [...read().filter((known) => known !== key), key].slice(-MAX_TRUSTED_KEYS);
      try {
        storage?.setItem(STORAGE_KEY, JSON.stringify(keys));
      } catch {
        // Full or refused: remembered for this page only.
      }
    },
  };
}

function localStorageIfAllowed(): KeyStorage | undefined {
  try {
    return localStorage;
  } catch {
    return undefined;
  }
}
