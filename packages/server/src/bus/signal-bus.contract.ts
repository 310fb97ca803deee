// What every SignalBus must do, run against each implementation (in memory here; Redis with a real server in tests/).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RoomStore } from '../store/room-store.ts';
import { type FrameSink, MAX_UNACKED_FRAMES, type SignalBus } from './signal-bus.ts';

export interface BusFixture {
  store: RoomStore;
  /** Two buses sharing the store: the same one twice in memory, two processes' worth over Redis. */
  buses: [SignalBus, SignalBus];
  close(): Promise<void>;
}

/** A socket that records the numbers of the frames it is handed, and whether it was superseded. */
function recordingSink(): FrameSink & { seqs: number[]; frames: string[]; superseded: boolean } {
  const sink = {
    seqs: [] as number[],
    frames: [] as string[],
    superseded: false,
    sendFrame(frame: string) {
      sink.frames.push(frame);
      sink.seqs.push((JSON.parse(frame) as { seq: number }).seq);
    },
    supersede() {
      sink.superseded = true;
    },
  };
  return sink;
}

/** Waits until `check` holds (frames over Redis arrive a moment later). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const media = (i: number) => `{"type":"peer-media","peerId":"b0b","media":{"audio":true,"video":${i % 2 === 0}}}`;

export function busContract(setUp: () => Promise<BusFixture>): void {
  let fixture: BusFixture;
  let roomId: string;
  let n = 0;

  before(async () => {
    fixture = await setUp();
  });
  after(() => fixture.close());

  /** A fresh room with members `ids`. */
  async function room(...ids: string[]): Promise<string[]> {
    roomId = await fixture.store.createRoom({ hostKeyHash: 'x' });
    const { life } = (await fixture.store.access(roomId))!;
    const unique = ids.map((id) => `${id}${++n}`);
    for (const id of unique) assert.equal((await fixture.store.join(roomId, life, { id, name: id, host: false })).ok, true);
    return unique;
  }

  test('frames are numbered from 1 per member, with the number as the last key', async () => {
    const [a] = await room('a');
    const sink = recordingSink();
    await fixture.buses[0].attach({ roomId, peerId: a! }, sink, 0, () => {});
    for (let i = 0; i < 2; i++) await fixture.buses[1].send({ roomId, addressee: { to: a! }, frame: media(i) });
    await eventually(() => sink.seqs.length === 2, 'two frames');
    assert.deepEqual(sink.seqs, [1, 2]);
    assert.match(sink.frames[1]!, /,"seq":2}$/);
  });

  test('a broadcast reaches every member but its sender, in order', async () => {
    const [a, b, c] = await room('a', 'b', 'c');
    const [sb, sc] = [recordingSink(), recordingSink()];
    await fixture.buses[0].attach({ roomId, peerId: b! }, sb, 0, () => {});
    await fixture.buses[1].attach({ roomId, peerId: c! }, sc, 0, () => {});
    for (let i = 0; i < 20; i++) await fixture.buses[0].send({ roomId, addressee: { allBut: a! }, frame: media(i) });
    await eventually(() => sb.seqs.length === 20 && sc.seqs.length === 20, 'twenty frames each');
    assert.deepEqual(
      sb.seqs,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      sc.frames.map((f) => f.includes('"video":true')),
      Array.from({ length: 20 }, (_, i) => i % 2 === 0),
    );
  });

  test('frames sent while a member is away wait; a new socket (on either bus) gets each one after the last it saw, once', async () => {
    const [a] = await room('a');
    const first = recordingSink();
    await fixture.buses[0].attach({ roomId, peerId: a! }, first, 0, () => {});
    for (let i = 0; i < 2; i++) await fixture.buses[1].send({ roomId, addressee: { to: a! }, frame: media(i) });
    await eventually(() => first.seqs.length === 2, 'two frames');
    fixture.buses[0].detach(a!, first);
    for (let i = 0; i < 3; i++) await fixture.buses[1].send({ roomId, addressee: { to: a! }, frame: media(i) });
    const back = recordingSink();
    const greeted: number[] = [];
    const attachment = await fixture.buses[1].attach({ roomId, peerId: a! }, back, 2, ({ resendFrom }) => greeted.push(resendFrom, back.seqs.length));
    assert.deepEqual(greeted, [3, 0], 'greeted before any frame is resent');
    assert.equal(attachment.resendFrom, 3);
    await fixture.buses[0].send({ roomId, addressee: { to: a! }, frame: media(9) });
    await eventually(() => back.seqs.length === 4, 'three kept and one new');
    assert.deepEqual(back.seqs, [3, 4, 5, 6]);
    assert.deepEqual(first.seqs, [1, 2], 'nothing reached the old socket after it was detached');
  });

  test('attaching elsewhere supersedes the socket attached before', async () => {
    const [a] = await room('a');
    const first = recordingSink();
    await fixture.buses[0].attach({ roomId, peerId: a! }, first, 0, () => {});
    const second = recordingSink();
    await fixture.buses[1].attach({ roomId, peerId: a! }, second, 0, () => {});
    await eventually(() => first.superseded, 'the first socket superseded');
    await fixture.buses[0].send({ roomId, addressee: { to: a! }, frame: media(0) });
    await eventually(() => second.seqs.length === 1, 'the new socket gets the frame');
    assert.deepEqual(first.seqs, []);
  });

  test('a numbered client message is taken once, whichever bus sees the re-send', async () => {
    const [a, b] = await room('a', 'b');
    const sb = recordingSink();
    await fixture.buses[0].attach({ roomId, peerId: b! }, sb, 0, () => {});
    const outcomes = [];
    for (const [bus, seq] of [
      [0, 1],
      [1, 2],
      [1, 2],
      [0, 1],
      [1, 3],
    ] as const) {
      outcomes.push(await fixture.buses[bus].send({ roomId, addressee: { to: b! }, frame: media(seq), cause: { peerId: a!, seq } }));
    }
    assert.deepEqual(outcomes, ['sent', 'sent', 'duplicate', 'duplicate', 'sent']);
    await eventually(() => sb.seqs.length === 3, 'three frames');
    const receivedSeq = (await fixture.buses[1].attach({ roomId, peerId: a! }, recordingSink(), 0, () => {})).receivedSeq;
    assert.equal(receivedSeq, 3);
  });

  test('a numbered client message answered later is taken once too, in the same numbering as sends', async () => {
    const [a, b] = await room('a', 'b');
    assert.equal(await fixture.buses[0].take(a!, 1), true);
    assert.equal(await fixture.buses[1].take(a!, 1), false, 'a re-send on the other bus');
    assert.equal(await fixture.buses[1].send({ roomId, addressee: { to: b! }, frame: media(2), cause: { peerId: a!, seq: 2 } }), 'sent');
    assert.equal(await fixture.buses[0].take(a!, 2), false, 'a number a send took');
    assert.equal(await fixture.buses[0].take(a!, 3), true);
    assert.equal((await fixture.buses[1].attach({ roomId, peerId: a! }, recordingSink(), 0, () => {})).receivedSeq, 3);
  });

  test('a frame for someone not in the room is refused', async () => {
    await room('a');
    assert.equal(await fixture.buses[0].send({ roomId, addressee: { to: 'nobody' }, frame: media(0) }), 'not-member');
  });

  test(`a client that never acknowledges costs at most ${MAX_UNACKED_FRAMES} kept frames: the newest`, async () => {
    const [a] = await room('a');
    for (let i = 0; i < MAX_UNACKED_FRAMES + 44; i++) await fixture.buses[0].send({ roomId, addressee: { to: a! }, frame: media(i) });
    const back = recordingSink();
    await fixture.buses[1].attach({ roomId, peerId: a! }, back, 0, () => {});
    await eventually(() => back.seqs.length === MAX_UNACKED_FRAMES, 'the kept frames');
    assert.equal(back.seqs[0], 45);
    assert.equal(back.seqs.at(-1), MAX_UNACKED_FRAMES + 44);
  });

  test('acknowledged frames are not sent again', async () => {
    const [a] = await room('a');
    const first = recordingSink();
    await fixture.buses[0].attach({ roomId, peerId: a! }, first, 0, () => {});
    for (let i = 0; i < 5; i++) await fixture.buses[0].send({ roomId, addressee: { to: a! }, frame: media(i) });
    await eventually(() => first.seqs.length === 5, 'five frames');
    fixture.buses[0].acknowledge(a!, 4);
    fixture.buses[0].detach(a!, first);
    const back = recordingSink();
    // Told nothing on resume (0), the bus still resends only what was never acknowledged.
    await fixture.buses[0].attach({ roomId, peerId: a! }, back, 0, () => {});
    await eventually(() => back.seqs.length >= 1, 'the unacknowledged frame');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(back.seqs, [5]);
  });
}
