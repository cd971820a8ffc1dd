/**
 * What a masked-LM validation loss is read against, on the same validation masks:
 *
 * - **the neighbour-reading oracle**: overlapping k-mers share bases, so a masked token is partly spelled
 *   out by the unmasked tokens around it. For each masked token, the bases of its k-mer that no unmasked
 *   k-mer token covers are its *hidden* bases; a model that reads every neighbour and knows nothing else
 *   loses ln 4 per hidden base (uniform over what is hidden). An isolated DNABERT span of 6 tokens hides
 *   one base, so a span costs the oracle ln 4 ≈ 1.39 nats per token; merged spans hide more.
 * - **the k-mer frequency baseline**: the cross-entropy of the training windows' k-mer frequencies on the
 *   masked tokens: a model that knows only which k-mers are common.
 *
 * A model below the baseline has learned context; one near the oracle reads its neighbours. Masked accuracy
 * split by the number of hidden bases shows which of those a model does.
 */
import { isKmerId, MASK_ID } from '../models/tokenizer.js';

const LN4 = Math.log(4);

/** Hidden-base classes that the accuracy is split by: 0, 1, 2 and 3 or more. */
export const HIDDEN_CLASSES = ['0', '1', '2', '3+'] as const;

/**
 * For each masked position (flat b·L + t, ascending, as maskTokens returns them) of the original token rows
 * `ids` [B, L]: how many of its k bases no unmasked k-mer token of its row covers. Token t of a row covers
 * the bases t − 1 … t + k − 2 (after `[CLS]`); `[UNK]` and special tokens show no base.
 */
export function hiddenBases(ids: Int32Array, positions: Int32Array, B: number, L: number, k: number): Int32Array {
  const masked = new Uint8Array(B * L);
  for (const p of positions) masked[p] = 1;
  const bases = L + k; // base index of token t starts at t − 1 ≥ −1; shifted by 1
  const covered = new Uint8Array(bases);
  const out = new Int32Array(positions.length);
  let j = 0;
  for (let b = 0; b < B && j < positions.length; b++) {
    if (Math.floor(positions[j] / L) !== b) continue;
    covered.fill(0);
    for (let t = 0; t < L; t++) {
      if (masked[b * L + t] || !isKmerId(ids[b * L + t])) continue;
      for (let d = 0; d < k; d++) covered[t + d] = 1; // bases t − 1 + d, shifted by 1
    }
    for (; j < positions.length && Math.floor(positions[j] / L) === b; j++) {
      const t = positions[j] - b * L;
      let hidden = 0;
      for (let d = 0; d < k; d++) hidden += covered[t + d] ? 0 : 1;
      out[j] = hidden;
    }
  }
  return out;
}

/** The oracle's loss for a token with `hidden` hidden bases: ln 4 per base. */
export function oracleNats(hidden: number): number {
  return hidden * LN4;
}

/**
 * −log of each k-mer token's frequency over token rows (ids [n, L] as the tokenizer writes them), add-one
 * smoothed over the 4^k k-mers; special tokens get +∞ (never a target).
 */
export function kmerFrequencyNats(rows: Iterable<Int32Array>, vocabSize: number): Float64Array {
  const counts = new Float64Array(vocabSize);
  let total = 0;
  for (const ids of rows) {
    for (const id of ids) {
      if (!isKmerId(id)) continue;
      counts[id]++;
      total++;
    }
  }
  const kmers = vocabSize - MASK_ID - 1;
  const out = new Float64Array(vocabSize).fill(Infinity);
  for (let id = MASK_ID + 1; id < vocabSize; id++) out[id] = -Math.log((counts[id] + 1) / (total + kmers));
  return out;
}

/** Running sums for one validation: the model's and the references' losses, and accuracy by hidden bases. */
export class ReferenceTally {
  private oracle = 0;
  private frequency = 0;
  private count = 0;
  private readonly right = new Float64Array(HIDDEN_CLASSES.length);
  private readonly seen = new Float64Array(HIDDEN_CLASSES.length);

  constructor(private readonly frequencyNats: Float64Array) {}

  /** One batch: original `ids` [B, L], masked `positions`, their `targets`, and whether the model's top token was right (1/0). */
  add(ids: Int32Array, positions: Int32Array, targets: Int32Array, right: ArrayLike<number>, B: number, L: number, k: number): void {
    const hidden = hiddenBases(ids, positions, B, L, k);
    for (let j = 0; j < positions.length; j++) {
      this.oracle += oracleNats(hidden[j]);
      this.frequency += this.frequencyNats[targets[j]];
      const c = Math.min(hidden[j], HIDDEN_CLASSES.length - 1);
      this.seen[c]++;
      this.right[c] += right[j];
    }
    this.count += positions.length;
  }

  /** The metrics a validation point records beside its loss (absent classes are left out). */
  metrics(): Record<string, number> {
    const out: Record<string, number> = { oracleLoss: this.oracle / this.count, frequencyLoss: this.frequency / this.count };
    HIDDEN_CLASSES.forEach((name, c) => {
      if (!this.seen[c]) return;
      out[`maskedAccuracyHidden${name}`] = this.right[c] / this.seen[c];
      out[`maskedShareHidden${name}`] = this.seen[c] / this.count;
    });
    return out;
  }
}
