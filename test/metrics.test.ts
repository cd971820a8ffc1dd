import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, auroc, confusion, confusionMatrix, evaluate, f1, mcc, mccMatrix, precision, recall, softF1 } from '../lib/metrics.js';

/** P(class 1) → the [n, 2] probabilities evaluate takes. */
const binary = (p1: number[]) => p1.flatMap((p) => [1 - p, p]);

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('metrics on a hand-computed confusion matrix', () => {
  // y:    1 1 1 1 0 0 0 0 0 0
  // pred: 1 1 1 0 1 0 0 0 0 0   → tp 3, fn 1, fp 1, tn 5
  const y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
  const p = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0];
  const c = confusion(y, p);
  assert.deepEqual(c, { tn: 5, fp: 1, fn: 1, tp: 3 });
  near(precision(c), 0.75, 'precision');
  near(recall(c), 0.75, 'recall');
  near(f1(c), 0.75, 'f1');
  near(accuracy(c), 0.8, 'accuracy');
  near(mcc(c), (3 * 5 - 1 * 1) / Math.sqrt(4 * 4 * 6 * 6), 'mcc'); // 14/24
});

test('scikit-learn documented values', () => {
  // sklearn.metrics.roc_auc_score docs: y_true [0,0,1,1], scores [0.1,0.4,0.35,0.8] → 0.75
  near(auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75, 'auroc');
  // ties get half credit
  near(auroc([0, 1], [0.5, 0.5]), 0.5, 'auroc ties');
  assert.ok(Number.isNaN(auroc([1, 1], [0.2, 0.3])));
  // sklearn f1_score with zero_division: no predicted positives → 0
  near(f1(confusion([1, 0], [0, 0])), 0, 'f1 no positives');
  // matthews_corrcoef([+1,+1,+1,-1], [+1,-1,+1,+1]) = -0.333... (sklearn docs)
  near(mcc(confusion([1, 1, 1, 0], [1, 0, 1, 1])), -1 / 3, 'mcc docs');
});

test('soft F1 sums probabilities, and equals F1 for hard 0/1 probabilities', () => {
  near(softF1([1, 0, 1], [0.8, 0.4, 0.6]), (2 * 1.4) / (2 * 1.4 + 0.4 + 0.6), 'soft');
  near(softF1([1, 1, 0, 0], [1, 0, 1, 0]), f1(confusion([1, 1, 0, 0], [1, 0, 1, 0])), 'hard');
});

test('evaluate flags a model that predicts a single class', () => {
  const r = evaluate([0, 1, 1, 0], binary([0.9, 0.8, 0.7, 0.6]), 2);
  assert.equal(r.singleClassPrediction, 1);
  near(r.f1, 2 / 3, 'f1');
  assert.equal(evaluate([0, 1], binary([0.1, 0.2]), 2).singleClassPrediction, 0);
  assert.equal(evaluate([0, 1], binary([0.1, 0.9]), 2).singleClassPrediction, null);
  near(evaluate([0, 1], binary([0.1, 0.9]), 2).auroc, 1, 'perfect auroc');
});

test('more than two classes: macro-F1, per-class metrics and the confusion matrix (scikit-learn documented values)', () => {
  // sklearn.metrics.f1_score docs: y_true [0,1,2,0,1,2], y_pred [0,2,1,0,0,1] → macro 0.2666…, per class [0.8, 0, 0]
  const y = [0, 1, 2, 0, 1, 2];
  const pred = [0, 2, 1, 0, 0, 1];
  const probs = pred.flatMap((k) => [0, 1, 2].map((c) => (c === k ? 0.6 : 0.2)));
  const r = evaluate(y, probs, 3);
  assert.equal(r.average, 'macro');
  near(r.f1, 0.8 / 3, 'macro-F1');
  assert.deepEqual(r.perClass!.map((m) => Math.round(m.f1 * 1e12) / 1e12), [0.8, 0, 0]);
  assert.deepEqual(r.perClass!.map((m) => m.support), [2, 2, 2]);
  near(r.accuracy, 2 / 6, 'accuracy');
  assert.deepEqual(r.matrix, [[2, 0, 0], [1, 0, 1], [0, 2, 0]]);
  assert.deepEqual(confusionMatrix(y, pred, 3), r.matrix);
  near(r.mcc, 0, 'multi-class MCC of this matrix');
  assert.equal(r.singleClassPrediction, null);
  assert.equal(evaluate([0, 1, 2], [1, 0, 0, 1, 0, 0, 1, 0, 0], 3).singleClassPrediction, 0);
  assert.throws(() => evaluate([0, 1], [0.5, 0.5], 2), /2 probabilities for 2 labels × 2 classes/);
});

test('the multi-class MCC equals the binary one on two classes', () => {
  const y = [1, 1, 1, 0, 0, 1, 0, 0, 1, 0];
  const p = [1, 0, 1, 1, 0, 1, 0, 0, 0, 0];
  const c = confusion(y, p);
  near(mccMatrix(confusionMatrix(y, p, 2)), mcc(c), 'mcc');
  assert.deepEqual(evaluate(y, binary(p.map((v) => (v ? 0.9 : 0.1))), 2).matrix, [[c.tn, c.fp], [c.fn, c.tp]]);
});
