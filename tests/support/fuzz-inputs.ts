// fast-check generators for what a hostile or broken client might put on the signaling socket.

import { MAX_MESSAGE_BYTES, MAX_SDP_CHARS, REACTION_EMOJI, ROOM_ID_PATTERN } from '@videoapp/protocol';
import fc from 'fast-check';

/** One thing sent on the socket: a text frame, a binary frame, or a "text" frame whose bytes are not UTF-8. */
export type FuzzInput = { kind: 'text'; text: string; origin: string } | { kind: 'binary'; bytes: Uint8Array; origin: string } | { kind: 'bad-utf8'; bytes: Uint8Array; origin: string };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const peerId = fc.stringMatching(/^[0-9a-f]{16}$/);
const roomId = fc.stringMatching(ROOM_ID_PATTERN);
const token = fc.stringMatching(/^[A-Za-z0-9_-]{24}$/);
const sdp = fc.oneof(
  fc.constant('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'),
  fc.string({ maxLength: 200 }).map((s) => `v=0\r\n${s}`),
);
const candidate = fc.record(
  {
    candidate: fc.oneof(fc.constant(''), fc.constant('candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host')),
    sdpMid: fc.oneof(fc.constant('0'), fc.constant(null)),
    sdpMLineIndex: fc.integer({ min: 0, max: 3 }),
  },
  { requiredKeys: ['candidate'] },
);

/** Well-formed messages of every client type: the seeds that mutations start from. */
export const validMessage: fc.Arbitrary<Record<string, Json>> = fc.oneof(
  fc.record({ type: fc.constant('hello'), version: fc.constant(1) }),
  fc.record({ type: fc.constant('hello'), version: fc.constant(1), resume: token }),
  fc.record({ type: fc.constant('join'), roomId, name: fc.string({ maxLength: 64 }) }),
  fc.record({ type: fc.constant('join'), roomId, name: fc.string({ maxLength: 64 }), passcode: fc.string({ minLength: 4, maxLength: 20 }), hostKey: token }),
  fc.record({ type: fc.constant('description'), to: peerId, description: fc.record({ type: fc.constantFrom('offer', 'answer'), sdp }) }),
  fc.record({ type: fc.constant('candidate'), to: peerId, candidate }),
  fc.record({ type: fc.constant('media'), media: fc.record({ audio: fc.boolean(), video: fc.boolean() }) }),
  fc.record({ type: fc.constant('leave') }),
  fc.record({ type: fc.constant('lock'), locked: fc.boolean() }),
  fc.record({ type: fc.constant('pong') }),
  fc.record({ type: fc.constant('hand'), raised: fc.boolean() }),
  fc.record({ type: fc.constant('lower-hand'), peerId }),
  fc.record({ type: fc.constant('reaction'), emoji: fc.constantFrom(...REACTION_EMOJI) }),
  fc.record({ type: fc.constant('e2ee-key'), publicKey: fc.stringMatching(/^[A-Za-z0-9_-]{87}$/) }),
  fc.record({ type: fc.constant('e2ee-media-key'), to: peerId, keyId: fc.nat(), wrapped: fc.stringMatching(/^[A-Za-z0-9_-]{59}$/) }),
  fc.record({ type: fc.constant('knock'), roomId, name: fc.string({ maxLength: 64 }) }),
  fc.record({
    type: fc.constant('knock'),
    roomId,
    name: fc.string({ maxLength: 64 }),
    token: fc.tuple(fc.stringMatching(/^[0-9a-f]{16}$/), fc.stringMatching(/^[A-Za-z0-9_-]{22}$/)).map(([id, secret]) => `${id}.${secret}`),
  }),
  fc.record({ type: fc.constant('knock-cancel') }),
  fc.record({ type: fc.constantFrom('admit', 'deny'), knockId: peerId }),
  fc.record({ type: fc.constant('ask-to-join'), on: fc.boolean() }),
) as fc.Arbitrary<Record<string, Json>>;

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__'];

function nested(depth: number, leaf: Json, asArray: boolean): Json {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

/** Values no field expects: wrong types, huge and exotic strings, deep nesting, prototype bait. */
const weirdValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\uD800', '\uDFFF', '\u0000', '\u202E', 'ﬀ', '<script>alert(1)</script>', '$' + '{7*7}', '../../etc/passwd', '%00', '🧨'.repeat(8)),
  fc.integer({ min: 1_000, max: MAX_MESSAGE_BYTES + 8_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: MAX_SDP_CHARS - 10, max: MAX_SDP_CHARS + 10 }).map((n) => 's'.repeat(n)),
  fc.integer({ min: 2_000, max: 14_000 }).map((n) => '𝒳'.repeat(n)),
  fc.tuple(fc.integer({ min: 10, max: 800 }), fc.boolean()).map(([depth, asArray]) => nested(depth, 1, asArray)),
  fc.constantFrom(-1, 1e308, -0, 2 ** 53 + 1, 0.5, 1e-9),
  fc.constant({ __proto__: { polluted: true } } as unknown as Json),
  fc.constant(null),
);

/** Builds an object with `key` as an own property, even `__proto__`, so JSON.stringify writes it. */
function withOwnKey(base: Record<string, Json>, key: string, value: Json): Record<string, Json> {
  const copy = { ...base };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

type Mutation = (msg: Record<string, Json>) => Record<string, Json>;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(
    (i): Mutation =>
      (msg) => {
        const keys = Object.keys(msg);
        const copy = { ...msg };
        delete copy[keys[i % keys.length]!];
        return copy;
      },
  ),
  fc.tuple(fc.nat(), weirdValue).map(
    ([i, value]): Mutation =>
      (msg) => {
        const keys = Object.keys(msg);
        return withOwnKey(msg, keys[i % keys.length]!, value);
      },
  ),
  fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.string({ maxLength: 12 })), weirdValue).map(
    ([key, value]): Mutation =>
      (msg) =>
        withOwnKey(msg, key, value),
  ),
  fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom('HELLO', 'join\u0000', ' pong', 'ping', 'welcome', 'error', '__proto__', 'constructor')).map(
    (type): Mutation =>
      (msg) => ({ ...msg, type }),
  ),
  weirdValue.map(
    (value): Mutation =>
      (msg) => {
        // Mutate one level down, where descriptions and candidates keep their payload.
        const inner = Object.keys(msg).find((k) => typeof msg[k] === 'object' && msg[k] !== null);
        return inner ? { ...msg, [inner]: withOwnKey(msg[inner] as Record<string, Json>, 'sdp', value) } : withOwnKey(msg, 'x', value);
      },
  ),
);

export const mutatedMessage = fc.tuple(validMessage, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([msg, mutations]) => mutations.reduce((m, f) => f(m), msg));

/** Text-level damage to a valid message: truncation, a stray character, duplicated keys, prototype keys spliced in. */
const damagedText = fc.tuple(validMessage, fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), fc.constantFrom('cut', 'insert', 'duplicate', 'proto')).map(([msg, at, chars, how]) => {
  const text = JSON.stringify(msg);
  const i = at % text.length;
  if (how === 'cut') return text.slice(0, i);
  if (how === 'insert') return text.slice(0, i) + chars + text.slice(i);
  if (how === 'duplicate') return `${text.slice(0, -1)},"type":"join"}`;
  return `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},${text.slice(1)}`;
});

/** The whole mix, each input labelled with where it came from for the report. */
export const fuzzInput: fc.Arbitrary<FuzzInput> = fc.oneof(
  { weight: 6, arbitrary: mutatedMessage.map((m): FuzzInput => ({ kind: 'text', text: JSON.stringify(m), origin: 'mutated' })) },
  { weight: 2, arbitrary: damagedText.map((text): FuzzInput => ({ kind: 'text', text, origin: 'damaged-text' })) },
  { weight: 1, arbitrary: validMessage.map((m): FuzzInput => ({ kind: 'text', text: JSON.stringify(m), origin: 'valid' })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v): FuzzInput => ({ kind: 'text', text: JSON.stringify(v) ?? 'null', origin: 'random-json' })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text): FuzzInput => ({ kind: 'text', text, origin: 'random-text' })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 30_000 }), fc.boolean())
      .map(([depth, asArray]): FuzzInput => ({ kind: 'text', text: asArray ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, origin: 'deep-nesting' })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes): FuzzInput => ({ kind: 'binary', bytes, origin: 'binary' })) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes): FuzzInput => ({ kind: 'bad-utf8', bytes: new Uint8Array([...bytes, 0xc3, 0x28, 0xff]), origin: 'invalid-utf8' })),
  },
);
