import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { embedding, gelu, layerNorm, linear, maskedSoftmax, softmaxCrossEntropy } from '../lib/models/ops.js';

before(async () => {
  await tf.setBackend('cpu');
});

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('exact GELU on known values', async () => {
  const x = tf.tensor1d([-3, -1, 0, 0.5, 1, 2]);
  // x·Φ(x), Φ the standard normal CDF
  close(await gelu(x).data(), [-0.0040496965, -0.15865525, 0, 0.34573123, 0.84134475, 1.9544997], 1e-6, 'gelu');
});

test('layer norm: zero mean, unit variance, then scale and shift', async () => {
  const x = tf.tensor2d([[1, 2, 3, 4], [2, 2, 2, 6]]);
  const y = layerNorm(x, tf.tensor1d([1, 1, 2, 2]), tf.tensor1d([0, 0, 0, 1]), 1e-12);
  const s = Math.sqrt(1.25);
  close(await y.data(), [-1.5 / s, -0.5 / s, 1 / s, 3 / s + 1, -1 / Math.sqrt(3), -1 / Math.sqrt(3), -2 / Math.sqrt(3), 6 / Math.sqrt(3) + 1], 1e-5, 'ln');
});

test('linear keeps leading dimensions; masked softmax ignores masked keys', async () => {
  const x = tf.ones([2, 3, 4]);
  const y = linear(x, tf.ones([4, 5]) as tf.Tensor2D, tf.range(0, 5) as tf.Tensor1D);
  assert.deepEqual(y.shape, [2, 3, 5]);
  close((await y.data()).slice(0, 5), [4, 5, 6, 7, 8], 0, 'linear');
  const p = maskedSoftmax(tf.tensor2d([[1, 2, 3]]), 1, tf.tensor2d([[0, 0, -3.4e38]]));
  close(await p.data(), [1 / (1 + Math.E), Math.E / (1 + Math.E), 0], 1e-6, 'softmax');
});

test('embedding and its scatter-add gradient match tf.gather, repeated ids included', async () => {
  const table = tf.randomNormal([7, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
  const ids = tf.tensor2d([[1, 4, 1], [6, 1, 0]], undefined, 'int32');
  const dy = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 2);
  close(await embedding(ids, table).data(), await tf.gather(table, ids).data(), 0, 'value');
  const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embedding(ids, t as tf.Tensor2D), dy)))(table);
  const ref = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), dy)))(table);
  close(await ours.data(), await ref.data(), 1e-6, 'grad');
});

test('softmax cross-entropy against a hand computation', async () => {
  const loss = softmaxCrossEntropy(tf.tensor2d([[0, 0], [2, 0]]), tf.tensor1d([0, 1], 'int32'));
  const want = (Math.log(2) + (2 + Math.log(1 + Math.exp(-2)))) / 2;
  close(await loss.data(), [want], 1e-6, 'ce');
});
