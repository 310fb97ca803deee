// RFC 6455 frames as a server sees them: an incremental reader of masked client frames, and encoders of unmasked server frames.
import { isUtf8 } from 'node:buffer';
import { MAX_MESSAGE_BYTES } from '@videoapp/protocol';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Close codes this module sends on its own (RFC 6455 §7.4.1). */
export const CLOSE_CODE = {
  normal: 1000,
  protocolError: 1002,
  /** Received with no code in the close frame; never sent. */
  noStatus: 1005,
  /** The socket closed without a close frame; never sent. */
  abnormal: 1006,
  invalidPayload: 1007,
  tooLarge: 1009,
} as const;

/** Control frames (close, ping, pong) carry at most this many payload bytes. */
export const MAX_CONTROL_PAYLOAD_BYTES = 125;
/** A close frame's reason fits beside its 2-byte code in a control frame. */
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD_BYTES - 2;
/** Below this payload size unmasking byte by byte is as quick as setting up a word view. */
const WORD_UNMASK_MIN_BYTES = 32;

const FIN = 0x80;
const RSV_BITS = 0x70;
const MASK_BIT = 0x80;

/** Whether a peer may send `code` in a close frame: 1000–1014 less the ones reserved for local use, and 3000–4999. */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

// Scratch space to turn four mask bytes into one word in the platform's own byte order.
const maskWord = new Int32Array(1);
const maskWordBytes = new Uint8Array(maskWord.buffer);

/**
 * XORs `buf[start, start + length)` in place with the 4-byte mask at
 * `mask[maskAt]`. Whole aligned words are done four bytes at a time, with the
 * mask rotated to where the aligned part begins.
 */
export function unmask(buf: Buffer, start: number, length: number, mask: Buffer, maskAt: number): void {
  const end = start + length;
  let i = start;
  if (length >= WORD_UNMASK_MIN_BYTES) {
    const lead = (4 - ((buf.byteOffset + start) & 3)) & 3;
    for (; i < start + lead; i++) buf[i]! ^= mask[maskAt + ((i - start) & 3)]!;
    const words = (end - i) >> 2;
    const phase = i - start;
    for (let b = 0; b < 4; b++) maskWordBytes[b] = mask[maskAt + ((phase + b) & 3)]!;
    const word = maskWord[0]!;
    const view = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w]! ^= word;
    i += words * 4;
  }
  for (; i < end; i++) buf[i]! ^= mask[maskAt + ((i - start) & 3)]!;
}

function headerLengthFor(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10;
}

/** Writes a final, unmasked frame header at the start of `frame`; returns its length. */
function writeHeader(frame: Buffer, opcode: number, payloadLength: number): number {
  frame[0] = FIN | opcode;
  if (payloadLength < 126) {
    frame[1] = payloadLength;
    return 2;
  }
  if (payloadLength < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(payloadLength, 2);
    return 4;
  }
  frame[1] = 127;
  frame.writeUInt32BE(0, 2);
  frame.writeUInt32BE(payloadLength, 6);
  return 10;
}

/** One text frame, header and UTF-8 in a single buffer, ready for one socket write. */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(headerLengthFor(length) + length);
  frame.write(text, writeHeader(frame, OPCODE.text, length));
  return frame;
}

/** A close, ping or pong frame; `payload` must be at most MAX_CONTROL_PAYLOAD_BYTES. */
export function controlFrame(opcode: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(2 + payload.length);
  payload.copy(frame, writeHeader(frame, opcode, payload.length));
  return frame;
}

/** A close frame with `code`, and `reason` when it fits (no code at all for 1005, as the RFC asks). */
export function closeFrame(code: number, reason = ''): Buffer {
  if (code === CLOSE_CODE.noStatus) return controlFrame(OPCODE.close, Buffer.alloc(0));
  const reasonBytes = Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES ? reason : '';
  const payload = Buffer.allocUnsafe(2 + Buffer.byteLength(reasonBytes));
  payload.writeUInt16BE(code, 0);
  payload.write(reasonBytes, 2);
  return controlFrame(OPCODE.close, payload);
}

/**
 * Reads client frames from TCP chunks cut anywhere. A frame wholly inside a
 * chunk is unmasked and delivered in place, without a copy; bytes are held
 * between chunks only while a header or payload is incomplete. The first
 * protocol error stops reading for good and is reported with the close code
 * the peer should get. Subclasses receive whole messages and control frames.
 */
export abstract class FrameReader {
  /** An incomplete frame header (at most 13 bytes) carried to the next chunk. */
  private partialHeader: Buffer | null = null;
  /** An incomplete frame's mask (4 bytes) followed by its payload, filled chunk by chunk. */
  private partialFrame: Buffer | null = null;
  private partialFrameFilled = 0;
  /** First header byte (FIN and opcode) of the frame in partialFrame. */
  private partialFrameHead = 0;
  /** Opcode of a fragmented message awaiting continuations; 0 when none is open. */
  private fragmentedOpcode = 0;
  /** Payload of the open fragmented message so far, grown as continuations arrive. */
  private fragments: Buffer | null = null;
  private fragmentsLength = 0;
  private reading = true;

  protected abstract textReceived(text: string): void;
  protected abstract binaryReceived(): void;
  protected abstract pingReceived(payload: Buffer): void;
  /** `code` is CLOSE_CODE.noStatus when the frame carried none; reading has stopped. */
  protected abstract closeReceived(code: number): void;
  /** The peer broke the protocol; `code` is the close code it has earned. Reading has stopped. */
  protected abstract frameError(code: number): void;

  /** Feeds one chunk from the socket. */
  read(chunk: Buffer): void {
    if (!this.reading) return;
    let data = chunk;
    let offset = 0;
    if (this.partialFrame) {
      offset = this.fillPartialFrame(chunk);
      if (this.partialFrame) return;
    } else if (this.partialHeader) {
      data = Buffer.concat([this.partialHeader, chunk]);
      this.partialHeader = null;
    }
    while (this.reading && offset < data.length) offset = this.readFrame(data, offset);
  }

  /** Stops reading: whatever arrives later is ignored. */
  protected stopReading(): void {
    this.reading = false;
    this.partialHeader = this.partialFrame = this.fragments = null;
  }

  /** Reads the frame starting at `data[offset]`; returns where the next one starts (data.length when this one continues in the next chunk). */
  private readFrame(data: Buffer, offset: number): number {
    const available = data.length - offset;
    if (available < 2) return this.keepPartialHeader(data, offset);
    const head = data[offset]!;
    const second = data[offset + 1]!;
    const opcode = head & 0x0f;
    const shortLength = second & 0x7f;
    const problem = this.headerProblem(head, second, opcode, shortLength);
    if (problem) return this.fail(problem);
    const headerLength = (shortLength === 126 ? 4 : shortLength === 127 ? 10 : 2) + 4;
    if (available < headerLength) return this.keepPartialHeader(data, offset);
    let length = shortLength;
    if (shortLength === 126) length = data.readUInt16BE(offset + 2);
    else if (shortLength === 127) {
      const high = data.readUInt32BE(offset + 2);
      // The RFC reserves the top bit; any other high bit is a length far past our limit.
      if (high & 0x8000_0000) return this.fail(CLOSE_CODE.protocolError);
      if (high !== 0) return this.fail(CLOSE_CODE.tooLarge);
      length = data.readUInt32BE(offset + 6);
    }
    if (opcode < OPCODE.close && (opcode === OPCODE.continuation ? this.fragmentsLength : 0) + length > MAX_MESSAGE_BYTES) return this.fail(CLOSE_CODE.tooLarge);
    const maskAt = offset + headerLength - 4;
    const payloadStart = offset + headerLength;
    if (data.length - payloadStart < length) {
      const frame = Buffer.allocUnsafe(4 + length);
      data.copy(frame, 0, maskAt);
      this.partialFrame = frame;
      this.partialFrameFilled = data.length - maskAt;
      this.partialFrameHead = head;
      return data.length;
    }
    unmask(data, payloadStart, length, data, maskAt);
    this.frameComplete(head, data, payloadStart, payloadStart + length);
    return payloadStart + length;
  }

  /** The close code a frame header has earned, or 0 when it is acceptable here. */
  private headerProblem(head: number, second: number, opcode: number, shortLength: number): number {
    // Extensions would set RSV bits; we negotiate none, so a compressed frame is an error, never inflated.
    if (head & RSV_BITS || !(second & MASK_BIT)) return CLOSE_CODE.protocolError;
    switch (opcode) {
      case OPCODE.continuation:
        return this.fragmentedOpcode === 0 ? CLOSE_CODE.protocolError : 0;
      case OPCODE.text:
      case OPCODE.binary:
        return this.fragmentedOpcode === 0 ? 0 : CLOSE_CODE.protocolError;
      case OPCODE.close:
      case OPCODE.ping:
      case OPCODE.pong:
        return head & FIN && shortLength <= MAX_CONTROL_PAYLOAD_BYTES ? 0 : CLOSE_CODE.protocolError;
      default:
        return CLOSE_CODE.protocolError;
    }
  }

  private keepPartialHeader(data: Buffer, offset: number): number {
    this.partialHeader = Buffer.from(data.subarray(offset));
    return data.length;
  }

  /** Copies what `chunk` holds of the incomplete frame; returns how many bytes of `chunk` that took. */
  private fillPartialFrame(chunk: Buffer): number {
    const frame = this.partialFrame!;
    const taken = Math.min(frame.length - this.partialFrameFilled, chunk.length);
    chunk.copy(frame, this.partialFrameFilled, 0, taken);
    this.partialFrameFilled += taken;
    if (this.partialFrameFilled < frame.length) return taken;
    this.partialFrame = null;
    unmask(frame, 4, frame.length - 4, frame, 0);
    this.frameComplete(this.partialFrameHead, frame, 4, frame.length);
    return taken;
  }

  /** An unmasked frame payload `buf[start, end)`, its header already checked. */
  private frameComplete(head: number, buf: Buffer, start: number, end: number): void {
    const opcode = head & 0x0f;
    if (opcode >= OPCODE.close) return this.controlFrameReceived(opcode, buf, start, end);
    const final = (head & FIN) !== 0;
    if (opcode !== OPCODE.continuation) {
      if (final) return this.messageReceived(opcode, buf, start, end);
      this.fragmentedOpcode = opcode;
    }
    this.appendFragment(buf, start, end);
    if (!final) return;
    const message = this.fragments!;
    const messageOpcode = this.fragmentedOpcode;
    const length = this.fragmentsLength;
    this.fragments = null;
    this.fragmentsLength = this.fragmentedOpcode = 0;
    this.messageReceived(messageOpcode, message, 0, length);
  }

  /** Fragments are copied (never kept as views) so a 1-byte fragment cannot pin a whole TCP chunk. */
  private appendFragment(buf: Buffer, start: number, end: number): void {
    const needed = this.fragmentsLength + (end - start);
    if (!this.fragments || needed > this.fragments.length) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_MESSAGE_BYTES, Math.max(needed, 2 * (this.fragments?.length ?? 0), 1024)));
      this.fragments?.copy(grown, 0, 0, this.fragmentsLength);
      this.fragments = grown;
    }
    buf.copy(this.fragments, this.fragmentsLength, start, end);
    this.fragmentsLength = needed;
  }

  private messageReceived(opcode: number, buf: Buffer, start: number, end: number): void {
    if (opcode === OPCODE.binary) return this.binaryReceived();
    if (!isUtf8(buf.subarray(start, end))) return void this.fail(CLOSE_CODE.invalidPayload);
    this.textReceived(buf.toString('utf8', start, end));
  }

  private controlFrameReceived(opcode: number, buf: Buffer, start: number, end: number): void {
    if (opcode === OPCODE.ping) return this.pingReceived(buf.subarray(start, end));
    if (opcode === OPCODE.pong) return;
    const length = end - start;
    if (length === 0) return this.closeWith(CLOSE_CODE.noStatus);
    if (length === 1) return void this.fail(CLOSE_CODE.protocolError);
    const code = buf.readUInt16BE(start);
    if (!isValidCloseCode(code)) return void this.fail(CLOSE_CODE.protocolError);
    if (!isUtf8(buf.subarray(start + 2, end))) return void this.fail(CLOSE_CODE.invalidPayload);
    this.closeWith(code);
  }

  private closeWith(code: number): void {
    this.stopReading();
    this.closeReceived(code);
  }

  /** Returns an offset past any chunk, so a read loop ends. */
  private fail(code: number): number {
    this.stopReading();
    this.frameError(code);
    return Number.MAX_SAFE_INTEGER;
  }
}
