import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClientMessage, parse, ServerMessage } from '@videoapp/protocol';
import { relayedFrame } from './relayed-frame.ts';
import { Session } from './session.ts';

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na="quoted" \\ \u00e9\r\n' };
const candidate = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 };

/** What the server relays the slow way: the parsed message serialized again with `from`. */
function reserialized(frame: string, from: string): unknown {
  const msg = JSON.parse(frame) as { type: 'description' | 'candidate'; description?: unknown; candidate?: unknown };
  return msg.type === 'description' ? { type: 'description', from, description: msg.description } : { type: 'candidate', from, candidate: msg.candidate };
}

describe('relayedFrame', () => {
  test('a frame as our client sends it is relayed as the same message from the sender', () => {
    for (const [type, body] of [['description', offer], ['candidate', candidate]] as const) {
      const frame = JSON.stringify({ type, to: 'b0b', [type]: body });
      assert.equal(parse(ClientMessage, JSON.parse(frame)).ok, true);
      const relayed = relayedFrame(frame, type, { to: 'b0b' }, 'a11ce');
      assert.ok(relayed, `${type} takes the fast path`);
      const received = JSON.parse(relayed);
      assert.deepEqual(received, reserialized(frame, 'a11ce'));
      assert.equal(parse(ServerMessage, received).ok, true);
    }
  });

  test('a numbered, acknowledging frame as our client sends it is relayed without the client numbers', () => {
    for (const numbers of [{ seq: 7 }, { seq: 7, ack: 12 }, { seq: 7, ack: 0 }]) {
      const frame = JSON.stringify({ type: 'description', ...numbers, to: 'b0b', description: offer });
      assert.equal(parse(ClientMessage, JSON.parse(frame)).ok, true);
      const relayed = relayedFrame(frame, 'description', { to: 'b0b', ...numbers }, 'a11ce');
      assert.ok(relayed, frame.slice(0, 60));
      assert.deepEqual(JSON.parse(relayed), reserialized(frame, 'a11ce'));
    }
  });

  test('a repeated seq cannot stand in for the number the server adds last', () => {
    const frame = `{"type":"description","seq":7,"to":"b0b","description":${JSON.stringify(offer)},"seq":7}`;
    const relayed = relayedFrame(frame, 'description', { to: 'b0b', seq: 7 }, 'a11ce');
    assert.ok(relayed);
    const sent: string[] = [];
    new Session('b0b', 'Bob', 'room', { sendFrame: (f) => sent.push(f.toString()) }).deliver(relayed);
    const received = JSON.parse(sent[0]!) as { seq: number };
    assert.equal(received.seq, 1, "the receiver sees the server's number");
    assert.equal(parse(ServerMessage, received).ok, true);
  });

  test('a repeated to or ack reaches the receiver as a frame its strict schema drops', () => {
    for (const key of ['to', 'ack']) {
      const frame = `{"type":"description","seq":7,"to":"b0b","description":${JSON.stringify(offer)},"${key}":${key === 'to' ? '"b0b"' : 3}}`;
      const msg = JSON.parse(frame) as { to: string; seq: number; ack?: number };
      const relayed = relayedFrame(frame, 'description', msg, 'a11ce');
      if (relayed) assert.equal(parse(ServerMessage, JSON.parse(relayed)).ok, false, key);
    }
  });

  test('other layouts take the slow path', () => {
    const slow = [
      JSON.stringify({ to: 'b0b', type: 'description', description: offer }),
      JSON.stringify({ type: 'description', to: 'b0b', description: offer }, null, 1),
      `${JSON.stringify({ type: 'description', to: 'b0b', description: offer })} `,
      JSON.stringify({ type: 'description', ack: 3, seq: 7, to: 'b0b', description: offer }),
    ];
    for (const frame of slow) assert.equal(relayedFrame(frame, 'description', JSON.parse(frame) as { to: string }, 'a11ce'), undefined, frame);
  });

  test('a frame addressed to someone else does not match the head', () => {
    const frame = JSON.stringify({ type: 'description', to: 'b0b2', description: offer });
    assert.equal(relayedFrame(frame, 'description', { to: 'b0b' }, 'a11ce'), undefined);
  });

  test('repeated keys reach the receiver as the value the server validated', () => {
    const evil = { type: 'offer', sdp: 'not what was validated' };
    const frame = `{"type":"description","to":"b0b","description":${JSON.stringify(evil)},"description":${JSON.stringify(offer)}}`;
    const relayed = relayedFrame(frame, 'description', { to: 'b0b' }, 'a11ce');
    assert.deepEqual(JSON.parse(relayed!), reserialized(frame, 'a11ce'));
  });
});
