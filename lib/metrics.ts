/**
 * Binary classification metrics, class 1 positive (the paper reports F1 of class 1).
 *
 * All take true labels (0/1) and either predicted labels or probabilities of class 1.
 * Conventions follow scikit-learn: precision/recall/F1 are 0 when their denominator is 0; MCC is 0
 * when any marginal is empty; AUROC uses average ranks for ties and is NaN with a single class.
 */

export interface Confusion {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

export function confusion(labels: ArrayLike<number>, predicted: ArrayLike<number>): Confusion {
  if (labels.length !== predicted.length) throw new Error(`confusion: ${labels.length} labels but ${predicted.length} predictions`);
  const c: Confusion = { tn: 0, fp: 0, fn: 0, tp: 0 };
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i], p = predicted[i];
    if (y === 1) p === 1 ? c.tp++ : c.fn++;
    else p === 1 ? c.fp++ : c.tn++;
  }
  return c;
}

const safeDiv = (a: number, b: number): number => (b === 0 ? 0 : a / b);

export function precision(c: Confusion): number {
  return safeDiv(c.tp, c.tp + c.fp);
}
export function recall(c: Confusion): number {
  return safeDiv(c.tp, c.tp + c.fn);
}
export function f1(c: Confusion): number {
  return safeDiv(2 * c.tp, 2 * c.tp + c.fp + c.fn);
}
export function accuracy(c: Confusion): number {
  return safeDiv(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn);
}
/** Matthews correlation coefficient. */
export function mcc(c: Confusion): number {
  const den = Math.sqrt((c.tp + c.fp) * (c.tp + c.fn) * (c.tn + c.fp) * (c.tn + c.fn));
  return den === 0 ? 0 : (c.tp * c.tn - c.fp * c.fn) / den;
}

/** Area under the ROC curve (Mann–Whitney U with average ranks for ties). */
export function auroc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]] === 1) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * The "soft" F1 the genomic_benchmarks CNN notebooks reported: true and false positives summed from
 * probabilities instead of thresholded predictions. Kept for comparison with the paper's CNN numbers.
 */
export function softF1(labels: ArrayLike<number>, probs: ArrayLike<number>): number {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i], p = probs[i];
    tp += y * p;
    fp += (1 - y) * p;
    fn += y * (1 - p);
  }
  return safeDiv(2 * tp, 2 * tp + fp + fn);
}

export interface ClassificationReport {
  n: number;
  f1: number;
  accuracy: number;
  precision: number;
  recall: number;
  mcc: number;
  auroc: number;
  softF1: number;
  confusion: Confusion;
  /** Set when every prediction is the same class — a known failure mode of DNABERT fine-tuning. */
  singleClassPrediction: number | null;
}

/** All metrics from labels and probabilities of class 1, thresholded at 0.5. */
export function evaluate(labels: ArrayLike<number>, probs: ArrayLike<number>): ClassificationReport {
  const predicted = Array.from(probs, (p) => (p >= 0.5 ? 1 : 0));
  const c = confusion(labels, predicted);
  const single = c.tp + c.fp === 0 ? 0 : c.tn + c.fn === 0 ? 1 : null;
  return {
    n: labels.length,
    f1: f1(c),
    accuracy: accuracy(c),
    precision: precision(c),
    recall: recall(c),
    mcc: mcc(c),
    auroc: auroc(labels, probs),
    softF1: softF1(labels, probs),
    confusion: c,
    singleClassPrediction: labels.length ? single : null,
  };
}
