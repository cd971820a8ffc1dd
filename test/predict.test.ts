import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { predict, loadForPrediction } from '../lib/cli/predict.js';
import { encodeForPrediction, loadPredictor, modelScorer, scan, type WindowScore, type RecordScore } from '../lib/predict.js';
import { windowStarts } from '../lib/data/windows.js';
import { memoryFiles } from '../lib/checkpoint/files.js';
import { fastaRecords } from '../lib/data/fasta-records.js';
import { readFasta } from '../lib/data/fasta.js';
import { CnnClassifier, cnnConfig } from '../lib/models/cnn.js';
import { saveCnn } from '../lib/checkpoint/save.js';
import { selectBackend } from '../lib/backend.js';
import { seededRng } from '../lib/random.js';
import { randomDna, tempDir } from './helpers.js';

const FIX = new URL('./fixtures/bert/', import.meta.url).pathname;
const ref = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as { sequences: string[]; max_len: number; probabilities: number[][]; logits: number[][] };

before(async () => {
  await selectBackend({ requested: 'cpu' });
});

function readTsv(path: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
}

test('window starts cover the record, the last aligned to its end', () => {
  const table: [number, number, number, number[]][] = [
    [10, 19, 9, [0]],
    [19, 19, 9, [0]],
    [20, 19, 9, [0, 1]],
    [40, 19, 9, [0, 9, 18, 21]],
    [100, 50, 50, [0, 50]],
  ];
  for (const [len, w, s, want] of table) assert.deepEqual(windowStarts(len, w, s), want, `${len}/${w}/${s}`);
});

test('predict on the PyTorch fixture matches the reference probabilities (≤ 1e-4), FASTA in, TSV and BED out', async () => {
  const t = tempDir();
  try {
    const fa = join(t.path, 'in.fa');
    writeFileSync(fa, ref.sequences.map((s, i) => `>r${i} reference ${i}\n${s.slice(0, 7).toLowerCase()}${s.slice(7)}\n`).join(''));
    await predict({ model: join(FIX, 'tiny'), input: fa, output: join(t.path, 'out.tsv'), windows: join(t.path, 'w.bed'), maxLen: ref.max_len, logits: true, quiet: true });
    const rows = readTsv(join(t.path, 'out.tsv'));
    assert.deepEqual(rows.map((r) => r.id), ['r0', 'r1', 'r2']);
    assert.deepEqual(rows.map((r) => Number(r.length)), ref.sequences.map((s) => s.length));
    const windows = readFileSync(join(t.path, 'w.bed'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    // r0 is 20 bp: two windows of 19 bp; the reference truncated it to its first 19 bp = window 0
    const w0 = windows.find((w) => w[0] === 'r0' && w[1] === '0')!;
    assert.equal(w0[2], '19');
    assert.ok(Math.abs(Number(w0[3]) - ref.probabilities[0][1]) <= 1e-4, `r0 window 0: ${w0[3]} vs ${ref.probabilities[0][1]}`);
    for (const i of [1, 2]) {
      assert.equal(rows[i].windows, '1');
      assert.ok(Math.abs(Number(rows[i].prob) - ref.probabilities[i][1]) <= 1e-4, `r${i}: ${rows[i].prob} vs ${ref.probabilities[i][1]}`);
      const logits = rows[i].logits.split(',').map(Number);
      assert.ok(Math.abs(logits[0] - ref.logits[i][0]) <= 1e-4 && Math.abs(logits[1] - ref.logits[i][1]) <= 1e-4);
    }
  } finally {
    t.cleanup();
  }
});

test('scanning a generated genome-like record finds a planted motif, with max and mean aggregation', async () => {
  const rng = seededRng(9);
  const motif = 'GCGCGCGCGC';
  const seq = randomDna(3000, rng, 'AT') + motif + randomDna(1990, rng, 'AT');
  async function* records() {
    yield { id: 'chrT', seq, where: 'generated' };
    yield { id: 'short', seq: 'ATATAT', where: 'generated' };
  }
  const motifScorer = async (seqs: Uint8Array[]) => ({ probs: Float32Array.from(seqs.flatMap((s) => (Buffer.from(s).toString('latin1').includes(motif) ? [0, 1] : [1, 0]))), classes: 2 });
  const windows: WindowScore[] = [];
  const recs: RecordScore[] = [];
  const res = await scan(records(), motifScorer, { window: 500, stride: 250, batch: 7, onWindow: (w) => windows.push(w), onRecord: (r) => recs.push(r) });
  assert.deepEqual(res, { records: 2, bases: 5006 });
  const chr = windows.filter((w) => w.id === 'chrT').sort((a, b) => a.start - b.start);
  assert.equal(chr[chr.length - 1].end, 5000, 'the last window reaches the end');
  const hits = chr.filter((w) => w.prob === 1);
  assert.ok(hits.length >= 1 && hits.every((w) => w.start <= 3000 && w.end >= 3010), 'every hit window contains the motif');
  assert.deepEqual(hits.map((w) => w.start), [2750, 3000]);
  assert.equal(recs[0].id, 'chrT');
  assert.equal(recs[0].prob, 1);
  assert.ok(Math.abs(recs[0].probMean - hits.length / chr.length) < 1e-12);
  assert.equal(recs[0].label, 1);
  assert.deepEqual({ id: recs[1].id, windows: recs[1].windows, prob: recs[1].prob }, { id: 'short', windows: 1, prob: 0 });
});

test('bad inputs: empty record, non-DNA character, model directory without weights, pretrained model without classifier', async () => {
  assert.equal(Buffer.from(encodeForPrediction('acgtRYn', 'x')).toString(), 'ACGTNNN');
  assert.throws(() => encodeForPrediction('ACGXT', "in.fa record 'r7' (line 13)"), /in\.fa record 'r7' \(line 13\): invalid character "X" at position 4/);
  const t = tempDir();
  try {
    const fa = join(t.path, 'bad.fa');
    writeFileSync(fa, '>ok\nACGT\n>empty\n>x\nACGT\n');
    await assert.rejects(predict({ model: join(FIX, 'tiny'), input: fa, output: join(t.path, 'o.tsv'), maxLen: 16, quiet: true }), /bad\.fa record 'empty' \(line 3\): empty sequence/);
    const dir = join(t.path, 'model');
    mkdirSync(dir);
    copyFileSync(join(FIX, 'tiny', 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(FIX, 'tiny', 'vocab.txt'), join(dir, 'vocab.txt'));
    await assert.rejects(loadForPrediction(dir), /no model\.safetensors or pytorch_model\.bin/);
    await assert.rejects(loadForPrediction(join(FIX, 'mlm')), /no classifier weights.*pretrained, not a fine-tuned/);
    await assert.rejects(loadForPrediction(join(t.path, 'nope')), /model directory not found/);
  } finally {
    t.cleanup();
  }
});

test('a saved CNN predicts from a TSV like the model in memory', async () => {
  const t = tempDir();
  try {
    const model = CnnClassifier.random(cnnConfig(62), 3);
    const dir = join(t.path, 'cnn');
    await saveCnn(model, dir);
    const rng = seededRng(1);
    const seqs = Array.from({ length: 5 }, () => randomDna(60, rng));
    writeFileSync(join(t.path, 'in.tsv'), 'id\tsequence\n' + seqs.map((s, i) => `s${i}\t${s}`).join('\n') + '\n');
    await predict({ model: dir, input: join(t.path, 'in.tsv'), output: join(t.path, 'o.tsv'), quiet: true });
    const rows = readTsv(join(t.path, 'o.tsv'));
    const { cnnTokenize } = await import('../lib/models/cnn.js');
    const ids = tf.tensor2d(cnnTokenize(seqs.map((s) => encodeForPrediction(s, 'x')), 62), [5, 62], 'int32');
    const probs = await tf.sigmoid(model.forward(ids)).data();
    rows.forEach((r, i) => assert.ok(Math.abs(Number(r.prob) - probs[i]) < 1e-5, `${r.id}: ${r.prob} vs ${probs[i]}`));
    model.dispose();
  } finally {
    t.cleanup();
  }
});

test('a model from files in memory (the browser page) scores like the same folder on disk; Node-only files say so', async () => {
  const t = tempDir();
  try {
    const dir = join(FIX, 'tiny');
    const files = new Map(['config.json', 'vocab.txt', 'model.safetensors'].map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
    const fromMemory = await loadPredictor(memoryFiles('tiny', files));
    const fromDisk = await loadForPrediction(dir);
    const seqs = ref.sequences.map((s, i) => encodeForPrediction(s, `seq ${i}`));
    const [a, b] = [await modelScorer(fromMemory.adapter, false)(seqs), await modelScorer(fromDisk.adapter, false)(seqs)];
    assert.deepEqual(Array.from(a.probs), Array.from(b.probs));
    assert.equal(fromMemory.window, fromDisk.window);
    fromMemory.adapter.dispose();
    fromDisk.adapter.dispose();
    const torchOnly = new Map([...files].filter(([f]) => f !== 'model.safetensors'));
    torchOnly.set('pytorch_model.bin', new Uint8Array(readFileSync(join(dir, 'pytorch_model.bin'))));
    await assert.rejects(loadPredictor(memoryFiles('tiny', torchOnly)), /tiny: only pytorch_model\.bin, which only Node reads; save the model as model\.safetensors/);
    await assert.rejects(loadPredictor(memoryFiles('empty', new Map())), /empty: missing config\.json/);
    // FASTA text parsed line by line gives the records the streaming file reader gives
    const fa = join(t.path, 'x.fa');
    writeFileSync(fa, '>a first\r\nACGT\nAC\n\n;comment\n>b\nGG\n');
    const fromText: unknown[] = [];
    for await (const r of fastaRecords(readFileSync(fa, 'utf8').split(/\r?\n/), fa)) fromText.push(r);
    const fromFile: unknown[] = [];
    for await (const r of readFasta(fa)) fromFile.push(r);
    assert.deepEqual(fromText, fromFile);
    assert.deepEqual(fromText, [{ id: 'a', description: 'a first', seq: 'ACGTAC', line: 1 }, { id: 'b', description: 'b', seq: 'GG', line: 6 }]);
  } finally {
    t.cleanup();
  }
});
