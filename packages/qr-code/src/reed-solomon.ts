/** Reed–Solomon error correction over GF(2^8) with the QR field polynomial x^8+x^4+x^3+x^2+1. */

const FIELD_POLYNOMIAL = 0x11d;

function multiply(x: number, y: number): number {
  let product = 0;
  for (let i = 7; i >= 0; i--) {
    product = (product << 1) ^ ((product >>> 7) * FIELD_POLYNOMIAL);
    product ^= ((y >>> i) & 1) * x;
  }
  return product & 0xff;
}

/** The generator polynomial of the given degree, highest coefficient (always 1) left out. */
export function generatorPolynomial(degree: number): number[] {
  const coefficients = new Array<number>(degree).fill(0);
  coefficients[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      coefficients[j] = multiply(coefficients[j]!, root);
      if (j + 1 < degree) coefficients[j] = coefficients[j]! ^ coefficients[j + 1]!;
    }
    root = multiply(root, 0x02);
  }
  return coefficients;
}

/** The error-correction codewords for one block of data. */
export function errorCorrection(data: readonly number[], generator: readonly number[]): number[] {
  const remainder = new Array<number>(generator.length).fill(0);
  for (const byte of data) {
    const factor = byte ^ remainder.shift()!;
    remainder.push(0);
    for (const [i, coefficient] of generator.entries()) remainder[i] = remainder[i]! ^ multiply(coefficient, factor);
  }
  return remainder;
}
