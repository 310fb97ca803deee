/** Encodes text as a QR code (byte mode, UTF-8), picking the smallest version that holds it. */
import { blockLayout, type ErrorCorrectionLevel, MAX_VERSION, MIN_VERSION } from './capacity.ts';
import { MASK_COUNT, QrMatrix } from './matrix.ts';
import { errorCorrection, generatorPolynomial } from './reed-solomon.ts';

export interface QrCode {
  version: number;
  /** Modules per side, without the quiet zone. */
  size: number;
  /** dark[y][x] */
  dark: boolean[][];
}

/** Light modules a reader needs around the symbol, on each side. */
export const QUIET_ZONE_MODULES = 4;

const BYTE_MODE = 0b0100;
const PAD_BYTES = [0xec, 0x11];

export class QrTooLongError extends Error {}

export function encodeQr(text: string, level: ErrorCorrectionLevel = 'M'): QrCode {
  const bytes = utf8(text);
  const version = smallestVersion(bytes.length, level);
  const codewords = interleaveWithCorrection(dataCodewords(bytes, version, level), version, level);
  const matrix = new QrMatrix(version);
  matrix.placeCodewords(codewords);
  let best = { mask: 0, penalty: Infinity };
  for (let mask = 0; mask < MASK_COUNT; mask++) {
    matrix.applyMask(mask);
    matrix.drawFormat(level, mask);
    const penalty = matrix.penalty();
    if (penalty < best.penalty) best = { mask, penalty };
    matrix.applyMask(mask);
  }
  matrix.applyMask(best.mask);
  matrix.drawFormat(level, best.mask);
  return { version, size: matrix.size, dark: matrix.dark };
}

const countBits = (version: number) => (version <= 9 ? 8 : 16);

function smallestVersion(byteCount: number, level: ErrorCorrectionLevel): number {
  for (let version = MIN_VERSION; version <= MAX_VERSION; version++) {
    const capacityBits = blockLayout(version, level).dataCodewords * 8;
    if (byteCount < 2 ** countBits(version) && 4 + countBits(version) + byteCount * 8 <= capacityBits) return version;
  }
  throw new QrTooLongError(`${byteCount} bytes do not fit in a QR code at level ${level}`);
}

function dataCodewords(bytes: readonly number[], version: number, level: ErrorCorrectionLevel): number[] {
  const capacityBits = blockLayout(version, level).dataCodewords * 8;
  const bits: number[] = [];
  const push = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  push(BYTE_MODE, 4);
  push(bytes.length, countBits(version));
  for (const b of bytes) push(b, 8);
  push(0, Math.min(4, capacityBits - bits.length)); // terminator
  push(0, (8 - (bits.length % 8)) % 8);
  const codewords: number[] = [];
  for (let i = 0; i < bits.length; i += 8) codewords.push(bits.slice(i, i + 8).reduce((byte, bit) => (byte << 1) | bit, 0));
  for (let i = 0; codewords.length < capacityBits / 8; i++) codewords.push(PAD_BYTES[i % 2]!);
  return codewords;
}

/** Splits data into blocks, appends each block's correction codewords, then interleaves column by column. */
function interleaveWithCorrection(data: readonly number[], version: number, level: ErrorCorrectionLevel): number[] {
  const { blocks: blockCount, eccPerBlock, totalCodewords } = blockLayout(version, level);
  const shortBlocks = blockCount - (totalCodewords % blockCount);
  const shortBlockLength = Math.floor(totalCodewords / blockCount);
  const generator = generatorPolynomial(eccPerBlock);
  const blocks: { data: number[]; ecc: number[] }[] = [];
  for (let i = 0, offset = 0; i < blockCount; i++) {
    const length = shortBlockLength - eccPerBlock + (i < shortBlocks ? 0 : 1);
    const blockData = data.slice(offset, offset + length);
    offset += length;
    blocks.push({ data: blockData, ecc: errorCorrection(blockData, generator) });
  }
  const result: number[] = [];
  const longestData = shortBlockLength - eccPerBlock + 1;
  for (let i = 0; i < longestData; i++) for (const b of blocks) if (i < b.data.length) result.push(b.data[i]!);
  for (let i = 0; i < eccPerBlock; i++) for (const b of blocks) result.push(b.ecc[i]!);
  return result;
}

function utf8(text: string): number[] {
  const bytes: number[] = [];
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return bytes;
}
