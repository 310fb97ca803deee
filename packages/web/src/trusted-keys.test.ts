import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CERTIFICATE_LIFETIME_MS, CERTIFICATE_RENEW_BEFORE_MS, needsRenewal } from './browser-certificate.ts';
import { browserTrustedKeys, MAX_TRUSTED_KEYS } from './trusted-keys.ts';

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

test('a key marked in one page is known to the next page of the same browser', () => {
  const storage = memoryStorage();
  browserTrustedKeys(storage).add('sha-256 bb:bb');
  const nextPage = browserTrustedKeys(storage);
  assert.equal(nextPage.has('sha-256 bb:bb'), true);
  assert.equal(nextPage.has('sha-256 cc:cc'), false);
});

test('marking again does not repeat a key, and past the limit the longest-known are forgotten first', () => {
  const storage = memoryStorage();
  const keys = browserTrustedKeys(storage);
  keys.add('first');
  keys.add('first');
  for (let i = 0; i < MAX_TRUSTED_KEYS; i++) keys.add(`key-${i}`);
  const stored = JSON.parse(storage.items.get('videoapp:verified-keys')!) as string[];
  assert.equal(stored.length, MAX_TRUSTED_KEYS);
  assert.equal(stored.includes('first'), false);
  assert.equal(stored.at(-1), `key-${MAX_TRUSTED_KEYS - 1}`);
});

test('refused or corrupt storage: marks last for the page, nothing throws', () => {
  const refusing = { getItem: () => null, setItem: () => assert.fail('quota') as never };
  const throwing = {
    getItem: (): string | null => {
      throw new Error('SecurityError');
    },
    setItem: () => {
      throw new Error('SecurityError');
    },
  };
  for (const storage of [refusing, throwing, undefined]) {
    const keys = browserTrustedKeys(storage);
    keys.add('sha-256 bb:bb');
    assert.equal(keys.has('sha-256 bb:bb'), true);
  }
  const corrupt = memoryStorage();
  corrupt.items.set('videoapp:verified-keys', '{not json');
  assert.equal(browserTrustedKeys(corrupt).has('x'), false);
});

test('a certificate is renewed only when close to its expiry', () => {
  const now = Date.UTC(2026, 11, 2);
  assert.equal(needsRenewal(now + CERTIFICATE_LIFETIME_MS, now), false);
  assert.equal(needsRenewal(now + CERTIFICATE_RENEW_BEFORE_MS + 1, now), false);
  assert.equal(needsRenewal(now + CERTIFICATE_RENEW_BEFORE_MS - 1, now), true);
  assert.equal(needsRenewal(now - 1, now), true);
});
