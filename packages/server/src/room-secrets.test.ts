import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPasscode, hostKeyMatches, newHostKey, verifyPasscode } from './room-secrets.ts';

test('a passcode is stored salted: the same passcode hashes differently and never appears in the hash', async () => {
  const [one, two] = await Promise.all([hashPasscode('open sesame'), hashPasscode('open sesame')]);
  assert.notEqual(one, two);
  assert.ok(!one.includes('open sesame') && !one.includes(Buffer.from('open sesame').toString('base64url')));
  assert.match(one, /^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
});

test('only the right passcode verifies', async () => {
  const stored = await hashPasscode('open sesame');
  assert.equal(await verifyPasscode('open sesame', stored), true);
  assert.equal(await verifyPasscode('open sesame ', stored), false);
  assert.equal(await verifyPasscode('Open sesame', stored), false);
  assert.equal(await verifyPasscode('open sesame', 'plain$text'), false);
});

test('a host key matches only its own hash', () => {
  const a = newHostKey();
  const b = newHostKey();
  assert.ok(hostKeyMatches(a.key, a.hash));
  assert.ok(!hostKeyMatches(b.key, a.hash));
  assert.ok(!a.hash.includes(a.key));
});
