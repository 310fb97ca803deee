import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_UNACKED_FRAMES, Session, type FrameSink } from './session.ts';

/** A socket that records what the session sends on it, as the numbers the frames carry. */
function recordingSink(): FrameSink & { seqs: number[] } {
  const seqs: number[] = [];
  return { seqs, sendFrame: (frame) => seqs.push((JSON.parse(frame.toString()) as { seq: number }).seq) };
}

function sessionWith(frames: number, sink: FrameSink = recordingSink()): Session {
  const session = new Session('a11ce', 'Alice', 'room', sink);
  for (let i = 0; i < frames; i++) session.deliver(`{"type":"peer-media","peerId":"b0b","media":{"audio":true,"video":${i % 2 === 0}}}`);
  return session;
}

describe('Session', () => {
  test('frames are numbered from 1, with the number as the last key', () => {
    const sent: string[] = [];
    const session = sessionWith(2, { sendFrame: (f) => sent.push(f.toString()) });
    assert.deepEqual(sent.map((f) => (JSON.parse(f) as { seq: number }).seq), [1, 2]);
    assert.match(sent[1]!, /,"seq":2}$/);
    assert.equal(session.isAway, false);
  });

  test('a resumed socket gets every frame after the one the client last saw, once', () => {
    const session = sessionWith(5);
    session.awaitResume(60_000, () => assert.fail('not expired'));
    const back = recordingSink();
    const from = session.resume(back, 2);
    session.resend(from);
    assert.equal(from, 3);
    assert.deepEqual(back.seqs, [3, 4, 5]);
    session.end();
  });

  test('acknowledged frames are forgotten, whether the acknowledgement rode on a message or a resume', () => {
    const session = sessionWith(5);
    session.acknowledge(4);
    const back = recordingSink();
    session.resend(session.resume(back, 0));
    assert.deepEqual(back.seqs, [5], 'frames 1–4 were acknowledged before the drop');
    session.acknowledge(5);
    const again = recordingSink();
    session.resend(session.resume(again, 5));
    assert.deepEqual(again.seqs, []);
  });

  test('an acknowledgement of more than was sent forgets everything and breaks nothing', () => {
    const session = sessionWith(3);
    session.acknowledge(1_000);
    session.deliver('{"type":"ping"}');
    const back = recordingSink();
    session.resend(session.resume(back, 3));
    assert.deepEqual(back.seqs, [4]);
  });

  test(`a client that never acknowledges costs at most ${MAX_UNACKED_FRAMES} kept frames: the newest`, () => {
    const session = sessionWith(MAX_UNACKED_FRAMES + 44);
    const back = recordingSink();
    session.resend(session.resume(back, 0));
    assert.equal(back.seqs.length, MAX_UNACKED_FRAMES);
    assert.equal(back.seqs[0], 45);
    assert.equal(back.seqs.at(-1), MAX_UNACKED_FRAMES + 44);
  });

  test('numbered client messages are taken once', () => {
    const session = sessionWith(0);
    assert.deepEqual([1, 2, 2, 1, 3, undefined, undefined].map((seq) => session.accept(seq)), [true, true, false, false, true, true, true]);
  });
});
