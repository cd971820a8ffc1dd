import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BertClassifier, bertConfig } from '../lib/models/dnabert.js';
import { bertAdapter, type ModelAdapter } from '../lib/models/adapters.js';
import { train, stepsPerEpoch, type TrainOptions } from '../lib/training/train.js';
import type { LabelledRows } from '../lib/models/adapters.js';
import { seededRng } from '../lib/random.js';
import { encodeDna } from '../lib/data/dna.js';
import { tempDir, randomDna, torchSkip } from './helpers.js';
import { selectBackend } from '../lib/backend.js';

before(async () => {
  await tf.setBackend('cpu');
});

const TINY = { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32 };

function data(n: number, seed: number, model: ModelAdapter): LabelledRows {
  const rng = seededRng(seed);
  const seqs = Array.from({ length: n }, (_, i) => encodeDna(randomDna(20, rng, i % 2 ? 'ACGT' : 'AT'), `s${i}`));
  return { enc: model.encode(seqs), labels: Int32Array.from(seqs, (_, i) => i % 2) };
}

function opts(o: Partial<TrainOptions>): TrainOptions {
  return {
    batchSize: 4, gradAccum: 1, evalEvery: 2, patience: 100, maxEpochs: 1, maxSteps: null, validation: true,
    checkpointEvery: 0, lr: () => 1e-2, weightDecay: 0.01, maxGradNorm: 1.0, seed: 1, checkpointDir: null, quiet: true, ...o,
  };
}

async function values(m: ModelAdapter): Promise<number[]> {
  const out: number[] = [];
  for (const v of m.variables.values()) out.push(...(await v.data()));
  return out;
}

function bert(dropout: number, seed = 1): ModelAdapter {
  const config = bertConfig({ ...TINY, hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout });
  return bertAdapter(BertClassifier.random(config, seed), { k: 6, maxLen: 24, attendToPadding: false });
}

test('steps per epoch count short last groups', () => {
  assert.equal(stepsPerEpoch(100, 12, 4), 3); // 9 micro-batches → 3 steps
  assert.equal(stepsPerEpoch(97, 12, 4), 3);
  assert.equal(stepsPerEpoch(110, 12, 4), 3); // 10 micro-batches → 2 full + 1 short
  assert.equal(stepsPerEpoch(5, 12, 1), 1);
});

// on the torch backend, accumulation is in place and clipping is inside AdamW's one call (lib/torch/ops.ts)
const torchSkipped = await torchSkip();
for (const backend of ['cpu', 'torch'] as const) {
  test(`[${backend}] gradient accumulation of 2 × 4 equals one batch of 8`, { skip: backend === 'torch' && torchSkipped }, async () => {
    if (backend === 'torch') await selectBackend({ requested: 'torch' });
    try {
      const a = bert(0), b = bert(0);
      const d = data(8, 3, a);
      await train(a, d, null, opts({ batchSize: 8, gradAccum: 1, validation: false, maxEpochs: 2 }));
      await train(b, d, null, opts({ batchSize: 4, gradAccum: 2, validation: false, maxEpochs: 2 }));
      const va = await values(a), vb = await values(b);
      const err = Math.max(...va.map((x, i) => Math.abs(x - vb[i])));
      assert.ok(err < 1e-5, `max difference ${err}`);
      assert.ok(va.some((x, i) => x !== 0 && Math.abs(x) > 0), 'weights are non-trivial');
      a.dispose();
      b.dispose();
    } finally {
      await tf.setBackend('cpu');
    }
  });
}

/** A model with one weight whose validation loss follows a script. */
function scripted(curve: number[]): ModelAdapter & { evals: number } {
  const w = tf.variable(tf.zeros([1]), true);
  const self = {
    kind: 'cnn' as const,
    variables: new Map([['w', w]]),
    evals: 0,
    encode: (seqs: readonly Uint8Array[]) => ({ n: seqs.length, width: 1, ids: new Int32Array(seqs.length), mask: null }),
    loss: () => tf.neg(tf.sum(w)) as tf.Scalar,
    evaluate: (b: { labels: tf.Tensor1D }) => {
      const n = b.labels.shape[0];
      // predictRows calls evaluate once per batch; the validation set is one batch here
      const l = curve[Math.min(self.evals++, curve.length - 1)];
      return { losses: tf.fill([n], l) as tf.Tensor1D, probs: tf.fill([n, 2], 0.5) as tf.Tensor2D };
    },
    classes: 2,
    logits: async () => [],
    checkpoint: null,
    describe: () => 'scripted',
    dispose: () => w.dispose(),
    window: 1,
  };
  return self;
}

test('early stopping after `patience` evaluations without improvement, best weights restored', async () => {
  const curve = [5, 4, 3, 3.5, 3.25, 3.125, 9, 9, 9];
  const m = scripted(curve);
  const rows = { enc: m.encode(new Array(40).fill(new Uint8Array(1))), labels: new Int32Array(40) };
  const valid = { enc: m.encode([new Uint8Array(1)]), labels: new Int32Array(1) };
  const wAt = new Map<number, number>();
  const r = await train(m, rows, valid, opts({ batchSize: 1, evalEvery: 2, patience: 3, maxEpochs: 5, weightDecay: 0, onStep: (s) => wAt.set(s, m.variables.get('w')!.dataSync()[0]) }));
  assert.deepEqual(r.history.map((h) => h.validLoss), [5, 4, 3, 3.5, 3.25, 3.125]);
  assert.equal(r.bestStep, 6);
  assert.equal(r.bestValidLoss, 3);
  assert.equal(r.steps, 12);
  assert.equal(r.stoppedEarly, true);
  assert.equal(m.variables.get('w')!.dataSync()[0], wAt.get(6));
  assert.notEqual(wAt.get(6), wAt.get(12));
  m.dispose();
});

test('a run interrupted after a checkpoint resumes and ends exactly where an uninterrupted run ends', async () => {
  const t = tempDir();
  try {
    const ref = bert(0.1, 7);
    const d = data(40, 5, ref), v = data(8, 6, ref);
    const common = opts({ batchSize: 4, gradAccum: 2, evalEvery: 1, checkpointEvery: 2, maxEpochs: 2, seed: 3 });
    const r1 = await train(ref, d, v, common);

    const ck = join(t.path, 'ck');
    const crashing = bert(0.1, 7);
    await assert.rejects(
      train(crashing, d, v, { ...common, checkpointDir: ck, onStep: (s) => { if (s === 7) throw new Error('simulated crash'); } }),
      /simulated crash/,
    );
    assert.ok(existsSync(join(ck, 'state.json')), 'a checkpoint was written before the crash');
    const resumed = bert(0.1, 99); // different initial weights: everything must come from the checkpoint
    const r2 = await train(resumed, d, v, { ...common, checkpointDir: ck });
    assert.equal(r2.resumedFromStep, 6);
    assert.equal(r2.steps, r1.steps);
    assert.deepEqual(r2.history.map((h) => h.validLoss.toFixed(6)), r1.history.map((h) => h.validLoss.toFixed(6)));
    const a = await values(ref), b = await values(resumed);
    assert.equal(Math.max(...a.map((x, i) => Math.abs(x - b[i]))), 0);
    ref.dispose();
    crashing.dispose();
    resumed.dispose();
  } finally {
    t.cleanup();
  }
});
