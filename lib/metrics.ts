/**
 * Classification metrics. Binary: class 1 positive (the paper reports F1 of class 1); the metrics take
 * true labels (0/1) and either predicted labels or probabilities of class 1. More classes (as
 * human_ensembl_regulatory's three): macro averages over one-vs-rest classes, per-class precision,
 * recall and F1, and the confusion matrix (`evaluate` with every class's probabilities).
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

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** True sequences of the class. */
  support: number;
}

export interface ClassificationReport {
  n: number;
  /** F1 of class 1; with more than two classes the macro-F1 (`average: 'macro'`). */
  f1: number;
  accuracy: number;
  /** Of class 1; macro averages with more classes. */
  precision: number;
  recall: number;
  /** Matthews correlation (its multi-class generalisation beyond two classes). */
  mcc: number;
  /** Of class 1 against the rest; the macro one-vs-rest AUROC beyond two classes. */
  auroc: number;
  softF1: number;
  /** Binary counts (class 1 positive); for more classes see `matrix`. */
  confusion: Confusion;
  /** Rows: true class, columns: predicted class. */
  matrix: number[][];
  /** Beyond two classes: how f1, precision, recall, auroc and softF1 average over classes. */
  average?: 'macro';
  /** Beyond two classes: each class's metrics, one-vs-rest. */
  perClass?: ClassMetrics[];
  /** Set when every prediction is the same class — a known failure mode of DNABERT fine-tuning. */
  singleClassPrediction: number | null;
}

/** A model whose test predictions fall more than this share in one class is degenerate (whichever class). */
export const DEGENERATE_SHARE = 0.95;

/**
 * The warning for a degenerate model, from its confusion matrix (rows true, columns predicted): the class
 * it predicts for more than DEGENERATE_SHARE of the test sequences, or null.
 */
export function degenerateWarning(matrix: readonly (readonly number[])[], classes: readonly string[]): string | null {
  const n = matrix.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
  if (!n) return null;
  const predicted = matrix[0].map((_, j) => matrix.reduce((a, row) => a + row[j], 0));
  const top = predicted.indexOf(Math.max(...predicted));
  const share = predicted[top] / n;
  if (share <= DEGENERATE_SHARE) return null;
  const how = share === 1 ? 'every test sequence' : `${(100 * share).toFixed(1)} % of the test sequences`;
  return `the model predicts class ${top} (${classes[top] ?? top}) for ${how} — a degenerate model, a known failure of DNABERT fine-tuning; its F1 is not meaningful`;
}

/** A degenerate-model warning as any version of the runner worded it (the first said "for every test sequence — a known failure"). */
export const DEGENERATE_WARNING = /^the model predicts class \d+ \(.*\) for (every test sequence|[\d.]+ % of the test sequences) — /;

/** The confusion matrix of class indices: rows true, columns predicted. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}

/** Matthews correlation of a C × C confusion matrix (Gorodkin's R_K; equals `mcc` for two classes). */
export function mccMatrix(m: number[][]): number {
  const C = m.length;
  const t = m.map((row) => row.reduce((a, b) => a + b, 0)); // true counts
  const p = m[0].map((_, j) => m.reduce((a, row) => a + row[j], 0)); // predicted counts
  const n = t.reduce((a, b) => a + b, 0);
  const c = m.reduce((a, row, i) => a + row[i], 0);
  const dot = (x: number[], y: number[]) => x.reduce((a, v, i) => a + v * y[i], 0);
  const den = Math.sqrt((n * n - dot(p, p)) * (n * n - dot(t, t)));
  return den === 0 || C < 2 ? 0 : (c * n - dot(t, p)) / den;
}

/**
 * All metrics from labels and probabilities, row-major [n, classes]. Binary: class 1 thresholded at
 * 0.5, as the paper; more classes: the most probable class, macro averages over classes.
 */
export function evaluate(labels: ArrayLike<number>, probs: ArrayLike<number>, classes: number): ClassificationReport {
  const n = labels.length;
  if (probs.length !== n * classes) throw new Error(`evaluate: ${probs.length} probabilities for ${n} labels × ${classes} classes`);
  const col = (k: number) => Float32Array.from({ length: n }, (_, i) => probs[i * classes + k]);
  if (classes === 2) {
    const p1 = col(1);
    const predicted = Array.from(p1, (p) => (p >= 0.5 ? 1 : 0));
    const c = confusion(labels, predicted);
    const single = c.tp + c.fp === 0 ? 0 : c.tn + c.fn === 0 ? 1 : null;
    return {
      n,
      f1: f1(c),
      accuracy: accuracy(c),
      precision: precision(c),
      recall: recall(c),
      mcc: mcc(c),
      auroc: auroc(labels, p1),
      softF1: softF1(labels, p1),
      confusion: c,
      matrix: [[c.tn, c.fp], [c.fn, c.tp]],
      singleClassPrediction: n ? single : null,
    };
  }
  const predicted = Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[i * classes + k] > probs[i * classes + best]) best = k;
    return best;
  });
  const matrix = confusionMatrix(labels, predicted, classes);
  const oneVsRest = (k: number) => Array.from(labels, (y) => (y === k ? 1 : 0));
  const perClass: ClassMetrics[] = [];
  let aucSum = 0, softSum = 0;
  for (let k = 0; k < classes; k++) {
    const y = oneVsRest(k);
    const c = confusion(y, predicted.map((p) => (p === k ? 1 : 0)));
    perClass.push({ precision: precision(c), recall: recall(c), f1: f1(c), support: c.tp + c.fn });
    aucSum += auroc(y, col(k));
    softSum += softF1(y, col(k));
  }
  const mean = (f: (m: ClassMetrics) => number) => perClass.reduce((a, m) => a + f(m), 0) / classes;
  const correct = matrix.reduce((a, row, i) => a + row[i], 0);
  const used = new Set(predicted);
  // class 1 against the rest, so that `confusion` keeps its meaning for readers of binary records
  const c1 = confusion(oneVsRest(1), predicted.map((p) => (p === 1 ? 1 : 0)));
  return {
    n,
    f1: mean((m) => m.f1),
    accuracy: n ? correct / n : 0,
    precision: mean((m) => m.precision),
    recall: mean((m) => m.recall),
    mcc: mccMatrix(matrix),
    auroc: aucSum / classes,
    softF1: softSum / classes,
    confusion: c1,
    matrix,
    average: 'macro',
    perClass,
    singleClassPrediction: n && used.size === 1 ? predicted[0] : null,
  };
}
