// The systematic half of the fuzz suite: every optional field of every client message, walked from the
// protocol's own schema, gets null and values of the wrong type, on a socket in each state. Each must be
// answered with `bad-message` naming the field, and leave the socket exactly as it was.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClientMessage, PROTOCOL_VERSION, type Schema } from '@videoapp/protocol';
import { DEPLOYMENTS, type Deployment } from '../support/deployment.ts';
import { createRoomAsHost, pairInRoom, WsTestClient } from '../support/ws-client.ts';

/** Values a field may be sent instead of what it expects; each field gets those its schema refuses. */
const WRONG_VALUES: unknown[] = [null, 'text', 7.5, -1, true, [], {}];

/** Two messages a case (the bad one and a good one), well inside the per-socket burst of MESSAGE_BURST_PER_SOCKET. */
const CASES_PER_PAIR = 40;

type Example = Record<string, unknown> & { type: ClientMessage['type'] };

/** One valid message of each client type; a type added to the protocol without an example fails to compile. */
function examples(to: string): { [T in ClientMessage['type']]: Example & { type: T } } {
  return {
    hello: { type: 'hello', version: PROTOCOL_VERSION, resume: `${'a'.repeat(20)}.${'b'.repeat(20)}`, lastSeq: 0 },
    join: { type: 'join', roomId: 'aaaa-aaaa-aaaa-aaaa', name: 'Ada', passcode: 'open sesame', hostKey: 'k'.repeat(22) },
    description: { type: 'description', to, description: { type: 'offer', sdp: 'v=0\r\n' }, seq: 1, ack: 0 },
    candidate: { type: 'candidate', to, candidate: { candidate: '', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' }, seq: 1, ack: 0 },
    media: { type: 'media', media: { audio: true, video: true }, seq: 1, ack: 0 },
    leave: { type: 'leave', reason: 'hang-up', seq: 1, ack: 0 },
    pong: { type: 'pong', ack: 0 },
    ping: { type: 'ping' },
    ack: { type: 'ack', seq: 0 },
    lock: { type: 'lock', locked: false, seq: 1, ack: 0 },
    'sfu-publish': { type: 'sfu-publish', sdp: 'v=0\r\n', seq: 1, ack: 0 },
    'sfu-subscribe-answer': { type: 'sfu-subscribe-answer', sdp: 'v=0\r\n', seq: 1, ack: 0 },
    'sfu-candidate': { type: 'sfu-candidate', connection: 'publish', candidate: { candidate: '', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' }, seq: 1, ack: 0 },
    'sfu-view': { type: 'sfu-view', feeds: [{ peerId: to, video: 'low' }], seq: 1, ack: 0 },
    'sfu-subscribe-restart': { type: 'sfu-subscribe-restart', seq: 1, ack: 0 },
    'sfu-leave': { type: 'sfu-leave', seq: 1, ack: 0 },
    chat: { type: 'chat', text: 'hello', seq: 1, ack: 0 },
    hand: { type: 'hand', raised: true, seq: 1, ack: 0 },
    'lower-hand': { type: 'lower-hand', peerId: to, seq: 1, ack: 0 },
    reaction: { type: 'reaction', emoji: '👏', seq: 1, ack: 0 },
    'e2ee-key': { type: 'e2ee-key', to, publicKey: 'BPublicKeyInBase64url', seq: 1, ack: 0 },
    'e2ee-media-key': { type: 'e2ee-media-key', to, keyId: 7, wrapped: 'wrappedKeyInBase64url', seq: 1, ack: 0 },
    knock: { type: 'knock', roomId: 'aaaa-aaaa-aaaa-aaaa', name: 'Ada', passcode: 'open sesame', token: `${'0'.repeat(16)}.${'k'.repeat(22)}` },
    'knock-cancel': { type: 'knock-cancel' },
    admit: { type: 'admit', knockId: '0'.repeat(16), seq: 1, ack: 0 },
    deny: { type: 'deny', knockId: '0'.repeat(16), seq: 1, ack: 0 },
    'ask-to-join': { type: 'ask-to-join', on: true, seq: 1, ack: 0 },
  };
}

interface BadField {
  /** e.g. `candidate.sdpMid` */
  path: string[];
  value: unknown;
}

type ObjectSchema = Schema<unknown> & { shape?: Record<string, Schema<unknown>> };

/** Every optional field under `shape`, nested objects included, with each wrong value its schema refuses. */
function badFieldsOf(shape: Record<string, Schema<unknown>>, prefix: string[] = []): BadField[] {
  return Object.entries(shape).flatMap(([key, schema]) => {
    const path = [...prefix, key];
    const nested = (schema as ObjectSchema).shape;
    // null always: JSON has no undefined, so null is what a sloppy client sends for "absent", and it must be refused.
    const own = schema.optional ? WRONG_VALUES.filter((value) => value === null || schema.check(value, '$') !== undefined).map((value) => ({ path, value })) : [];
    return [...own, ...(nested ? badFieldsOf(nested, path) : [])];
  });
}

function withField(message: Example, { path, value }: BadField): Example {
  const copy = structuredClone(message);
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[path.at(-1)!] = value;
  return copy;
}

const CASES = ClientMessage.members.flatMap((member) => badFieldsOf(member.shape).map((bad) => ({ type: member.tag, bad })));

async function expectBadMessageNaming(client: WsTestClient, bad: BadField, label: string): Promise<void> {
  const error = await client.next('error');
  assert.equal(error.code, 'bad-message', label);
  assert.ok(error.message.startsWith(`$.${bad.path.join('.')}:`), `${label}: "${error.message}" does not name the field`);
}

const label = (type: string, bad: BadField) => `${type}.${bad.path.join('.')} = ${JSON.stringify(bad.value)}`;

for (const kind of DEPLOYMENTS)
  describe(`null and wrong-type values in every optional field: ${kind.name}`, { skip: kind.skip }, () => {
    let deployment: Deployment;
    let url: string;
    let otherUrl: string;

    before(async () => {
      deployment = await kind.start({ joinsPerMinutePerAddress: 1_000_000, roomsPerMinutePerAddress: 1_000_000 });
      [url, otherUrl] = deployment.urls;
    });
    after(async () => {
      await deployment.close();
    });

    test('the walk covers every message type with optional fields, nested ones included', () => {
      const covered = new Set(CASES.map((c) => `${c.type}.${c.bad.path.join('.')}`));
      for (const expected of ['hello.resume', 'hello.lastSeq', 'join.passcode', 'join.hostKey', 'description.seq', 'candidate.candidate.sdpMid', 'lock.ack', 'pong.ack']) {
        assert.ok(covered.has(expected), `${expected} is not walked`);
      }
    });

    test('as the first message: a typed error, and the socket still takes its hello', async (t) => {
      for (const { type, bad } of CASES) {
        const client = await WsTestClient.open(url);
        client.sendInvalid(withField(examples('0')[type], bad));
        await expectBadMessageNaming(client, bad, label(type, bad));
        client.send({ type: 'hello', version: PROTOCOL_VERSION });
        await client.next('welcome');
        client.close();
      }
      t.diagnostic(`${CASES.length} bad fields sent before hello`);
    });

    test('after hello: a typed error, and the socket can still join a room', async (t) => {
      for (const { type, bad } of CASES) {
        const { roomId } = await createRoomAsHost(url);
        const client = await WsTestClient.greeted(url);
        client.sendInvalid(withField(examples('0')[type], bad));
        await expectBadMessageNaming(client, bad, label(type, bad));
        client.send({ type: 'join', roomId, name: 'after a bad field' });
        await client.next('joined');
        client.close();
      }
      t.diagnostic(`${CASES.length} bad fields sent between hello and join`);
    });

    test('in a room: a typed error, nothing reaches the other member, and the next message is relayed', async (t) => {
      let pair = await pairInRoom(url, otherUrl);
      let seq = 0;
      for (const [i, { type, bad }] of CASES.entries()) {
        if (i > 0 && i % CASES_PER_PAIR === 0) {
          // A fresh pair now and then, so the per-socket rate limit never answers for the schema.
          pair.a.close();
          pair.b.close();
          pair = await pairInRoom(url, otherUrl);
          seq = 0;
        }
        const { a, b, bId } = pair;
        a.sendInvalid(withField(examples(bId)[type], bad));
        await expectBadMessageNaming(a, bad, label(type, bad));
        const audio = seq % 2 === 0;
        a.send({ type: 'media', media: { audio, video: true }, seq: ++seq });
        const relayed = await b.next('peer-media');
        assert.equal(relayed.media.audio, audio, `after ${label(type, bad)}`);
        assert.deepEqual(
          b.pending().filter((m) => m.type !== 'peer-media'),
          [],
          `after ${label(type, bad)}`,
        );
      }
      t.diagnostic(`${CASES.length} bad fields sent by a member of a room`);
      pair.a.close();
      pair.b.close();
    });

    test('the cases from the report: null resume, null host key, null seq', async () => {
      const { roomId, hostKey } = await createRoomAsHost(url);
      const host = await WsTestClient.open(url);
      host.sendInvalid({ type: 'hello', version: PROTOCOL_VERSION, resume: null });
      assert.equal((await host.next('error')).code, 'bad-message');
      host.send({ type: 'hello', version: PROTOCOL_VERSION });
      await host.next('welcome');
      host.sendInvalid({ type: 'join', roomId, name: 'Host', hostKey: null });
      assert.equal((await host.next('error')).code, 'bad-message');
      host.send({ type: 'join', roomId, name: 'Host', hostKey });
      assert.equal((await host.next('joined')).host, true);
      host.sendInvalid({ type: 'description', to: 'abc', description: { type: 'offer', sdp: 'v=0\r\n' }, seq: null });
      assert.match((await host.next('error')).message, /^\$\.seq: null is not allowed/);
      host.close();
    });
  });
