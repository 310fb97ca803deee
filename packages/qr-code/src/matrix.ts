/** The symbol's grid: fixed patterns, data placement, masks and the mask penalty score. */
import { alignmentCentres, type ErrorCorrectionLevel, sizeOf } from './capacity.ts';

const FORMAT_LEVEL_BITS: Record<ErrorCorrectionLevel, number> = { L: 1, M: 0, Q: 3, H: 2 };
const FORMAT_GENERATOR = 0x537;
const FORMAT_XOR_MASK = 0x5412;
const VERSION_GENERATOR = 0x1f25;

export const MASK_COUNT = 8;

const MASKS: readonly ((x: number, y: number) => boolean)[] = [
  (x, y) => (x + y) % 2 === 0,
  (_x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

export class QrMatrix {
  readonly size: number;
  /** dark[y][x] */
  readonly dark: boolean[][];
  /** Modules that belong to finder, timing, alignment, format or version patterns: never data, never masked. */
  private readonly fixed: boolean[][];

  constructor(readonly version: number) {
    this.size = sizeOf(version);
    this.dark = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false));
    this.fixed = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false));
    this.drawFixedPatterns();
  }

  private setFixed(x: number, y: number, dark: boolean): void {
    this.dark[y]![x] = dark;
    this.fixed[y]![x] = true;
  }

  private drawFixedPatterns(): void {
    const size = this.size;
    for (let i = 0; i < size; i++) {
      this.setFixed(6, i, i % 2 === 0);
      this.setFixed(i, 6, i % 2 === 0);
    }
    this.drawFinder(3, 3);
    this.drawFinder(size - 4, 3);
    this.drawFinder(3, size - 4);
    const centres = alignmentCentres(this.version);
    const last = centres.length - 1;
    for (const [i, cx] of centres.entries()) {
      for (const [j, cy] of centres.entries()) {
        // The three corners that hold finder patterns get no alignment pattern.
        if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
        for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) this.setFixed(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
    // Reserve the format areas now (real bits come after masking) and draw the version blocks.
    this.drawFormat('L', 0);
    this.drawVersion();
  }

  private drawFinder(cx: number, cy: number): void {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= this.size || y >= this.size) continue;
        const ring = Math.max(Math.abs(dx), Math.abs(dy));
        this.setFixed(x, y, ring !== 2 && ring !== 4);
      }
    }
  }

  drawFormat(level: ErrorCorrectionLevel, mask: number): void {
    const data = (FORMAT_LEVEL_BITS[level] << 3) | mask;
    let remainder = data;
    for (let i = 0; i < 10; i++) remainder = (remainder << 1) ^ ((remainder >>> 9) * FORMAT_GENERATOR);
    const bits = ((data << 10) | remainder) ^ FORMAT_XOR_MASK;
    const bit = (i: number) => ((bits >>> i) & 1) === 1;
    const size = this.size;
    // First copy, around the top-left finder.
    for (let i = 0; i <= 5; i++) this.setFixed(8, i, bit(i));
    this.setFixed(8, 7, bit(6));
    this.setFixed(8, 8, bit(7));
    this.setFixed(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.setFixed(14 - i, 8, bit(i));
    // Second copy, split between the other two finders.
    for (let i = 0; i < 8; i++) this.setFixed(size - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.setFixed(8, size - 15 + i, bit(i));
    this.setFixed(8, size - 8, true); // the module that is always dark
  }

  private drawVersion(): void {
    if (this.version < 7) return;
    let remainder = this.version;
    for (let i = 0; i < 12; i++) remainder = (remainder << 1) ^ ((remainder >>> 11) * VERSION_GENERATOR);
    const bits = (this.version << 12) | remainder;
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >>> i) & 1) === 1;
      const a = this.size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      this.setFixed(a, b, dark);
      this.setFixed(b, a, dark);
    }
  }

  /** Places codewords in the two-column zigzag from the bottom-right corner; leftover modules stay light. */
  placeCodewords(codewords: readonly number[]): void {
    const size = this.size;
    let bitIndex = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5; // the vertical timing column is skipped whole
      const upward = ((right + 1) & 2) === 0;
      for (let step = 0; step < size; step++) {
        const y = upward ? size - 1 - step : step;
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          if (this.fixed[y]![x] || bitIndex >= codewords.length * 8) continue;
          this.dark[y]![x] = ((codewords[bitIndex >>> 3]! >>> (7 - (bitIndex & 7))) & 1) === 1;
          bitIndex++;
        }
      }
    }
  }

  /** XORs a mask over the data modules; applying the same mask twice undoes it. */
  applyMask(mask: number): void {
    const invert = MASKS[mask]!;
    for (let y = 0; y < this.size; y++) for (let x = 0; x < this.size; x++) if (!this.fixed[y]![x] && invert(x, y)) this.dark[y]![x] = !this.dark[y]![x];
  }

  /** The standard penalty: long runs, 2×2 blocks, finder look-alikes and dark/light imbalance. Lower reads better. */
  penalty(): number {
    const size = this.size;
    const at = (x: number, y: number) => this.dark[y]![x]!;
    let score = 0;
    for (const transpose of [false, true]) {
      for (let a = 0; a < size; a++) {
        const line = Array.from({ length: size }, (_, b) => (transpose ? at(a, b) : at(b, a)));
        let run = 1;
        for (let b = 1; b <= size; b++) {
          if (b < size && line[b] === line[b - 1]) run++;
          else {
            if (run >= 5) score += 3 + (run - 5);
            run = 1;
          }
        }
        const pattern = line.map((d) => (d ? '1' : '0')).join('');
        for (const finderLike of ['10111010000', '00001011101']) {
          for (let i = pattern.indexOf(finderLike); i !== -1; i = pattern.indexOf(finderLike, i + 1)) score += 40;
        }
      }
    }
    let dark = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (at(x, y)) dark++;
        if (x + 1 < size && y + 1 < size && at(x, y) === at(x + 1, y) && at(x, y) === at(x, y + 1) && at(x, y) === at(x + 1, y + 1)) score += 3;
      }
    }
    const total = size * size;
    score += 10 * (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1);
    return score;
  }
}
