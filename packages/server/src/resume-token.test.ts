import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { ClientMessage, MAX_NAME_CHARS, parse } from '@videoapp/protocol';
import { readResumeToken, signResumeToken } from './resume-token.ts';

const NOW = 1_800_000_000_000;
const claims = { roomId: 'k7dq-3mzp-xw9a-fh2e', roomLife: 'f00dfeed', peerId: 'abc123', name: 'Ada <b>', host: true, expiresAt: NOW + 60_000 };

test('a token signed with the secret reads back to its claims until it expires', () => {
  const token = signResumeToken('s3cret', claims, 'n1');
  assert.deepEqual(readResumeToken('s3cret', token, NOW), claims);
  assert.deepEqual(readResumeToken('s3cret', token, claims.expiresAt - 1), claims);
  assert.equal(readResumeToken('s3cret', token, claims.expiresAt), undefined);
});

test('a token signed with another secret, or altered, is refused', () => {
  const token = signResumeToken('s3cret', claims, 'n1');
  assert.equal(readResumeToken('other', token, NOW), undefined);
  const [payload, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ r: claims.roomId, l: claims.roomLife, p: 'someone-else', n: 'x', e: NOW + 1e9, x: 'n1' })).toString('base64url');
  assert.equal(readResumeToken('s3cret', `${forged}.${signature}`, NOW), undefined);
  assert.equal(readResumeToken('s3cret', `${payload}.`, NOW), undefined);
  assert.equal(readResumeToken('s3cret', 'garbage', NOW), undefined);
});

test('a token without an expiry (as issued before tokens expired) is refused', () => {
  const old = Buffer.from(JSON.stringify({ r: claims.roomId, p: claims.peerId, n: claims.name, h: true, x: 'n1' })).toString('base64url');
  const signature = createHmac('sha256', 's3cret').update(old).digest('base64url');
  assert.equal(readResumeToken('s3cret', `${old}.${signature}`, NOW), undefined);
});

test('the token of the longest name JSON can inflate still fits the protocol', () => {
  // Control characters are escaped as \u00XX: six bytes each in the payload.
  const name = '\u0001'.repeat(MAX_NAME_CHARS);
  const token = signResumeToken('s3cret', { ...claims, name }, 'n1234567890a');
  const hello = parse(ClientMessage, { type: 'hello', version: 1, resume: token });
  assert.ok(hello.ok, `a ${token.length}-character token: ${!hello.ok && hello.problem}`);
});
