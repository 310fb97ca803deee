import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveVerificationCode, VERIFICATION_CODE_DIGITS } from './verification-code.ts';

const alice = 'AB:CD:EF:01';
const bob = '12:34:56:78';

test('both sides derive the same code whichever key is their own', async () => {
  const fromAlice = await deriveVerificationCode(alice, bob, 'room-1');
  const fromBob = await deriveVerificationCode(bob, alice, 'room-1');
  assert.equal(fromAlice, fromBob);
  assert.match(fromAlice, /^\d{4} \d{4} \d{4}$/);
  assert.equal(fromAlice.replaceAll(' ', '').length, VERIFICATION_CODE_DIGITS);
});

test('a different key or a different room gives a different code', async () => {
  const code = await deriveVerificationCode(alice, bob, 'room-1');
  assert.notEqual(await deriveVerificationCode(alice, '12:34:56:79', 'room-1'), code);
  assert.notEqual(await deriveVerificationCode(alice, bob, 'room-2'), code);
});

test('the case of a fingerprint does not change the code', async () => {
  assert.equal(await deriveVerificationCode(alice.toLowerCase(), bob, 'r'), await deriveVerificationCode(alice, bob, 'r'));
});
