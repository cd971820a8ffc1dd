/**
 * Train / validation / test splits. The official test split is never touched here: validation is
 * always carved from train, and a holdout is only made for data that arrives as one labelled file.
 */
import { permutation, seededRng, shuffleInPlace } from '../random.js';
import { size, subset, type Dataset, type LabelledSequences } from './dataset.js';

export interface ValidationSplit {
  train: LabelledSequences;
  valid: LabelledSequences;
  /** Recorded with results, e.g. "validation = last 20% of seeded shuffle of train (seed 1)". */
  description: string;
}

function checkFraction(f: number, what: string): void {
  if (!(f > 0 && f < 1)) throw new Error(`${what} must be strictly between 0 and 1, got ${f}`);
}

/** Seeded shuffle of the indices of each class separately. */
function byClass(s: LabelledSequences, seed: number): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < s.labels.length; i++) (groups[s.labels[i]] ??= []).push(i);
  const rng = seededRng(seed);
  return groups.map((g) => shuffleInPlace(g ?? [], rng) as number[]);
}

/** Split each class by `fraction`, rounding per class; returns [kept, held] index lists (sorted by position in the permuted order). */
function stratifiedIndices(s: LabelledSequences, fraction: number, seed: number): [number[], number[]] {
  const kept: number[] = [], held: number[] = [];
  for (const g of byClass(s, seed)) {
    const nHeld = Math.round(g.length * fraction);
    kept.push(...g.slice(0, g.length - nHeld));
    held.push(...g.slice(g.length - nHeld));
  }
  // Interleave deterministically so that classes are not in blocks.
  const order = permutation(s.labels.length, seed ^ 0x5bd1e995);
  const rank = new Int32Array(s.labels.length);
  order.forEach((v, i) => (rank[v] = i));
  kept.sort((a, b) => rank[a] - rank[b]);
  held.sort((a, b) => rank[a] - rank[b]);
  return [kept, held];
}

/**
 * Carve a validation set from train. Default, as the authors' training code did (`eval_dset_ratio`
 * 0.2): the last `fraction` of a seeded shuffle of the training set. With `stratified`, each class
 * contributes the same fraction.
 */
export function validationSplit(train: LabelledSequences, opts: { fraction?: number; seed: number; stratified?: boolean }): ValidationSplit {
  const fraction = opts.fraction ?? 0.2;
  checkFraction(fraction, 'validation fraction');
  const n = size(train);
  const pct = `${+(fraction * 100).toFixed(2)}%`;
  if (opts.stratified) {
    const [kept, held] = stratifiedIndices(train, fraction, opts.seed);
    return {
      train: subset(train, kept),
      valid: subset(train, held),
      description: `validation = stratified ${pct} of train (seed ${opts.seed})`,
    };
  }
  const perm = permutation(n, opts.seed);
  const nValid = Math.round(n * fraction);
  return {
    train: subset(train, perm.subarray(0, n - nValid)),
    valid: subset(train, perm.subarray(n - nValid)),
    description: `validation = last ${pct} of seeded shuffle of train (seed ${opts.seed})`,
  };
}

/**
 * A seeded, stratified train/test holdout for data that arrives as one labelled set (e.g. the
 * offline copy of an official test split). The description says so, and is recorded with results.
 */
export function stratifiedHoldout(
  all: LabelledSequences & Pick<Dataset, 'classes' | 'source' | 'sha256'>,
  opts: { testFraction: number; seed: number; name: string },
): Dataset {
  checkFraction(opts.testFraction, 'test fraction');
  const [kept, held] = stratifiedIndices(all, opts.testFraction, opts.seed);
  const pct = +(opts.testFraction * 100).toFixed(2);
  return {
    name: opts.name,
    classes: all.classes,
    train: subset(all, kept),
    test: subset(all, held),
    source: all.source,
    sha256: all.sha256,
    split: `seeded stratified holdout of ${all.source} (sha256 ${all.sha256.slice(0, 12)}…): ${100 - pct}% train / ${pct}% test (seed ${opts.seed}); not the official split`,
  };
}

/**
 * At most `max` records, drawn seeded and stratified (each class keeps its share); all of them when
 * `max` is null or not smaller than the set. Used by CPU-sized profiles; recorded with results.
 */
export function stratifiedSample(s: LabelledSequences, max: number | null, seed: number): LabelledSequences {
  const n = size(s);
  if (max === null || max >= n) return s;
  const [, held] = stratifiedIndices(s, max / n, seed);
  return subset(s, held);
}
