import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLEAR_BYTES, clearBytesOf, decryptFrame, encryptFrame, FRAME_MARKER, importMediaKey, keyIdOf } from './frame-encryption.ts';
import { newMediaKey } from './key-agreement.ts';

const frame = (length: number) => Uint8Array.from({ length }, (_, i) => i % 251).buffer;

test('an encrypted frame keeps its header readable, names its key, and decrypts to the original', async () => {
  const key = await importMediaKey(newMediaKey());
  const plain = frame(1200);
  const clear = clearBytesOf('video', 'key');
  assert.equal(clear, CLEAR_BYTES.videoKey);
  const sealed = await encryptFrame(plain, clear, key, 0xdead_beef);
  const bytes = new Uint8Array(sealed);
  assert.deepEqual(bytes.subarray(0, clear), new Uint8Array(plain).subarray(0, clear), 'the header a depacketizer reads is unchanged');
  assert.notDeepEqual(bytes.subarray(clear, 100), new Uint8Array(plain).subarray(clear, 100), 'the payload is not');
  assert.equal(bytes.at(-1), FRAME_MARKER);
  assert.equal(keyIdOf(sealed), 0xdead_beef);
  assert.deepEqual(new Uint8Array((await decryptFrame(sealed, clear, key))!), new Uint8Array(plain));
});

test('a frame with another key, an altered header or an altered payload does not decrypt', async () => {
  const [key, other] = await Promise.all([importMediaKey(newMediaKey()), importMediaKey(newMediaKey())]);
  const clear = clearBytesOf('video', 'delta');
  const sealed = await encryptFrame(frame(300), clear, key, 1);
  assert.equal(await decryptFrame(sealed, clear, other), undefined);
  for (const at of [0, clear + 5]) {
    const altered = new Uint8Array(sealed.slice(0));
    altered[at]! ^= 1;
    assert.equal(await decryptFrame(altered.buffer, clear, key), undefined, `byte ${at} altered`);
  }
});

test('audio keeps its one TOC byte; a frame shorter than its header still round-trips', async () => {
  const key = await importMediaKey(newMediaKey());
  assert.equal(clearBytesOf('audio', undefined), CLEAR_BYTES.audio);
  const tiny = frame(2);
  const sealed = await encryptFrame(tiny, CLEAR_BYTES.videoKey, key, 9);
  assert.deepEqual(new Uint8Array((await decryptFrame(sealed, CLEAR_BYTES.videoKey, key))!), new Uint8Array(tiny));
});

test('a plain frame names no key', () => {
  assert.equal(keyIdOf(frame(50)), undefined);
  assert.equal(keyIdOf(new ArrayBuffer(3)), undefined);
});
