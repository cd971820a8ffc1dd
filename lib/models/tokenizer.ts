/**
 * DNABERT's k-mer tokenizer.
 *
 * Vocabulary: `[PAD] [UNK] [CLS] [SEP] [MASK]` (ids 0–4), then every k-mer in the order of Python's
 * `itertools.product('ATCG', repeat=k)` — A < T < C < G — so the id of a k-mer is
 * 5 + Σ dᵢ·4^(k−1−i) with A=0, T=1, C=2, G=3 (for k = 6, `ATGGAA` → 501). For k = 6 this is exactly
 * DNABERT's vocab.txt (4,101 lines).
 *
 * A sequence becomes `[CLS]` + its overlapping k-mers (stride 1) + `[SEP]`, truncated to keep the first
 * `maxLen − 2` k-mers and padded with `[PAD]`. A k-mer containing N (or any non-ACGT byte) is `[UNK]`.
 * Input bases are upper-cased first (the encoded sequences of lib/data already are).
 *
 * Attention mask: 1 for real tokens and 0 for padding (what BERT expects). The authors' training code
 * passed an all-ones mask, so the model attended to `[PAD]`; `attendToPadding: true` reproduces that.
 */

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const PAD_ID = 0, UNK_ID = 1, CLS_ID = 2, SEP_ID = 3, MASK_ID = 4;
const N_SPECIAL = SPECIAL_TOKENS.length;

/** Whether an id is a k-mer (not one of the special tokens, `[UNK]` included): what masking may hide and a k-mer covers. */
export function isKmerId(id: number): boolean {
  return id >= N_SPECIAL;
}
const KMER_ALPHABET = 'ATCG';

/** base byte → digit in the ATCG order, or -1. Lower-case accepted. */
const DIGIT = new Int8Array(256).fill(-1);
for (let i = 0; i < 4; i++) {
  DIGIT[KMER_ALPHABET.charCodeAt(i)] = i;
  DIGIT[KMER_ALPHABET.toLowerCase().charCodeAt(i)] = i;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 3 || k > 6) throw new Error(`k-mer size must be 3, 4, 5 or 6, got ${k}`);
}

/** The vocabulary for k, in id order. */
export function kmerVocab(k: number): string[] {
  checkK(k);
  const out: string[] = [...SPECIAL_TOKENS];
  const n = 4 ** k;
  for (let id = 0; id < n; id++) {
    let s = '';
    for (let p = k - 1; p >= 0; p--) s += KMER_ALPHABET[Math.floor(id / 4 ** p) % 4];
    out.push(s);
  }
  return out;
}

/** vocab.txt contents: one token per line, LF, trailing newline. */
export function vocabFileText(k: number): string {
  return kmerVocab(k).join('\n') + '\n';
}

/** Id of one k-mer string (`[UNK]` if it contains anything but ACGT). */
export function kmerId(kmer: string): number {
  checkK(kmer.length);
  let v = 0;
  for (let i = 0; i < kmer.length; i++) {
    const c = kmer.charCodeAt(i);
    const d = c < 256 ? DIGIT[c] : -1;
    if (d < 0) return UNK_ID;
    v = v * 4 + d;
  }
  return N_SPECIAL + v;
}

export interface TokenizerOptions {
  k: number;
  /** Total length including [CLS] and [SEP] (DNABERT: ≤ 512). */
  maxLen: number;
  /** Paper-faithful: attention mask all ones, so padding is attended to. Default false. */
  attendToPadding?: boolean;
}

export interface EncodedBatch {
  /** Row-major [n, maxLen] token ids. */
  ids: Int32Array;
  /** Row-major [n, maxLen] attention mask (1 = attend). */
  mask: Int32Array;
  n: number;
  maxLen: number;
  /** Number of real tokens per row (including [CLS] and [SEP]). */
  lengths: Int32Array;
}

/** A string's characters as bytes (char code & 0xff), as Node's latin1 encoding; no Node APIs. */
function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Write the tokens of one sequence into `ids`/`mask` at `offset`; returns the number of real tokens.
 * Rolling k-mer code: each base shifts 2 bits in; a run of valid bases shorter than k gives [UNK].
 */
function encodeInto(seq: Uint8Array | string, k: number, maxLen: number, ids: Int32Array, mask: Int32Array, offset: number, attendAll: boolean): number {
  const bytes = typeof seq === 'string' ? latin1Bytes(seq) : seq;
  const nKmers = Math.max(0, Math.min(bytes.length - k + 1, maxLen - 2));
  const kmask = (1 << (2 * k)) - 1;
  ids[offset] = CLS_ID;
  let code = 0;
  let valid = 0; // consecutive valid bases ending at the current position
  const lastBase = nKmers + k - 1; // bases needed for the kept k-mers
  for (let i = 0; i < lastBase; i++) {
    const d = DIGIT[bytes[i]];
    if (d < 0) {
      valid = 0;
      code = 0;
    } else {
      valid++;
      code = ((code << 2) | d) & kmask;
    }
    if (i >= k - 1) ids[offset + 1 + i - (k - 1)] = valid >= k ? N_SPECIAL + code : UNK_ID;
  }
  ids[offset + 1 + nKmers] = SEP_ID;
  const used = nKmers + 2;
  for (let j = used; j < maxLen; j++) ids[offset + j] = PAD_ID;
  for (let j = 0; j < maxLen; j++) mask[offset + j] = attendAll || j < used ? 1 : 0;
  return used;
}

/** Tokenize many sequences into flat id and mask arrays. */
export function tokenizeBatch(seqs: readonly (Uint8Array | string)[], opts: TokenizerOptions): EncodedBatch {
  checkK(opts.k);
  if (!Number.isInteger(opts.maxLen) || opts.maxLen < 3) throw new Error(`maxLen must be an integer ≥ 3, got ${opts.maxLen}`);
  const n = seqs.length;
  const ids = new Int32Array(n * opts.maxLen);
  const mask = new Int32Array(n * opts.maxLen);
  const lengths = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    lengths[r] = encodeInto(seqs[r], opts.k, opts.maxLen, ids, mask, r * opts.maxLen, opts.attendToPadding ?? false);
  }
  return { ids, mask, n, maxLen: opts.maxLen, lengths };
}

/** Tokenize one sequence into row `offset` of existing arrays (rows made on demand); returns the number of real tokens. */
export function tokenizeInto(seq: Uint8Array | string, opts: TokenizerOptions, ids: Int32Array, mask: Int32Array, offset: number): number {
  checkK(opts.k);
  return encodeInto(seq, opts.k, opts.maxLen, ids, mask, offset, opts.attendToPadding ?? false);
}

/** Tokens of one sequence as strings (for display). */
export function tokenize(seq: string, opts: TokenizerOptions): string[] {
  const b = tokenizeBatch([seq], opts);
  const vocab = kmerVocab(opts.k);
  return Array.from(b.ids.subarray(0, b.lengths[0]), (id) => vocab[id]);
}

/** The longest sequence in bp that `positions` token positions of k-mers take whole ([CLS] and [SEP] aside). */
export function kmerWindow(positions: number, k: number): number {
  return positions - 2 + k - 1;
}

/**
 * The authors' maxLen: the longest training sequence in bp (one token per base is an upper bound of
 * k-mers + 2 special tokens for k ≥ 3), capped at 512 positions.
 */
export function authorsMaxLen(trainSeqs: readonly { length: number }[], cap = 512): number {
  let longest = 0;
  for (const s of trainSeqs) if (s.length > longest) longest = s.length;
  return Math.min(longest, cap);
}
