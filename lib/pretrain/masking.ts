/**
 * DNABERT's masking for overlapping k-mers (its run_pretrain.py `mask_tokens`).
 *
 * Neighbouring 6-mers share 5 bases, so a masked token on its own is readable from its neighbours.
 * DNABERT therefore picks span centres with a small probability (0.025 for k = 6) and masks the k
 * consecutive tokens around each centre (offsets −2 … +3 for k = 6; `spanOffsets`), clipped to the
 * sequence's k-mers: about 15 % of the tokens in all. Of the masked tokens, 80 % become `[MASK]`, 10 % a
 * random token of the vocabulary, 10 % stay; the model predicts every masked token's original id.
 * `[CLS]`, `[SEP]` and `[PAD]` are never masked; neither is `[UNK]` (a k-mer with N: nothing to predict).
 *
 * Everything is drawn from a seeded generator, so a batch's masks repeat with its seed (and a resumed
 * run masks exactly as an uninterrupted one). Where no centre is drawn in a whole batch (possible for a
 * few short rows), one is drawn among its maskable tokens, so the loss is always defined; DNABERT's
 * code would produce an empty loss there.
 */
import { isKmerId, MASK_ID } from '../models/tokenizer.js';
import { seededRng } from '../random.js';

export interface MaskingOptions {
  k: number;
  /** Probability that a token is a span centre (DNABERT: 0.025 for k = 6, so ≈ 15 % of tokens are masked). */
  centreProbability: number;
  vocabSize: number;
}

export interface MaskedBatch {
  /** Input ids after masking, [B·L] row-major. */
  inputs: Int32Array;
  /** Flat indices (b·L + t) of the masked tokens, ascending. */
  positions: Int32Array;
  /** The original ids at `positions`: what the model must predict. */
  targets: Int32Array;
}

/** Offsets around a centre that a span covers besides the centre: k = 6 → −2, −1, +1, +2, +3 (DNABERT's MASK_LIST). */
export function spanOffsets(k: number): number[] {
  const before = Math.floor((k - 1) / 2);
  const out: number[] = [];
  for (let d = -before; d <= k - 1 - before; d++) if (d !== 0) out.push(d);
  return out;
}

/** The first and last maskable position of a row (DNABERT expands spans within them), or null. */
function maskableRange(ids: Int32Array, row: number, L: number): [number, number] | null {
  let first = -1, last = -1;
  for (let t = 0; t < L; t++) {
    if (!isKmerId(ids[row + t])) continue;
    if (first < 0) first = t;
    last = t;
  }
  return first < 0 ? null : [first, last];
}

/** Mask a batch of token rows `ids` [B, L] (as the tokenizer writes them) with the generator seeded by `seed`. */
export function maskTokens(ids: Int32Array, B: number, L: number, o: MaskingOptions, seed: number): MaskedBatch {
  if (ids.length !== B * L) throw new Error(`maskTokens: ${ids.length} ids for a ${B} × ${L} batch`);
  if (!(o.centreProbability > 0 && o.centreProbability < 1)) throw new Error(`centre probability must be in (0, 1), got ${o.centreProbability}`);
  const rng = seededRng(seed);
  const offsets = spanOffsets(o.k);
  const masked = new Uint8Array(B * L);
  const ranges = Array.from({ length: B }, (_, b) => maskableRange(ids, b * L, L));
  const span = (b: number, t: number) => {
    const [first, last] = ranges[b]!;
    masked[b * L + t] = 1;
    for (const d of offsets) {
      const u = t + d;
      if (u >= first && u <= last && isKmerId(ids[b * L + u])) masked[b * L + u] = 1;
    }
  };
  let centres = 0;
  for (let b = 0; b < B; b++) {
    const range = ranges[b];
    if (!range) continue;
    for (let t = range[0]; t <= range[1]; t++) {
      if (!isKmerId(ids[b * L + t]) || rng() >= o.centreProbability) continue;
      span(b, t);
      centres++;
    }
  }
  if (!centres) {
    const candidates: number[] = [];
    for (let i = 0; i < B * L; i++) if (isKmerId(ids[i])) candidates.push(i);
    if (candidates.length) {
      const i = candidates[Math.floor(rng() * candidates.length)];
      span(Math.floor(i / L), i % L);
    }
  }
  const inputs = Int32Array.from(ids);
  const positions: number[] = [];
  for (let i = 0; i < masked.length; i++) {
    if (!masked[i]) continue;
    positions.push(i);
    const r = rng();
    if (r < 0.8) inputs[i] = MASK_ID;
    else if (r < 0.9) inputs[i] = Math.floor(rng() * o.vocabSize);
  }
  const pos = Int32Array.from(positions);
  return { inputs, positions: pos, targets: Int32Array.from(pos, (i) => ids[i]) };
}
