import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_CHAT_CHARS, MAX_PEER_MESSAGE_CHARS, PeerMessage, parse } from './index.ts';

test('a chat message parses; markup is just characters to the schema', () => {
  const value = { type: 'chat', text: '<img src=x onerror=alert(1)>', sentAt: 1_700_000_000_000 };
  assert.deepEqual(parse(PeerMessage, value), { ok: true, value });
});

test('chat text is refused when empty, over MAX_CHAT_CHARS, or not a string', () => {
  for (const text of ['', 'x'.repeat(MAX_CHAT_CHARS + 1), 42]) {
    assert.equal(parse(PeerMessage, { type: 'chat', text, sentAt: 0 }).ok, false, `accepted ${String(text).slice(0, 20)}`);
  }
  assert.equal(parse(PeerMessage, { type: 'chat', text: 'x'.repeat(MAX_CHAT_CHARS), sentAt: 0 }).ok, true);
});

test('unknown peer message types and extra fields are refused', () => {
  assert.equal(parse(PeerMessage, { type: 'html', text: 'hi', sentAt: 0 }).ok, false);
  assert.equal(parse(PeerMessage, { type: 'chat', text: 'hi', sentAt: 0, html: '<b>' }).ok, false);
});

test('the longest valid chat, every character escaped, still fits MAX_PEER_MESSAGE_CHARS', () => {
  const encoded = JSON.stringify({ type: 'chat', text: '\u0001'.repeat(MAX_CHAT_CHARS), sentAt: Number.MAX_SAFE_INTEGER });
  assert.ok(encoded.length <= MAX_PEER_MESSAGE_CHARS, `${encoded.length} > ${MAX_PEER_MESSAGE_CHARS}`);
});

test('a key frame request carries nothing else', () => {
  assert.deepEqual(parse(PeerMessage, { type: 'key-frame-request' }), { ok: true, value: { type: 'key-frame-request' } });
  assert.equal(parse(PeerMessage, { type: 'key-frame-request', layers: 3 }).ok, false);
});
