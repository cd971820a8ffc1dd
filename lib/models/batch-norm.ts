/**
 * Batch normalisation's state and the running-statistics update every backend shares. A leaf module:
 * lib/models/ops.ts and the backends' fused ops (lib/torch/ops.ts) both import it, so neither imports the other.
 */
import * as tf from '@tensorflow/tfjs';

export interface BatchNormState {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

/** Fold a batch's mean and biased variance over `n` values into the running statistics (PyTorch's: unbiased variance). */
export function updateRunningStats(s: BatchNormState, mean: tf.Tensor, variance: tf.Tensor, n: number, momentum: number): void {
  tf.tidy(() => {
    s.runningMean.assign(tf.add(tf.mul(s.runningMean, 1 - momentum), tf.mul(mean, momentum)));
    s.runningVar.assign(tf.add(tf.mul(s.runningVar, 1 - momentum), tf.mul(variance, (momentum * n) / Math.max(n - 1, 1))));
  });
}
