/**
 * DNA sequences as compact byte arrays (one upper-case ASCII byte per base), validation against
 * the ACGTN alphabet, reverse complement and simple composition measures.
 */

/** The alphabet every loaded sequence must use (after upper-casing). */
export const ALPHABET = 'ACGTN';

const A = 65, C = 67, G = 71, T = 84, N = 78;

/** byte → upper-case base, or 0 for anything outside ACGTN (either case). */
const NORMALISE = new Uint8Array(256);
for (const ch of ALPHABET) {
  NORMALISE[ch.charCodeAt(0)] = ch.charCodeAt(0);
  NORMALISE[ch.toLowerCase().charCodeAt(0)] = ch.charCodeAt(0);
}

const COMPLEMENT = new Uint8Array(256);
COMPLEMENT[A] = T; COMPLEMENT[T] = A; COMPLEMENT[C] = G; COMPLEMENT[G] = C; COMPLEMENT[N] = N;

export class SequenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SequenceError';
  }
}

/**
 * Encode a DNA string: upper-case, check the alphabet, return one byte per base.
 * `where` names the record for error messages (e.g. "data.tsv line 12").
 */
export function encodeDna(seq: string, where: string): Uint8Array {
  const n = seq.length;
  if (n === 0) throw new SequenceError(`${where}: empty sequence. Remove the record or fix the file.`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const code = seq.charCodeAt(i);
    const b = code < 256 ? NORMALISE[code] : 0;
    if (b === 0) {
      throw new SequenceError(
        `${where}: invalid character ${JSON.stringify(seq[i])} at position ${i + 1}; sequences must use ${ALPHABET} ` +
          `(upper or lower case). Replace ambiguous IUPAC codes with N.`,
      );
    }
    out[i] = b;
  }
  return out;
}

export function decodeDna(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/** Reverse complement of an encoded sequence (A↔T, C↔G, N↔N). */
export function reverseComplement(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = COMPLEMENT[bytes[n - 1 - i]];
    if (c === 0) throw new SequenceError(`reverseComplement: byte ${bytes[n - 1 - i]} is not an ACGTN base`);
    out[i] = c;
  }
  return out;
}

export interface Composition {
  length: number;
  gc: number;
  n: number;
}

/** Counts of G/C and N bases. */
export function composition(bytes: Uint8Array): Composition {
  let gc = 0, n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === G || b === C) gc++;
    else if (b === N) n++;
  }
  return { length: bytes.length, gc, n };
}

/** GC fraction over the called (non-N) bases; NaN for an all-N sequence. */
export function gcFraction(bytes: Uint8Array): number {
  const c = composition(bytes);
  return c.gc / (c.length - c.n);
}
