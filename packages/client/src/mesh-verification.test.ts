import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LinkKeys } from './link-keys.ts';
import { MeshVerification, type TrustedKeys } from './mesh-verification.ts';
import type { Verification } from './verification-code.ts';

const ALICE = 'sha-256 aa:aa';
const BOB = 'sha-256 bb:bb';
const MALLORY = 'sha-256 cc:cc';

function side(roomId: string, trusted?: TrustedKeys): { verification: MeshVerification; shown: Map<string, Verification | undefined> } {
  const shown = new Map<string, Verification | undefined>();
  const verification = new MeshVerification({ roomId: () => roomId, trusted, show: (peerId, v) => shown.set(peerId, v) });
  return { verification, shown };
}

function memoryTrust(): TrustedKeys & { keys: Set<string> } {
  const keys = new Set<string>();
  return { keys, has: (key) => keys.has(key), add: (key) => void keys.add(key) };
}

test('both ends of a link show the same code; a man in the middle, with a key of his own on each side, makes them differ', async () => {
  const alice = side('room-1');
  const bob = side('room-1');
  await alice.verification.update('bob', { local: ALICE, remote: BOB });
  await bob.verification.update('alice', { local: BOB, remote: ALICE });
  assert.equal(alice.shown.get('bob')?.code, bob.shown.get('alice')?.code);
  assert.equal(alice.shown.get('bob')?.basis, 'dtls');

  await alice.verification.update('bob', { local: ALICE, remote: MALLORY });
  await bob.verification.update('alice', { local: BOB, remote: MALLORY });
  assert.notEqual(alice.shown.get('bob')?.code, bob.shown.get('alice')?.code);
});

test('a key marked as verified shows as verified before in a later call, in another room; another key does not', async () => {
  const trust = memoryTrust();
  const first = side('room-1', trust);
  await first.verification.update('bob', { local: ALICE, remote: BOB });
  assert.equal(first.shown.get('bob')?.verifiedBefore, false);
  assert.equal(first.verification.markVerified('bob'), true);
  assert.deepEqual([...trust.keys], [BOB], 'the fingerprint is remembered, not the code');

  const later = side('room-2', trust);
  await later.verification.update('bob-again', { local: ALICE, remote: BOB });
  await later.verification.update('carol', { local: ALICE, remote: MALLORY });
  assert.equal(later.shown.get('bob-again')?.verifiedBefore, true);
  assert.notEqual(later.shown.get('bob-again')?.code, first.shown.get('bob')?.code, 'the room changes the code');
  assert.equal(later.shown.get('carol')?.verifiedBefore, false);
});

test('nothing to mark before a link has keys, after it is gone, or with nowhere to keep the mark', async () => {
  const trust = memoryTrust();
  const alice = side('room-1', trust);
  assert.equal(alice.verification.markVerified('bob'), false);
  await alice.verification.update('bob', { local: ALICE, remote: BOB });
  await alice.verification.update('bob', undefined);
  assert.equal(alice.shown.get('bob'), undefined);
  assert.equal(alice.verification.markVerified('bob'), false);
  assert.equal(trust.keys.size, 0);

  const forgetful = side('room-1');
  await forgetful.verification.update('bob', { local: ALICE, remote: BOB });
  assert.equal(forgetful.verification.markVerified('bob'), false);
});

test('a code derived for keys that have since changed is dropped, never shown over the newer one', async () => {
  const alice = side('room-1');
  const calls: string[] = [];
  alice.verification = new MeshVerification({
    roomId: () => 'room-1',
    trusted: undefined,
    show: (peerId, v) => {
      calls.push(peerId);
      alice.shown.set(peerId, v);
    },
  });
  const older = alice.verification.update('bob', { local: ALICE, remote: BOB } satisfies LinkKeys);
  const newer = alice.verification.update('bob', { local: ALICE, remote: MALLORY });
  await Promise.all([older, newer]);
  const expected = side('room-1');
  await expected.verification.update('bob', { local: ALICE, remote: MALLORY });
  assert.equal(alice.shown.get('bob')?.code, expected.shown.get('bob')?.code);
  assert.deepEqual(calls, ['bob'], 'only the newer code is shown');
});
