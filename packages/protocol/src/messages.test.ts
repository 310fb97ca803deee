import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientMessage, MAX_SDP_CHARS, parse, ServerMessage } from './index.ts';

test('a well-formed join parses to the typed message', () => {
  const result = parse(ClientMessage, { type: 'join', roomId: 'k7dq-3mzp-xw9a-fh2e', name: 'Ada' });
  assert.deepEqual(result, { ok: true, value: { type: 'join', roomId: 'k7dq-3mzp-xw9a-fh2e', name: 'Ada' } });
});

test('an unknown type is named in the problem', () => {
  const result = parse(ClientMessage, { type: 'explode' });
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.problem : '', /unknown type "explode"/);
});

test('unexpected fields are refused, so nothing unvalidated is relayed', () => {
  const result = parse(ClientMessage, { type: 'leave', extra: 1 });
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.problem : '', /\$\.extra: unexpected field/);
});

test('an oversized SDP is refused with its path', () => {
  const sdp = 'v'.repeat(MAX_SDP_CHARS + 1);
  const result = parse(ClientMessage, { type: 'description', to: 'abc', description: { type: 'offer', sdp } });
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.problem : '', /\$\.description\.sdp: longer than/);
});

test('optional fields accept absence, but neither null nor the wrong type', () => {
  const base = { type: 'candidate', to: 'abc', candidate: { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host' } };
  assert.equal(parse(ClientMessage, base).ok, true);
  assert.deepEqual(parse(ClientMessage, { ...base, candidate: { ...base.candidate, sdpMid: null } }), { ok: false, problem: '$.candidate.sdpMid: null is not allowed; leave the field out' });
  assert.equal(parse(ClientMessage, { ...base, candidate: { ...base.candidate, sdpMid: 3 } }).ok, false);
});

test('every optional field of every client message refuses null, naming the field', () => {
  for (const member of ClientMessage.members) {
    for (const [field, schema] of Object.entries(member.shape)) {
      if (!schema.optional) continue;
      const result = parse(ClientMessage, { type: member.tag, [field]: null });
      // Required fields are checked in shape order, so a required one may be named first: check the field alone too.
      assert.equal(schema.check(null, `$.${field}`), `$.${field}: null is not allowed; leave the field out`, `${member.tag}.${field}`);
      assert.equal(result.ok, false, `${member.tag}.${field}`);
    }
  }
});

test('non-objects and arrays are refused', () => {
  for (const value of [null, 3, 'join', [], [{ type: 'leave' }]]) {
    assert.equal(parse(ClientMessage, value).ok, false, JSON.stringify(value));
  }
});

test('server errors carry only known codes', () => {
  assert.equal(parse(ServerMessage, { type: 'error', code: 'room-full', message: 'full' }).ok, true);
  assert.equal(parse(ServerMessage, { type: 'error', code: 'nope', message: 'x' }).ok, false);
});

test('a problem quotes only a short excerpt of sender-chosen text, so errors stay within their limit', () => {
  const hugeType = parse(ClientMessage, { type: 'x'.repeat(40_000) });
  const hugeKey = parse(ClientMessage, { type: 'leave', ['k'.repeat(40_000)]: 1 });
  for (const result of [hugeType, hugeKey]) {
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.problem.length < 100, !result.ok ? result.problem.slice(0, 200) : '');
    assert.ok(!result.ok && parse(ServerMessage, { type: 'error', code: 'bad-message', message: result.problem }).ok);
  }
});

test('prototype keys are unexpected fields, never inherited ones', () => {
  const polluted = JSON.parse('{"type":"leave","__proto__":{"type":"join"}}') as unknown;
  assert.match(!parse(ClientMessage, polluted).ok ? (parse(ClientMessage, polluted) as { problem: string }).problem : '', /__proto__: unexpected field/);
  assert.equal(parse(ClientMessage, JSON.parse('{"type":"leave","constructor":{}}')).ok, false);
});
