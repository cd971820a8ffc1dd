/**
 * The masked-language-model head against PyTorch `BertForMaskedLM` (test/fixtures/bert/make_mlm_fixtures.py):
 * logits at the masked positions and the loss ≤ 1e-4, every gradient ≤ 1e-3 relative — the word
 * embeddings' gradient includes the tied decoder's share — on every backend; checkpoints round-trip in
 * both directions (our MLM checkpoint loads as a classifier with a fresh pooler and classifier; the
 * classifier's encoder loads into an MLM with a fresh head).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BertMaskedLM, mlmSpecs } from '../../lib/models/dnabert.js';
import { loadCheckpoint, loadMaskedLM, saveCheckpoint } from '../../lib/checkpoint/hf.js';
import { parseSafetensors } from '../../lib/checkpoint/safetensors.js';
import { selectBackend } from '../../lib/backend.js';
import { assertGradsMatch, nativeSkip, tempDir } from '../helpers.js';

const FIX = new URL('../fixtures/bert/', import.meta.url).pathname;
const ref = JSON.parse(readFileSync(join(FIX, 'mlm_reference.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][]; positions: number[]; targets: number[]; loss: number };
const refLogits = parseSafetensors(readFileSync(join(FIX, 'mlm_logits.safetensors'))).get('logits')!.data as Float32Array;

before(async () => {
  await selectBackend({ requested: 'cpu' });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function batch() {
  return {
    ids: tf.tensor2d(ref.input_ids, undefined, 'int32'),
    mask: tf.tensor2d(ref.attention_mask, undefined, 'int32'),
    positions: tf.tensor1d(ref.positions, 'int32'),
    targets: tf.tensor1d(ref.targets, 'int32'),
  };
}

const skipNative = await nativeSkip();
for (const backend of ['cpu', 'wasm', 'native'] as const) {
  test(`[${backend}] MLM parity with PyTorch: logits at the masked positions, loss, every gradient (tied decoder included)`, { skip: backend === 'native' ? skipNative : false }, async () => {
    await selectBackend({ requested: backend });
    const { model, report } = await loadMaskedLM(join(FIX, 'mlm-ref'));
    assert.deepEqual(report.freshlyInitialised, []);
    const b = batch();
    const logits = model.logits(b.ids, b.mask, b.positions);
    assert.deepEqual(logits.shape, [ref.positions.length, model.config.vocab_size]);
    const e = maxAbsDiff(await logits.data(), refLogits);
    assert.ok(e <= 1e-4, `logits error ${e}`);

    const { value, grads } = tf.variableGrads(() => model.loss(b.ids, b.mask, b.positions, b.targets));
    const loss = (await value.data())[0];
    assert.ok(Math.abs(loss - ref.loss) <= 1e-4, `loss ${loss} vs ${ref.loss}`);
    await assertGradsMatch(grads, model.params, mlmSpecs(model.config), join(FIX, 'mlm_grads.safetensors')); // the tied decoder counted once, under the word embeddings
    model.dispose();
    await selectBackend({ requested: 'cpu' });
  });
}

test('MLM checkpoints: saved with HF names (tied decoder stored once), reloaded identically, and loadable as a classifier', async () => {
  const { model } = await loadMaskedLM(join(FIX, 'mlm-ref'));
  const t = tempDir();
  try {
    const dir = join(t.path, 'pretrained');
    await saveCheckpoint(model, dir, 6, { dnabert_pretraining: { steps: 0 } });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { architectures: string[] };
    assert.deepEqual(config.architectures, ['BertForMaskedLM']);
    const saved = parseSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const orig = parseSafetensors(readFileSync(join(FIX, 'mlm-ref', 'model.safetensors')));
    assert.deepEqual([...saved.keys()].sort(), [...orig.keys()].sort());
    for (const [k, v] of orig) assert.equal(maxAbsDiff(saved.get(k)!.data as Float32Array, v.data as Float32Array), 0, k);
    assert.ok(!saved.has('cls.predictions.decoder.weight') && !saved.has('bert.pooler.dense.weight'));

    const again = await loadMaskedLM(dir);
    const b = batch();
    assert.ok(maxAbsDiff(await again.model.logits(b.ids, b.mask, b.positions).data(), refLogits) <= 1e-4);
    again.model.dispose();

    // our pretrained checkpoint → a classifier: encoder from it, pooler and classifier fresh (as from_pretrained)
    const cls = await loadCheckpoint(dir, { seed: 1, numLabels: 2 });
    assert.deepEqual(cls.report.freshlyInitialised.sort(), ['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight']);
    assert.ok(cls.report.ignored.every((k) => k.startsWith('cls.predictions.')));
    const enc = 'bert.encoder.layer.1.output.dense.weight';
    assert.equal(maxAbsDiff(await cls.model.params.get(enc)!.data(), await model.params.get(enc)!.data()), 0);
    cls.model.dispose();
  } finally {
    t.cleanup();
    model.dispose();
  }
});

test('a classifier checkpoint (or the official pretraining one) loads into the MLM', async () => {
  const fromCls = await loadMaskedLM(join(FIX, 'tiny'), { seed: 2 });
  assert.deepEqual(fromCls.report.freshlyInitialised.sort(), mlmSpecs(fromCls.model.config).filter((s) => s.name.startsWith('cls.')).map((s) => s.name).sort());
  assert.ok(fromCls.report.ignored.includes('classifier.weight') && fromCls.report.ignored.includes('bert.pooler.dense.weight'));
  fromCls.model.dispose();
  const official = await loadMaskedLM(join(FIX, 'mlm'));
  assert.deepEqual(official.report.freshlyInitialised, [], 'gamma/beta names mapped, decoder tied');
  assert.ok(official.report.ignored.includes('cls.predictions.decoder.weight'));
  official.model.dispose();
  const r = BertMaskedLM.random(fromCls.model.config, 3);
  assert.deepEqual(Array.from(await r.params.get('cls.predictions.bias')!.data()).slice(0, 3), [0, 0, 0]);
  r.dispose();
});
