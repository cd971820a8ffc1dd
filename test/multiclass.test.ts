/**
 * Datasets of more than two classes (human_ensembl_regulatory: enhancer, ocr, promoter): a 3-class
 * BERT matches PyTorch's BertForSequenceClassification (num_labels = 3) on logits and loss; a generated
 * 3-class table trains both models into records with macro-F1, per-class metrics and the confusion
 * matrix; saved models keep their classes; `npm run predict` writes a probability column per class;
 * Table 2 says its F1 is the macro-F1.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend.js';
import { loadCheckpoint } from '../lib/checkpoint/hf.js';
import { encodeDna } from '../lib/data/dna.js';
import { tokenizeBatch } from '../lib/models/tokenizer.js';
import { runExperiment } from '../lib/training/runner.js';
import { table2, table2Markdown } from '../lib/report/aggregate.js';
import { predict } from '../lib/cli/predict.js';
import { seededRng } from '../lib/random.js';
import { randomDna, tempDir } from './helpers.js';

const FIX = new URL('./fixtures/bert/', import.meta.url).pathname;

before(async () => {
  await selectBackend({ requested: 'cpu' });
});

test('a 3-class BERT matches PyTorch (BertForSequenceClassification, num_labels 3): logits and loss', async () => {
  const ref = JSON.parse(readFileSync(join(FIX, 'reference3.json'), 'utf8')) as { sequences: string[]; max_len: number; input_ids: number[][]; labels: number[]; logits: number[][]; loss: number };
  const { model } = await loadCheckpoint(join(FIX, 'tiny3'));
  assert.equal(model.config.num_labels, 3);
  const enc = tokenizeBatch(ref.sequences.map((s, i) => encodeDna(s, `ref ${i}`)), { k: 6, maxLen: ref.max_len, attendToPadding: false });
  assert.deepEqual(Array.from(enc.ids), ref.input_ids.flat(), 'the same token ids as the Python tokenizer');
  const ids = tf.tensor2d(enc.ids, [enc.n, enc.maxLen], 'int32'), mask = tf.tensor2d(enc.mask, [enc.n, enc.maxLen], 'int32');
  const logits = await model.forward(ids, mask).logits.data();
  const worst = Math.max(...ref.logits.flat().map((v, i) => Math.abs(v - logits[i])));
  assert.ok(worst <= 1e-5, `logits within ${worst}`);
  const loss = (await model.loss(ids, mask, tf.tensor1d(ref.labels, 'int32')).data())[0];
  assert.ok(Math.abs(loss - ref.loss) <= 1e-5, `loss ${loss} vs ${ref.loss}`);
  model.dispose();
});

/** A learnable 3-class table: each class rich in other bases. */
function writeTable3(path: string, n: number, length = 60): void {
  const rng = seededRng(3);
  const classes = ['enhancer', 'ocr', 'promoter'];
  const alphabets = ['AAATG', 'CCCGT', 'GGTTA'];
  const rows = ['seq\tlabel'];
  for (let i = 0; i < n; i++) rows.push(`${randomDna(length, rng, alphabets[i % 3])}\t${classes[i % 3]}`);
  writeFileSync(path, rows.join('\n') + '\n');
}

test('a generated 3-class table trains both models: records with macro-F1, per-class metrics and the 3 × 3 confusion matrix; predict writes a column per class', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'regulatory.tsv');
    writeTable3(table, 240);
    const results = join(t.path, 'results');
    const records = [];
    for (const model of ['cnn', 'dnabert-random'] as const) {
      const { record } = await runExperiment({ dataset: table, model, seed: 1, profile: 'smoke', resultsDir: results, quiet: true, saveModel: true });
      assert.equal(record.status, 'done', model);
      const r = record.test!;
      assert.deepEqual(record.data!.classes, ['enhancer', 'ocr', 'promoter']);
      assert.equal(r.average, 'macro');
      assert.equal(r.perClass!.length, 3);
      assert.equal(r.matrix!.length, 3);
      assert.ok(r.matrix!.every((row) => row.length === 3));
      assert.equal(r.matrix!.flat().reduce((a, b) => a + b), r.n, 'every test sequence counted once');
      assert.deepEqual(r.perClass!.map((m) => m.support), r.matrix!.map((row) => row.reduce((a, b) => a + b)));
      assert.ok(Math.abs(r.f1 - r.perClass!.reduce((a, m) => a + m.f1, 0) / 3) < 1e-12, 'F1 is the macro-F1');
      records.push(record);
    }
    const cnn = records[0];
    assert.ok(cnn.test!.accuracy > 0.5, `the CNN learns the table (accuracy ${cnn.test!.accuracy})`);
    const md = table2Markdown(table2(records, 1), 1);
    assert.match(md, /regulatory: more than two classes: its F1 is the macro-F1/);

    // the saved CNN and BERT keep their three classes; predict writes prob_<class> columns and class-name labels
    const fa = join(t.path, 'in.fa');
    const rng = seededRng(8);
    writeFileSync(fa, `>a\n${randomDna(60, rng, 'AAATG')}\n>b\n${randomDna(60, rng, 'CCCGT')}\n`);
    for (const model of ['cnn', 'dnabert-random']) {
      const out = join(t.path, `${model}.tsv`);
      await predict({ model: join(results, 'models', 'regulatory', 'smoke', model, 'seed-1'), input: fa, output: out, quiet: true, windows: join(t.path, `${model}.bed`) });
      const [head, ...rows] = readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split('\t'));
      assert.deepEqual(head, ['id', 'length', 'windows', 'prob_enhancer', 'prob_ocr', 'prob_promoter', 'label']);
      for (const r of rows) {
        const p = r.slice(3, 6).map(Number);
        assert.ok(Math.abs(p.reduce((a, b) => a + b) - 1) < 1e-4, `${model}: probabilities sum to 1`);
        assert.equal(r[6], ['enhancer', 'ocr', 'promoter'][p.indexOf(Math.max(...p))]);
      }
      const bed = readFileSync(join(t.path, `${model}.bed`), 'utf8').trim().split('\n').map((l) => l.split('\t'));
      assert.ok(bed.every((w) => w.length === 5 && ['enhancer', 'ocr', 'promoter'].includes(w[4])));
    }
    assert.equal(rowsLabel(readFileSync(join(t.path, 'cnn.tsv'), 'utf8')), 'enhancer', 'the CNN calls the AT-rich record an enhancer');
  } finally {
    t.cleanup();
  }
});

function rowsLabel(tsv: string): string {
  return tsv.trim().split('\n')[1].split('\t')[6];
}
