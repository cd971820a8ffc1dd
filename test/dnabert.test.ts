import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BertClassifier, DNABERT6_CONFIG, bertConfig, paramSpecs } from '../lib/models/dnabert.js';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from '../lib/checkpoint/hf.js';
import { parseSafetensors, serializeSafetensors } from '../lib/checkpoint/safetensors.js';
import { tokenizeBatch } from '../lib/models/tokenizer.js';
import { encodeDna } from '../lib/data/dna.js';
import { assertGradsMatch, tempDir, nativeSkip, torchSkip } from './helpers.js';
import { selectBackend } from '../lib/backend.js';

const FIX = new URL('./fixtures/bert/', import.meta.url).pathname;
interface Reference {
  sequences: string[];
  max_len: number;
  input_ids: number[][];
  attention_mask: number[][];
  labels: number[];
  last_hidden_state: number[];
  last_hidden_shape: number[];
  pooled: number[];
  logits: number[][];
  logits_attend_padding: number[][];
  loss: number;
}
const ref = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as Reference;

before(async () => {
  await tf.setBackend('cpu');
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function inputs(attendToPadding = false) {
  const enc = tokenizeBatch(ref.sequences.map((s, i) => encodeDna(s, `ref ${i}`)), { k: 6, maxLen: ref.max_len, attendToPadding });
  return {
    ids: tf.tensor2d(enc.ids, [enc.n, enc.maxLen], 'int32'),
    mask: tf.tensor2d(enc.mask, [enc.n, enc.maxLen], 'int32'),
    enc,
  };
}

async function checkForward(model: BertClassifier, label: string) {
  const { ids, mask } = inputs();
  const out = model.forward(ids, mask);
  assert.deepEqual(out.lastHidden.shape, ref.last_hidden_shape);
  const e1 = maxAbsDiff(await out.lastHidden.data(), ref.last_hidden_state);
  const e2 = maxAbsDiff(await out.pooled.data(), ref.pooled);
  const e3 = maxAbsDiff(await out.logits.data(), ref.logits.flat());
  assert.ok(e1 <= 1e-4 && e2 <= 1e-4 && e3 <= 1e-4, `${label}: hidden ${e1}, pooled ${e2}, logits ${e3}`);
  const all = inputs(true);
  const e4 = maxAbsDiff(await model.forward(all.ids, all.mask).logits.data(), ref.logits_attend_padding.flat());
  assert.ok(e4 <= 1e-4, `${label}: attend-to-padding logits ${e4}`);
}

test('our tokenizer gives the token ids the PyTorch reference computed independently', () => {
  const { enc } = inputs();
  assert.deepEqual(Array.from(enc.ids), ref.input_ids.flat());
  assert.deepEqual(Array.from(enc.mask), ref.attention_mask.flat());
  assert.ok(ref.attention_mask.flat().includes(0), 'the reference batch has padding');
});

// the torch addon loads first: see lib/torch/addon.ts on one OpenBLAS per process
const skipTorch = await torchSkip();
const skipNative = await nativeSkip();
for (const backend of ['cpu', 'wasm', 'native', 'torch'] as const) {
  const opts = { skip: backend === 'native' ? skipNative : backend === 'torch' ? skipTorch : false };
  test(`[${backend}] parity with PyTorch: safetensors checkpoint, hidden states, pooled output and logits ≤ 1e-4`, opts, async () => {
    await selectBackend({ requested: backend });
    const { model, report } = await loadCheckpoint(join(FIX, 'tiny'));
    assert.match(report.weightsFile, /model\.safetensors$/);
    assert.deepEqual(report.freshlyInitialised, []);
    await checkForward(model, 'safetensors');
    model.dispose();
  });


  test(`[${backend}] parity with PyTorch: loss and the gradient of every parameter (relative error ≤ 1e-3)`, opts, async () => {
    await selectBackend({ requested: backend });
    const { model } = await loadCheckpoint(join(FIX, 'tiny'));
    const { ids, mask } = inputs();
    const labels = tf.tensor1d(ref.labels, 'int32');
    const { value, grads } = tf.variableGrads(() => model.loss(ids, mask, labels));
    assert.ok(Math.abs((await value.data())[0] - ref.loss) <= 1e-5, `loss ${(await value.data())[0]} vs ${ref.loss}`);
    const worst = await assertGradsMatch(grads, model.params, paramSpecs(model.config), join(FIX, 'grads.safetensors'));
    assert.ok(worst <= 1e-3, `worst relative gradient error ${worst}`);
    model.dispose();
    await selectBackend({ requested: 'cpu' });
  });
}

test('parity with PyTorch: torch.save zip checkpoint', async () => {
  const t = tempDir();
  try {
    for (const f of ['config.json', 'vocab.txt', 'pytorch_model.bin']) copyFileSync(join(FIX, 'tiny', f), join(t.path, f));
    const { model, report } = await loadCheckpoint(t.path);
    assert.match(report.weightsFile, /pytorch_model\.bin$/);
    assert.deepEqual(report.ignored, ['bert.embeddings.position_ids']);
    await checkForward(model, 'pytorch_model.bin');
    model.dispose();
  } finally {
    t.cleanup();
  }
});

test('a pretraining checkpoint: MLM head and buffers ignored, old LayerNorm names mapped, classifier fresh', async () => {
  const { model, report } = await loadCheckpoint(join(FIX, 'mlm'), { seed: 3 });
  assert.deepEqual(report.freshlyInitialised.sort(), ['classifier.bias', 'classifier.weight']);
  assert.ok(report.ignored.includes('cls.predictions.decoder.weight'));
  assert.ok(report.ignored.includes('bert.embeddings.position_ids'));
  const { ids, mask } = inputs();
  const out = model.forward(ids, mask);
  assert.ok(maxAbsDiff(await out.lastHidden.data(), ref.last_hidden_state) <= 1e-4);
  assert.ok(maxAbsDiff(await model.params.get('classifier.bias')!.data(), [0, 0]) === 0);
  model.dispose();
});

test('missing, unexpected and mis-shaped keys are listed in one error', async () => {
  const t = tempDir();
  try {
    for (const f of ['config.json', 'vocab.txt']) copyFileSync(join(FIX, 'tiny', f), join(t.path, f));
    const w = parseSafetensors(readFileSync(join(FIX, 'tiny', 'model.safetensors')));
    const tensors = new Map([...w].map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }]));
    tensors.delete('bert.encoder.layer.1.output.dense.bias'); // (a missing pooler or classifier is initialised fresh, as from_pretrained does)
    tensors.set('bert.encoder.layer.9.extra.weight', { shape: [2], data: new Float32Array(2) });
    tensors.set('bert.pooler.dense.weight', { shape: [16, 32], data: new Float32Array(512) });
    writeFileSync(join(t.path, 'model.safetensors'), serializeSafetensors(tensors));
    await assert.rejects(loadCheckpoint(t.path), (e: unknown) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(e.message, /missing keys: bert\.encoder\.layer\.1\.output\.dense\.bias/);
      assert.match(e.message, /unexpected keys: bert\.encoder\.layer\.9\.extra\.weight/);
      assert.match(e.message, /wrong shapes: bert\.pooler\.dense\.weight: \[16,32\], expected \[32,32\]/);
      return true;
    });
    writeFileSync(join(t.path, 'vocab.txt'), 'x\n');
    await assert.rejects(loadCheckpoint(t.path), /not a DNABERT k-mer vocabulary/);
    const empty = join(t.path, 'empty');
    mkdirSync(empty);
    await assert.rejects(loadCheckpoint(empty), /missing config\.json/);
  } finally {
    t.cleanup();
  }
});

test('a saved model round-trips with HF names and PyTorch layouts', async () => {
  const { model } = await loadCheckpoint(join(FIX, 'tiny'));
  const t = tempDir();
  try {
    const dir = join(t.path, 'saved');
    await saveCheckpoint(model, dir);
    const st = parseSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const orig = parseSafetensors(readFileSync(join(FIX, 'tiny', 'model.safetensors')));
    assert.deepEqual([...st.keys()].sort(), [...orig.keys()].sort());
    for (const [k, v] of orig) {
      assert.deepEqual(st.get(k)!.shape, v.shape, k);
      assert.equal(maxAbsDiff(st.get(k)!.data as Float32Array, v.data as Float32Array), 0, k);
    }
    const again = await loadCheckpoint(dir);
    await checkForward(again.model, 'round trip');
    again.model.dispose();
  } finally {
    t.cleanup();
    model.dispose();
  }
});

test('random initialisation follows HF BERT and repeats with the seed', async () => {
  const config = bertConfig({ hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 128 });
  const a = BertClassifier.random(config, 5);
  const b = BertClassifier.random(config, 5);
  const c = BertClassifier.random(config, 6);
  const w = (await a.params.get('bert.encoder.layer.0.intermediate.dense.weight')!.data()) as Float32Array;
  const mean = w.reduce((s, x) => s + x, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, x) => s + (x - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 0.002 && Math.abs(std - 0.02) < 0.001, `mean ${mean} std ${std}`);
  assert.deepEqual(Array.from(await a.params.get('bert.embeddings.LayerNorm.weight')!.data()), new Array(64).fill(1));
  assert.deepEqual(Array.from(await a.params.get('classifier.bias')!.data()), [0, 0]);
  const word = await a.params.get('bert.embeddings.word_embeddings.weight')!.data();
  assert.deepEqual(Array.from(word.subarray(0, 64)), new Array(64).fill(0), 'padding row is zero');
  assert.equal(maxAbsDiff(w, await b.params.get('bert.encoder.layer.0.intermediate.dense.weight')!.data()), 0);
  assert.ok(maxAbsDiff(w, await c.params.get('bert.encoder.layer.0.intermediate.dense.weight')!.data()) > 0);
  for (const m of [a, b, c]) m.dispose();
});

test('config: DNABERT-6 defaults, unknown keys and unsupported activations rejected', () => {
  assert.equal(bertConfig({}).vocab_size, DNABERT6_CONFIG.vocab_size);
  assert.throws(() => bertConfig({ hidden_sise: 3 }, 'c.json'), /c\.json: unknown BERT config key 'hidden_sise'/);
  assert.throws(() => bertConfig({ hidden_act: 'relu' }), /only exact-erf 'gelu'/);
  assert.throws(() => bertConfig({ hidden_size: 100, num_attention_heads: 12 }), /not a multiple/);
  const hf = { ignored: [] as string[] };
  assert.equal(bertConfig({ hidden_size: 64, num_attention_heads: 2, num_beams: 1, architectures: ['BertForMaskedLM'] }, 'config.json', hf).hidden_size, 64);
  assert.deepEqual(hf.ignored, ['num_beams', 'architectures']);
  assert.throws(() => bertConfig({ position_embedding_type: 'relative_key' }, 'config.json', hf), /only 'absolute'/);
});

test('dropout is active in training mode and reproducible with the step seed', async () => {
  const { model } = await loadCheckpoint(join(FIX, 'tiny'));
  const { ids, mask } = inputs();
  const a = await model.forward(ids, mask, { training: true, seed: 1 }).logits.data();
  const b = await model.forward(ids, mask, { training: true, seed: 1 }).logits.data();
  const c = await model.forward(ids, mask, { training: true, seed: 2 }).logits.data();
  assert.equal(maxAbsDiff(a, b), 0);
  assert.ok(maxAbsDiff(a, c) > 0);
  assert.ok(maxAbsDiff(a, ref.logits.flat()) > 0);
  model.dispose();
});
