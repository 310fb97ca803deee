import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { MAX_MESSAGE_BYTES } from '@videoapp/protocol';
import { CLOSE_CODE, closeFrame, FrameReader, isValidCloseCode, OPCODE, textFrame, unmask } from './frames.ts';

type Heard = { text: string } | { binary: true } | { ping: string } | { close: number } | { error: number };

/** A reader that writes down what it hears, in order. */
class RecordingReader extends FrameReader {
  readonly heard: Heard[] = [];
  protected textReceived(text: string): void {
    this.heard.push({ text });
  }
  protected binaryReceived(): void {
    this.heard.push({ binary: true });
  }
  protected pingReceived(payload: Buffer): void {
    this.heard.push({ ping: payload.toString('latin1') });
  }
  protected closeReceived(code: number): void {
    this.heard.push({ close: code });
  }
  protected frameError(code: number): void {
    this.heard.push({ error: code });
  }
}

interface FrameOptions {
  fin?: boolean;
  rsv?: number;
  masked?: boolean;
  mask?: Buffer;
  /** Declared payload length, when it should differ from the payload sent (a header alone). */
  declaredLength?: number;
  /** The 64-bit length's high 32 bits, for lengths no honest client sends. */
  lengthHigh?: number;
}

/** A client frame built by hand, independently of the encoder under test. */
function clientFrame(opcode: number, payload: Buffer | string, options: FrameOptions = {}): Buffer {
  const body = Buffer.from(payload);
  const length = options.declaredLength ?? body.length;
  const masked = options.masked ?? true;
  const bytes: number[] = [((options.fin ?? true) ? 0x80 : 0) | (options.rsv ?? 0) | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (options.lengthHigh !== undefined || length > 0xffff) {
    bytes.push(maskBit | 127);
    const extended = Buffer.alloc(8);
    extended.writeUInt32BE(options.lengthHigh ?? 0, 0);
    extended.writeUInt32BE(length, 4);
    bytes.push(...extended);
  } else if (length > 125) bytes.push(maskBit | 126, length >> 8, length & 0xff);
  else bytes.push(maskBit | length);
  if (!masked) return Buffer.concat([Buffer.from(bytes), body]);
  const mask = options.mask ?? randomBytes(4);
  return Buffer.concat([Buffer.from(bytes), mask, Buffer.from(body.map((b, i) => b ^ mask[i % 4]!))]);
}

function closePayload(code: number, reason: string | Buffer = ''): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return Buffer.concat([payload, Buffer.from(reason)]);
}

function readAll(...chunks: Buffer[]): Heard[] {
  const reader = new RecordingReader();
  for (const chunk of chunks) reader.read(chunk);
  return reader.heard;
}

describe('FrameReader', () => {
  test('frames cut at every possible point, or fed a byte at a time, read the same as whole', () => {
    const offer = JSON.stringify({ type: 'description', sdp: 'v=0 é '.repeat(40) });
    const stream = Buffer.concat([clientFrame(OPCODE.text, offer), clientFrame(OPCODE.ping, 'hb'), clientFrame(OPCODE.text, '{"type":"pong"}')]);
    const expected: Heard[] = [{ text: offer }, { ping: 'hb' }, { text: '{"type":"pong"}' }];
    assert.deepEqual(readAll(Buffer.from(stream)), expected);
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(readAll(Buffer.from(stream.subarray(0, cut)), Buffer.from(stream.subarray(cut))), expected, `cut at ${cut}`);
    }
    for (let cut = 1; cut + 7 < stream.length; cut += 5) {
      const pieces = [stream.subarray(0, cut), stream.subarray(cut, cut + 7), stream.subarray(cut + 7)].map((p) => Buffer.from(p));
      assert.deepEqual(readAll(...pieces), expected, `cut at ${cut} and ${cut + 7}`);
    }
    assert.deepEqual(readAll(...[...stream].map((byte) => Buffer.from([byte]))), expected);
  });

  test('a fragmented message is reassembled, with a ping between its fragments answered first', () => {
    const heard = readAll(
      Buffer.concat([
        clientFrame(OPCODE.text, '{"type":', { fin: false }),
        clientFrame(OPCODE.ping, 'between'),
        clientFrame(OPCODE.continuation, '"pong"', { fin: false }),
        clientFrame(OPCODE.pong, ''),
        clientFrame(OPCODE.continuation, '}'),
        clientFrame(OPCODE.text, 'next'),
      ]),
    );
    assert.deepEqual(heard, [{ ping: 'between' }, { text: '{"type":"pong"}' }, { text: 'next' }]);
  });

  test('UTF-8 split across fragments is valid: the whole message is checked, not each fragment', () => {
    const euro = Buffer.from('€');
    const heard = readAll(clientFrame(OPCODE.text, euro.subarray(0, 1), { fin: false }), clientFrame(OPCODE.continuation, euro.subarray(1, 2), { fin: false }), clientFrame(OPCODE.continuation, euro.subarray(2)));
    assert.deepEqual(heard, [{ text: '€' }]);
  });

  test('binary messages are reported as binary, whole or in fragments', () => {
    assert.deepEqual(readAll(clientFrame(OPCODE.binary, Buffer.from([1, 2, 3]))), [{ binary: true }]);
    assert.deepEqual(readAll(clientFrame(OPCODE.binary, Buffer.from([1]), { fin: false }), clientFrame(OPCODE.continuation, Buffer.from([0xff]))), [{ binary: true }]);
  });

  const protocolErrors: [string, Buffer[], number][] = [
    ['an unmasked client frame', [clientFrame(OPCODE.text, 'hi', { masked: false })], CLOSE_CODE.protocolError],
    ['RSV1 set (a compressed frame)', [clientFrame(OPCODE.text, 'hi', { rsv: 0x40 })], CLOSE_CODE.protocolError],
    ['RSV3 set', [clientFrame(OPCODE.text, 'hi', { rsv: 0x10 })], CLOSE_CODE.protocolError],
    ['an unknown data opcode', [clientFrame(0x3, 'hi')], CLOSE_CODE.protocolError],
    ['an unknown control opcode', [clientFrame(0xb, '')], CLOSE_CODE.protocolError],
    ['a fragmented ping', [clientFrame(OPCODE.ping, 'x', { fin: false })], CLOSE_CODE.protocolError],
    ['a ping over 125 bytes', [clientFrame(OPCODE.ping, 'x'.repeat(126))], CLOSE_CODE.protocolError],
    ['a continuation with no message open', [clientFrame(OPCODE.continuation, 'x')], CLOSE_CODE.protocolError],
    ['a new message while a fragmented one is open', [clientFrame(OPCODE.text, 'a', { fin: false }), clientFrame(OPCODE.text, 'b')], CLOSE_CODE.protocolError],
    ['invalid UTF-8 in a text message', [clientFrame(OPCODE.text, Buffer.from([0x7b, 0xc3, 0x28]))], CLOSE_CODE.invalidPayload],
    ['a truncated UTF-8 sequence at the end of a fragmented message', [clientFrame(OPCODE.text, 'a', { fin: false }), clientFrame(OPCODE.continuation, Buffer.from([0xe2, 0x82]))], CLOSE_CODE.invalidPayload],
    ['a close frame with a 1-byte payload', [clientFrame(OPCODE.close, Buffer.from([3]))], CLOSE_CODE.protocolError],
    ['a close frame with code 1005', [clientFrame(OPCODE.close, closePayload(1005))], CLOSE_CODE.protocolError],
    ['a close frame with code 999', [clientFrame(OPCODE.close, closePayload(999))], CLOSE_CODE.protocolError],
    ['a close frame with code 2000', [clientFrame(OPCODE.close, closePayload(2000))], CLOSE_CODE.protocolError],
    ['a close frame with code 5000', [clientFrame(OPCODE.close, closePayload(5000))], CLOSE_CODE.protocolError],
    ['a close reason that is not UTF-8', [clientFrame(OPCODE.close, closePayload(1000, Buffer.from([0xff])))], CLOSE_CODE.invalidPayload],
    ['a 64-bit length with the top bit set', [clientFrame(OPCODE.text, '', { declaredLength: 5, lengthHigh: 0x8000_0000 })], CLOSE_CODE.protocolError],
    ['a 64-bit length past 4 GB', [clientFrame(OPCODE.text, '', { declaredLength: 5, lengthHigh: 1 })], CLOSE_CODE.tooLarge],
  ];
  for (const [what, chunks, code] of protocolErrors) {
    test(`${what} closes with ${code}, and nothing after it is read`, () => {
      assert.deepEqual(readAll(...chunks, clientFrame(OPCODE.text, 'after')), [{ error: code }]);
    });
  }

  test('a message over the limit is refused from its header alone, before any payload is held', () => {
    const reader = new RecordingReader();
    reader.read(clientFrame(OPCODE.text, '', { declaredLength: MAX_MESSAGE_BYTES + 1 }));
    assert.deepEqual(reader.heard, [{ error: CLOSE_CODE.tooLarge }]);

    const fragmented = new RecordingReader();
    fragmented.read(clientFrame(OPCODE.text, 'x'.repeat(MAX_MESSAGE_BYTES - 10), { fin: false }));
    fragmented.read(clientFrame(OPCODE.continuation, '', { declaredLength: 11 }));
    assert.deepEqual(fragmented.heard, [{ error: CLOSE_CODE.tooLarge }], 'the limit counts every fragment');
  });

  test('a message of exactly the limit is accepted, in one frame or in fragments, and across chunks', () => {
    const text = 'y'.repeat(MAX_MESSAGE_BYTES);
    const whole = clientFrame(OPCODE.text, text);
    assert.deepEqual(readAll(whole.subarray(0, 1000), whole.subarray(1000)), [{ text }]);
    assert.deepEqual(readAll(clientFrame(OPCODE.text, text.slice(0, 100), { fin: false }), clientFrame(OPCODE.continuation, text.slice(100))), [{ text }]);
  });

  test('close frames: the code is reported, or 1005 when there is none', () => {
    assert.deepEqual(readAll(clientFrame(OPCODE.close, closePayload(4001, 'gone é'))), [{ close: 4001 }]);
    assert.deepEqual(readAll(clientFrame(OPCODE.close, '')), [{ close: CLOSE_CODE.noStatus }]);
    assert.deepEqual(readAll(clientFrame(OPCODE.close, closePayload(1000)), clientFrame(OPCODE.text, 'after')), [{ close: 1000 }], 'nothing is read after a close frame');
  });

  test('every mask, including all zeros, at every alignment of the payload', () => {
    const masks = [Buffer.from([0, 0, 0, 0]), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([1, 2, 3, 4]), randomBytes(4)];
    for (const mask of masks) {
      for (const length of [0, 1, 3, 31, 32, 33, 100, 1500]) {
        const text = randomBytes(length).toString('base64').slice(0, length);
        for (let prefix = 0; prefix < 4; prefix++) {
          // A chunk that starts `prefix` bytes into an empty frame moves the payload's alignment.
          const chunk = Buffer.concat([clientFrame(OPCODE.text, 'x'.repeat(prefix)), clientFrame(OPCODE.text, text, { mask })]);
          assert.deepEqual(readAll(chunk), [{ text: 'x'.repeat(prefix) }, { text }], `mask ${mask.toString('hex')} length ${length} prefix ${prefix}`);
        }
      }
    }
  });
});

describe('unmask', () => {
  test('matches a byte-by-byte XOR for every start offset and length up to 80', () => {
    const mask = randomBytes(4);
    const source = randomBytes(96);
    for (let start = 0; start < 8; start++) {
      for (let length = 0; length <= 80; length++) {
        const buf = Buffer.from(source);
        unmask(buf, start, length, mask, 0);
        const expected = Buffer.from(source);
        for (let i = 0; i < length; i++) expected[start + i]! ^= mask[i % 4]!;
        assert.deepEqual(buf, expected, `start ${start} length ${length}`);
      }
    }
  });
});

describe('server frames', () => {
  test('header sizes at the length-field boundaries: 2 bytes to 125, 4 to 65535, 10 beyond', () => {
    for (const [length, headerLength] of [[0, 2], [125, 2], [126, 4], [65_535, 4], [65_536, 10]] as const) {
      const frame = textFrame('z'.repeat(length));
      assert.equal(frame.length, headerLength + length, `length ${length}`);
      assert.equal(frame[0], 0x81, 'final text frame');
      assert.equal(frame[1]! & 0x80, 0, 'server frames are not masked');
      const declared = headerLength === 2 ? frame[1] : headerLength === 4 ? frame.readUInt16BE(2) : Number(frame.readBigUInt64BE(2));
      assert.equal(declared, length);
      assert.equal(frame.subarray(headerLength).toString(), 'z'.repeat(length));
    }
  });

  test('the length counts UTF-8 bytes, not characters', () => {
    const text = 'é'.repeat(100);
    const frame = textFrame(text);
    assert.equal(frame[1], 126);
    assert.equal(frame.readUInt16BE(2), 200);
    assert.equal(frame.subarray(4).toString(), text);
  });

  test('close frames carry the code and reason; no code for 1005; a reason too long for a control frame is left out', () => {
    assert.deepEqual([...closeFrame(4003, 'no hello')], [0x88, 10, 0x0f, 0xa3, ...Buffer.from('no hello')]);
    assert.deepEqual([...closeFrame(CLOSE_CODE.noStatus)], [0x88, 0]);
    assert.deepEqual([...closeFrame(1000, 'r'.repeat(124))], [0x88, 2, 0x03, 0xe8]);
  });

  test('close code rules', () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) assert.ok(isValidCloseCode(code), String(code));
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000]) assert.ok(!isValidCloseCode(code), String(code));
  });
});
