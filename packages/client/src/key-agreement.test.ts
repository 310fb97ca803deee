import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveWrappingKey, generateCallKeyPair, MEDIA_KEY_BYTES, newMediaKey, unwrapMediaKey, wrapMediaKey } from './key-agreement.ts';

test('two people derive the same wrapping key: a media key wrapped by one unwraps at the other', async () => {
  const [ada, bo] = await Promise.all([generateCallKeyPair(), generateCallKeyPair()]);
  const atAda = await deriveWrappingKey(ada, bo.publicKey, 'room', 'ada', 'bo');
  const atBo = await deriveWrappingKey(bo, ada.publicKey, 'room', 'bo', 'ada');
  const key = newMediaKey();
  const wrapped = await wrapMediaKey(atAda, key, 42, 'ada', 'bo');
  assert.match(wrapped, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(await unwrapMediaKey(atBo, wrapped, 42, 'ada', 'bo'), key);
  assert.equal(key.length, MEDIA_KEY_BYTES);
});

test('a wrapped key does not unwrap for a third person, under another id, in the other direction, or in another room', async () => {
  const [ada, bo, eve] = await Promise.all([generateCallKeyPair(), generateCallKeyPair(), generateCallKeyPair()]);
  const atAda = await deriveWrappingKey(ada, bo.publicKey, 'room', 'ada', 'bo');
  const wrapped = await wrapMediaKey(atAda, newMediaKey(), 42, 'ada', 'bo');
  const atEve = await deriveWrappingKey(eve, ada.publicKey, 'room', 'eve', 'ada');
  await assert.rejects(unwrapMediaKey(atEve, wrapped, 42, 'ada', 'bo'));
  const atBo = await deriveWrappingKey(bo, ada.publicKey, 'room', 'bo', 'ada');
  await assert.rejects(unwrapMediaKey(atBo, wrapped, 43, 'ada', 'bo'));
  await assert.rejects(unwrapMediaKey(atBo, wrapped, 42, 'bo', 'ada'));
  const otherRoom = await deriveWrappingKey(bo, ada.publicKey, 'another room', 'bo', 'ada');
  await assert.rejects(unwrapMediaKey(otherRoom, wrapped, 42, 'ada', 'bo'));
});

test('a public key that is not a point on the curve is refused', async () => {
  const ada = await generateCallKeyPair();
  await assert.rejects(deriveWrappingKey(ada, 'AAAA', 'room', 'ada', 'bo'));
});
