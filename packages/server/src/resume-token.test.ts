import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readResumeToken, signResumeToken } from './resume-token.ts';

const claims = { roomId: 'k7dq-3mzp-xw9a-fh2e', peerId: 'abc123', name: 'Ada <b>', host: true };

test('a token signed with the secret reads back to its claims', () => {
  assert.deepEqual(readResumeToken('s3cret', signResumeToken('s3cret', claims, 'n1')), claims);
});

test('a token signed with another secret, or altered, is refused', () => {
  const token = signResumeToken('s3cret', claims, 'n1');
  assert.equal(readResumeToken('other', token), undefined);
  const [payload, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ r: claims.roomId, p: 'someone-else', n: 'x', x: 'n1' })).toString('base64url');
  assert.equal(readResumeToken('s3cret', `${forged}.${signature}`), undefined);
  assert.equal(readResumeToken('s3cret', `${payload}.`), undefined);
  assert.equal(readResumeToken('s3cret', 'garbage'), undefined);
});
