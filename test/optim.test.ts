import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { AdamW, clipByGlobalNorm, linearWarmupDecay, scheduledLr, stepIndependent } from '../lib/training/optim.js';
import { decaysWeight } from '../lib/models/adapters.js';

before(async () => {
  await tf.setBackend('cpu');
});

const ref = JSON.parse(readFileSync(new URL('./fixtures/optim_reference.json', import.meta.url), 'utf8')) as {
  start: { w: number[]; b: number[] };
  grads: { w: number[]; b: number[] }[];
  lrs: number[];
  end: { w: number[]; b: number[] };
};

test('schedules that ignore the last step: constant and inverse square root (HF get_inverse_sqrt_schedule, timescale = warmup)', () => {
  // [schedule, step, expected] for peak 2e-3, warmup 100, total 1000 (and 5000: the same but for linear-decay)
  const table: [Parameters<typeof scheduledLr>[0], number, number][] = [
    ['constant', 0, 0], ['constant', 50, 1e-3], ['constant', 100, 2e-3], ['constant', 4800, 2e-3],
    ['inverse-sqrt', 50, 1e-3], ['inverse-sqrt', 100, 2e-3], ['inverse-sqrt', 400, 1e-3], ['inverse-sqrt', 10_000, 2e-4],
    ['linear-decay', 100, 2e-3], ['linear-decay', 550, 1e-3], ['linear-decay', 1000, 0],
  ];
  for (const [schedule, step, lr] of table) assert.ok(Math.abs(scheduledLr(schedule, step, 2e-3, 100, 1000) - lr) < 1e-15, `${schedule} at ${step}`);
  for (const step of [0, 99, 100, 777, 4800]) {
    assert.equal(scheduledLr('inverse-sqrt', step, 2e-3, 100, 1000), scheduledLr('inverse-sqrt', step, 2e-3, 100, 5000));
    assert.equal(scheduledLr('constant', step, 2e-3, 100, 1000), scheduledLr('constant', step, 2e-3, 100, 5000));
  }
  assert.deepEqual([stepIndependent('linear-decay'), stepIndependent('constant'), stepIndependent('inverse-sqrt')], [false, true, true]);
});

test('linear warmup then linear decay at known steps', () => {
  const table: [number, number][] = [
    [0, 0],
    [2500, 1e-4],
    [5000, 2e-4],
    [7500, 2e-4 * (15000 - 7500) / 10000],
    [15000, 0],
    [20000, 0],
  ];
  for (const [step, lr] of table) assert.ok(Math.abs(linearWarmupDecay(step, 2e-4, 5000, 15000) - lr) < 1e-15, `step ${step}`);
  ref.lrs.forEach((lr, step) => assert.ok(Math.abs(linearWarmupDecay(step, 2e-4, 2, 5) - lr) < 1e-15, `torch lr at ${step}`));
});

test('weight decay exclusions: biases and LayerNorm / BatchNorm parameters', () => {
  const table: [string, boolean][] = [
    ['bert.encoder.layer.0.attention.self.query.weight', true],
    ['bert.encoder.layer.0.attention.self.query.bias', false],
    ['bert.embeddings.LayerNorm.weight', false],
    ['bert.encoder.layer.3.output.LayerNorm.bias', false],
    ['bert.embeddings.word_embeddings.weight', true],
    ['classifier.weight', true],
    ['classifier.bias', false],
    ['conv1.weight', true],
    ['norm2.weight', false],
    ['lin1.bias', false],
  ];
  for (const [name, decays] of table) assert.equal(decaysWeight(name), decays, name);
});

test('AdamW with clipping and the schedule matches torch.optim.AdamW over four steps', async () => {
  const w = tf.variable(tf.tensor2d(ref.start.w, [3, 4]));
  const b = tf.variable(tf.tensor1d(ref.start.b));
  const opt = new AdamW([w, b], [true, false], { weightDecay: 0.01 });
  ref.grads.forEach((g, step) => {
    const { grads } = clipByGlobalNorm([tf.tensor2d(g.w, [3, 4]), tf.tensor1d(g.b)], 1.0);
    opt.apply(grads, linearWarmupDecay(step, 2e-4, 2, 5));
  });
  const err = (a: ArrayLike<number>, r: number[]) => Math.max(...r.map((x, i) => Math.abs(x - a[i])));
  assert.ok(err(await w.data(), ref.end.w) < 1e-6, `w ${err(await w.data(), ref.end.w)}`);
  assert.ok(err(await b.data(), ref.end.b) < 1e-6, `b ${err(await b.data(), ref.end.b)}`);
  const state = await opt.getState();
  const opt2 = new AdamW([w, b], [true, false], { weightDecay: 0.01 });
  opt2.setState(state);
  assert.equal(opt2.step, 4);
});

test('global-norm clipping leaves small gradients alone and scales large ones to the norm', async () => {
  const small = clipByGlobalNorm([tf.tensor1d([0.3, 0.4])], 1);
  assert.ok(Math.abs(small.norm - 0.5) < 1e-6);
  assert.deepEqual(Array.from(await small.grads[0].data()).map((x) => +x.toFixed(6)), [0.3, 0.4]);
  const big = clipByGlobalNorm([tf.tensor1d([3]), tf.tensor1d([4])], 1);
  assert.ok(Math.abs(big.norm - 5) < 1e-6);
  assert.ok(Math.abs((await big.grads[0].data())[0] - 0.6) < 1e-5);
});
