import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { nativeSkip, torchSkip } from './helpers.js';
import { CnnClassifier, cnnConfig, cnnInputLength, cnnParamDefs, cnnTokenize, flattenSize, toTorchLayout } from '../lib/models/cnn.js';
import { parseSafetensors } from '../lib/checkpoint/safetensors.js';
import { encodeDna } from '../lib/data/dna.js';
import { selectBackend } from '../lib/backend.js';

const FIX = new URL('./fixtures/cnn/', import.meta.url).pathname;
const ref = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as {
  input_len: number;
  sequences: string[];
  input_ids: number[][];
  labels: number[];
  eval_logits: number[];
  train_logits: number[];
  loss: number;
  loss_double_sigmoid: number;
  running_after_step: Record<string, number[]>;
  flatten_size: number;
};
const weights = parseSafetensors(readFileSync(join(FIX, 'cnn.safetensors')));
const torchWeights = new Map([...weights].map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }]));

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

after(async () => {
  await selectBackend({ requested: 'cpu' });
});

test('input length, flatten size and letter tokenization follow the package', () => {
  assert.equal(cnnInputLength(251, false), 253);
  assert.equal(cnnInputLength(573, true), 576);
  assert.equal(flattenSize(cnnConfig(ref.input_len)), ref.flatten_size);
  const ids = cnnTokenize(ref.sequences.map((s, i) => encodeDna(s, `seq ${i}`)), ref.input_len);
  assert.deepEqual(Array.from(ids), ref.input_ids.flat());
  assert.deepEqual(Array.from(cnnTokenize([encodeDna('acg', 'x')], 7)), [1, 3, 4, 5, 2, 8, 8]);
  assert.deepEqual(Array.from(cnnTokenize([encodeDna('ACGTACGT', 'x')], 5)), [1, 3, 4, 5, 6], 'longer inputs are truncated');
  assert.throws(() => flattenSize(cnnConfig(20)), /too short/);
});

// the torch addon loads first: see lib/torch/addon.ts on one OpenBLAS per process
const skipTorch = await torchSkip();
const skipNative = await nativeSkip();
for (const backend of ['cpu', 'wasm', 'native', 'torch'] as const) {
  const opts = { skip: backend === 'native' ? skipNative : backend === 'torch' ? skipTorch : false };
  test(`[${backend}] CNN parity with PyTorch: eval logits, training loss, BatchNorm running statistics, gradients`, opts, async () => {
    await selectBackend({ requested: backend });
    const model = CnnClassifier.fromTorch(cnnConfig(ref.input_len), torchWeights);
    const ids = tf.tensor2d(ref.input_ids.flat(), [ref.input_ids.length, ref.input_len], 'int32');
    const labels = tf.tensor1d(ref.labels);
    const evalErr = maxAbs(await model.forward(ids).data(), ref.eval_logits);
    assert.ok(evalErr <= 1e-4, `eval logits error ${evalErr}`);

    const paper = model.loss(ids, labels, { training: false, loss: 'double-sigmoid' });
    assert.ok(Number.isFinite((await paper.data())[0]));

    const { value, grads } = tf.variableGrads(() => model.loss(ids, labels, { training: true }), model.trainable());
    assert.ok(Math.abs((await value.data())[0] - ref.loss) <= 1e-5, `loss ${(await value.data())[0]} vs ${ref.loss}`);
    for (const [name, want] of Object.entries(ref.running_after_step)) {
      const err = maxAbs(await model.params.get(name)!.data(), want);
      assert.ok(err <= 1e-4, `${name} error ${err}`);
    }
    const refGrads = parseSafetensors(readFileSync(join(FIX, 'grads.safetensors')));
    const byVar = new Map([...model.params].map(([n, v]) => [v.name, n]));
    const defs = new Map(cnnParamDefs(model.config).map((d) => [d.name, d]));
    let checked = 0;
    for (const [varName, g] of Object.entries(grads)) {
      const name = byVar.get(varName)!;
      const r = refGrads.get(name)!.data as Float32Array;
      const ours = await toTorchLayout(defs.get(name)!, g).data();
      const scale = maxAbs(r, new Float32Array(r.length));
      const err = maxAbs(ours, r);
      assert.ok(err <= 1e-3 * scale + 1e-7, `${name}: gradient error ${err} at scale ${scale}`);
      checked++;
    }
    assert.equal(checked, refGrads.size);
    model.dispose();
  });
}

test('the double-sigmoid loss of the package matches PyTorch', async () => {
  await selectBackend({ requested: 'cpu' });
  const model = CnnClassifier.fromTorch(cnnConfig(ref.input_len), torchWeights);
  const ids = tf.tensor2d(ref.input_ids.flat(), [ref.input_ids.length, ref.input_len], 'int32');
  const loss = await model.loss(ids, tf.tensor1d(ref.labels), { training: true, loss: 'double-sigmoid' }).data();
  assert.ok(Math.abs(loss[0] - ref.loss_double_sigmoid) <= 1e-5, `${loss[0]} vs ${ref.loss_double_sigmoid}`);
  model.dispose();
});

test('random initialisation: PyTorch defaults, reproducible with the seed, running statistics not trainable', async () => {
  await selectBackend({ requested: 'cpu' });
  const a = CnnClassifier.random(cnnConfig(253), 1);
  const b = CnnClassifier.random(cnnConfig(253), 1);
  const w = await a.params.get('conv1.weight')!.data();
  const bound = 1 / Math.sqrt(800);
  assert.ok(w.every((x) => Math.abs(x) <= bound));
  assert.equal(maxAbs(w, await b.params.get('conv1.weight')!.data()), 0);
  assert.equal(a.params.get('norm1.running_mean')!.trainable, false);
  assert.equal(a.trainable().length, cnnParamDefs(a.config).length - 6);
  assert.equal(a.size(), 9 * 100 + (800 * 16 + 16) + (128 * 8 + 8) + (64 * 4 + 4) + 2 * (16 + 8 + 4) + (100 * 512 + 512) + 513);
  a.dispose();
  b.dispose();
});
