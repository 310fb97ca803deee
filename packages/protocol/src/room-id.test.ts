import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateRoomId, normalizeRoomId, ROOM_ID_BITS, ROOM_ID_PATTERN } from './room-id.ts';

test('room IDs carry at least 80 bits and match the canonical pattern', () => {
  assert.ok(ROOM_ID_BITS >= 80);
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = generateRoomId();
    assert.match(id, ROOM_ID_PATTERN);
    seen.add(id);
  }
  assert.equal(seen.size, 1000);
});

test('every bit of the random bytes reaches the ID', () => {
  assert.equal(
    generateRoomId((b) => b.fill(0)),
    '0000-0000-0000-0000',
  );
  assert.equal(
    generateRoomId((b) => b.fill(255)),
    'zzzz-zzzz-zzzz-zzzz',
  );
});

test('what a person types or pastes is read back to the canonical ID', () => {
  const id = 'k7dq-3mzp-xw9a-fh2e';
  assert.equal(normalizeRoomId('K7DQ 3MZP XW9A FH2E'), id);
  assert.equal(normalizeRoomId('k7dq3mzpxw9afh2e'), id);
  assert.equal(normalizeRoomId(`https://call.example/r/${id}#secret`), id);
  assert.equal(normalizeRoomId('10ol-0000-0000-0000'), '1001-0000-0000-0000');
});

test('what cannot be a room ID is refused', () => {
  assert.equal(normalizeRoomId(''), undefined);
  assert.equal(normalizeRoomId('k7dq-3mzp'), undefined);
  assert.equal(normalizeRoomId('uuuu-uuuu-uuuu-uuuu'), undefined);
});
