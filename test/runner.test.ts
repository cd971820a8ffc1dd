import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { armOf, runExperiment } from '../lib/training/runner.js';
import { recordPath, type RunRecord } from '../lib/records/run-record.js';
import { pretrain } from '../lib/pretrain/pretrain.js';
import { createHash } from 'node:crypto';
import { cpSync } from 'node:fs';
import { armLabel, armModel, armsOf, compareArms, meanStd, table2, table2Csv, table2Markdown } from '../lib/report/aggregate.js';
import { merge, rateTag, resolveProfile, selectionProfile } from '../lib/config.js';
import { selectBackend } from '../lib/backend.js';
import { tempDir, writeToyTable } from './helpers.js';
import { contentSha256 } from '../lib/data/readers.js';
import { estimateMatrix, formatEstimate } from '../lib/training/estimate.js';
import { stepsPerEpoch } from '../lib/training/train.js';

const FIX = new URL('./fixtures/bert/tiny/', import.meta.url).pathname;

before(async () => {
  await selectBackend({ requested: 'cpu' });
});

const writeTable = (path: string, n: number, length = 60) => writeToyTable(path, n, { length });

test('profiles: typed defaults, the authors\' values, unknown keys rejected with their path', () => {
  const paper = resolveProfile('paper');
  assert.equal(paper.dnabert.weightDecay, 0.01);
  assert.equal(paper.dnabert.batchSize * paper.dnabert.gradAccum, 48);
  assert.equal(paper.dnabert.warmupSteps, 5000);
  assert.equal(paper.dnabert.patience, 20);
  assert.equal(paper.data.validFraction, 0.2);
  assert.equal(paper.cnn.lr, 1e-3);
  assert.deepEqual(paper.seeds, [1, 2, 3, 4, 5]);
  assert.equal(resolveProfile('quick').dnabert.weightDecay, 0.01, 'quick inherits what it does not override');
  assert.throws(() => resolveProfile('fast'), /Unknown profile 'fast'/);
  assert.throws(() => resolveProfile('quick', undefined, { dnabert: { lr: 1 } as never }), /unknown config key 'override\.dnabert\.lr'/);
  assert.throws(() => merge({ a: 1 }, { b: 2 }, 'x'), /unknown config key 'x\.b'; known keys: a/);
  // per-dataset caps apply to the dataset and to its stand-ins, by registry name
  for (const key of ['human_enhancers_cohn', 'human_enhancers_cohn.test-split', 'human_enhancers_cohn.table']) assert.equal(resolveProfile('quick', key).data.maxValid, 256, key);
  assert.equal(resolveProfile('quick', 'human_nontata_promoters.test-split').data.maxTrain, 6000);
  assert.equal(resolveProfile('paper', 'human_enhancers_cohn.test-split').data.maxTrain, null, 'the paper profile is never capped');
});

test('a run writes one record; a second call skips it; the same seed repeats the metrics', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeTable(table, 160);
    const spec = { dataset: table, model: 'cnn' as const, seed: 1, profile: 'smoke', resultsDir: join(t.path, 'a'), quiet: true };
    const first = await runExperiment(spec);
    assert.equal(first.skipped, false);
    const r = first.record;
    assert.equal(r.status, 'done');
    assert.match(r.data!.split, /stratified holdout/);
    assert.match(r.data!.validation, /last 20% of seeded shuffle of train \(seed 1\)/);
    assert.match(r.backend.line, /^backend \S+ \(tfjs 4\.22\.0/);
    assert.ok(r.code.commit.length > 0);
    assert.ok(r.test!.f1 >= 0 && r.test!.f1 <= 1);
    assert.ok(r.training!.history.length > 0);
    assert.ok(first.path.endsWith(join('runs', 'toy', 'smoke', 'cnn', 'seed-1.json')));
    // results travel: the data by file name and content checksum, never by an absolute path
    assert.equal(r.data!.source, 'table toy.tsv');
    assert.equal(r.data!.sha256, contentSha256(table));
    assert.ok(!readFileSync(first.path, 'utf8').includes(t.path), 'no absolute path in the record');
    const again = await runExperiment(spec);
    assert.equal(again.skipped, true);
    const other = await runExperiment({ ...spec, resultsDir: join(t.path, 'b') });
    assert.deepEqual(other.record.test, r.test);
    assert.deepEqual(other.record.training!.history, r.training!.history);
  } finally {
    t.cleanup();
  }
});

test('pretrained without weights is recorded as not run; with a local checkpoint it trains from it', async () => {
  const t = tempDir();
  const saved = { c: process.env.DNABERT_MODEL_CACHE, p: process.env.DNABERT_PRETRAINED_DIR };
  try {
    const table = join(t.path, 'toy.tsv');
    writeTable(table, 120);
    process.env.DNABERT_MODEL_CACHE = join(t.path, 'empty-cache');
    delete process.env.DNABERT_PRETRAINED_DIR;
    const spec = { dataset: table, model: 'dnabert-pretrained' as const, seed: 2, profile: 'smoke', resultsDir: join(t.path, 'r'), quiet: true };
    const missing = await runExperiment(spec);
    assert.equal(missing.record.status, 'not-run');
    assert.match(missing.record.reason!, /not available locally \(looked in the model cache empty-cache, zhihan1996--DNA_bert_6\/a79a8fd9/);
    assert.ok(!missing.record.reason!.includes(t.path), 'no absolute path in the reason');
    assert.equal(missing.record.test, undefined);
    process.env.DNABERT_PRETRAINED_DIR = FIX;
    const ran = await runExperiment(spec);
    assert.equal(ran.skipped, false, 'a not-run record is retried');
    assert.equal(ran.record.status, 'done');
    assert.match(ran.record.modelDescription!, /2 layers × 32/);
  } finally {
    if (saved.c === undefined) delete process.env.DNABERT_MODEL_CACHE; else process.env.DNABERT_MODEL_CACHE = saved.c;
    if (saved.p === undefined) delete process.env.DNABERT_PRETRAINED_DIR; else process.env.DNABERT_PRETRAINED_DIR = saved.p;
    t.cleanup();
  }
});

test('a checkpoint of one\'s own is an arm of its own: filed by folder name, traced to its weights and pretraining', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeTable(table, 120, 80); // the smoke pretraining's windows are 67 bp
    const backend = await selectBackend({ requested: 'cpu' });
    const task = join(t.path, 'pre', 'task');
    const pre = await pretrain({ corpus: table, config: 'smoke', out: task, backend, quiet: true });
    const spec = { dataset: table, model: 'dnabert-pretrained' as const, seed: 1, profile: 'smoke', resultsDir: join(t.path, 'r'), quiet: true, pretrained: task };
    const { record, path } = await runExperiment(spec);
    assert.equal(record.status, 'done');
    assert.equal(record.arm, 'dnabert-pretrained.task');
    assert.equal(path, recordPath(spec.resultsDir, 'toy', 'smoke', 'dnabert-pretrained.task', 1));
    assert.equal(record.pretrained!.tag, 'task');
    assert.equal(record.pretrained!.weightsSha256, pre.record.weightsSha256);
    assert.deepEqual(record.pretrained!.pretraining, {
      corpus: pre.record.corpus.source, corpusSha256: pre.record.corpus.sha256, config: 'smoke', steps: 6,
      validLoss: pre.record.final.validLoss, maskedAccuracy: pre.record.final.maskedAccuracy, commit: pre.record.code.commit,
    });
    assert.ok(!record.warnings.some((w) => /architecture/.test(w)), 'the smoke pretraining has the smoke profile\'s BERT: like for like');
    assert.ok(!readFileSync(path, 'utf8').includes(t.path), 'no absolute path in the record');
    // another architecture trains, with a warning that the arms do not compare like for like
    const tiny = join(t.path, 'tiny');
    cpSync(FIX, tiny, { recursive: true });
    const other = await runExperiment({ ...spec, pretrained: tiny });
    assert.equal(other.record.arm, 'dnabert-pretrained.tiny');
    assert.equal(other.record.pretrained!.pretraining, undefined);
    assert.equal(other.record.pretrained!.weightsSha256, createHash('sha256').update(readFileSync(join(tiny, 'model.safetensors'))).digest('hex'));
    assert.match(other.record.warnings.join('\n'), /architecture differs from profile smoke's dnabert-random \(hidden_size 32 vs 16, num_hidden_layers 2 vs 1/);
    // bad parameters are errors that say what to do
    await assert.rejects(runExperiment({ ...spec, pretrained: join(t.path, 'none') }), /none: not a checkpoint folder \(it needs config\.json, vocab\.txt and model\.safetensors or pytorch_model\.bin\); pretrain one with npm run pretrain/);
    assert.throws(() => armOf('dnabert-random', task), /only for the model dnabert-pretrained, not dnabert-random/);
    assert.throws(() => armOf('dnabert-pretrained', join(t.path, 'my model')), /checkpoint folder name 'my model' names the results/);
    assert.equal(armOf('dnabert-pretrained'), 'dnabert-pretrained');
  } finally {
    t.cleanup();
  }
});

test('the expected duration is measured per model with runs left; finished runs cost nothing', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeTable(table, 160);
    const o = { dataset: table, profile: 'smoke', seeds: [1, 2], models: ['dnabert-random'] as const, resultsDir: join(t.path, 'r') };
    const before = await estimateMatrix(o);
    const c = resolveProfile('smoke').dnabert;
    const m = before.models[0];
    assert.equal(m.pending, 2);
    assert.ok(m.secondsPerRun! > 0 && Number.isFinite(m.secondsPerRun!));
    assert.equal(m.steps, c.maxEpochs * stepsPerEpoch(90, c.batchSize, c.gradAccum), 'every epoch of the 90 training rows (smoke caps train at 96)');
    assert.equal(m.forwardSequences, Math.floor(m.steps / c.evalEvery) * 22 + 48, 'each validation pass (22 rows) and the test pass (48)');
    assert.equal(before.totalSeconds, 2 * m.secondsPerRun!);
    assert.match(formatEstimate(before), /^expected duration: at most \d+ (s|min) \(measured on this machine; early stopping can end runs sooner\)\n {2}dnabert-random: 2 run\(s\) × ≤ \d+ s \(\d+ steps, [\d,]+ sequences evaluated\)$/);
    for (const seed of [1, 2]) {
      const path = recordPath(o.resultsDir, 'toy', 'smoke', 'dnabert-random', seed);
      mkdirSync(dirname(path), { recursive: true });
      copyFileSync('test/fixtures/records/run-v1-pretrained-arm.json', path); // any finished record
    }
    const after = await estimateMatrix(o);
    assert.deepEqual([after.models[0].pending, after.totalSeconds], [0, 0]);
    assert.match(formatEstimate(after), /dnabert-random: all runs done/);
  } finally {
    t.cleanup();
  }
});

test('a profile with learning-rate candidates: seed 1 runs at each, the lowest validation loss chooses, every seed runs at it and records the choice', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeTable(table, 160);
    // the quick profile's selection, at smoke size
    const overrides = {
      data: { maxTrain: 96, maxValid: 32, maxTest: 48 },
      dnabert: { architecture: { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32 }, maxLen: 64, warmupSteps: 2, evalEvery: 2, maxSteps: 6 },
      cnn: { maxEpochs: 1, evalEvery: 2 },
    };
    const resultsDir = join(t.path, 'r');
    const o = { dataset: table, profile: 'quick', seeds: [1, 2], models: ['dnabert-random', 'cnn'] as const, resultsDir };
    const spec = { dataset: table, profile: 'quick', resultsDir, overrides, quiet: true };
    // before: seed 1 is the selection's run at the chosen rate, so the 2 candidates and seed 2 are left to train
    assert.equal((await estimateMatrix({ ...o, models: ['dnabert-random'], timedSteps: 1 })).models[0].pending, 3);
    const first = await runExperiment({ ...spec, model: 'dnabert-random', seed: 1 });
    const candidates = [3e-4, 1e-3].map((lr) => JSON.parse(readFileSync(recordPath(resultsDir, 'toy', selectionProfile('quick', lr), 'dnabert-random', 1), 'utf8')) as RunRecord);
    candidates.forEach((c, i) => {
      assert.equal(c.config && 'peakLr' in c.config ? c.config.peakLr : null, [3e-4, 1e-3][i]);
      assert.equal(c.lrSelection, null, 'a selection run selects nothing itself');
    });
    const best = candidates.reduce((a, b) => (b.training!.bestValidLoss! < a.training!.bestValidLoss! ? b : a));
    const sel = first.record.lrSelection!;
    assert.deepEqual(sel.candidates.map((c) => [c.lr, c.bestValidLoss]), candidates.map((c) => [(c.config as { peakLr: number }).peakLr, c.training!.bestValidLoss]));
    assert.equal(sel.chosen, (best.config as { peakLr: number }).peakLr);
    assert.match(sel.copiedFrom!, /^runs\/toy\/quick-lr[13]e-[34]\/dnabert-random\/seed-1\.json$/);
    assert.deepEqual(first.record.test, best.test, "seed 1's record is the selection run at the chosen rate");
    assert.equal(first.record.profile, 'quick');
    assert.deepEqual((first.record.config as { lrCandidates: number[] }).lrCandidates, [3e-4, 1e-3]);
    const second = await runExperiment({ ...spec, model: 'dnabert-random', seed: 2 });
    assert.equal((second.record.config as { peakLr: number }).peakLr, sel.chosen);
    assert.equal(second.record.lrSelection!.copiedFrom, null);
    assert.deepEqual(second.record.lrSelection!.candidates, sel.candidates);
    const cnn = await runExperiment({ ...spec, model: 'cnn', seed: 1 });
    assert.equal(cnn.record.lrSelection, null, 'the CNN keeps its one rate');
    const md = table2Markdown(table2([first.record, second.record, cnn.record], 2), 2);
    assert.match(md, new RegExp(`toy / DNABERT random weights: peak learning rate ${rateTag(sel.chosen)}, chosen by seed 1's validation loss \\(3e-4: [\\d.]+, 1e-3: [\\d.]+\\)`));
    assert.match(md, /Test AUROC of the same runs/);
    // nothing left: the estimate counts no run
    const after = await estimateMatrix({ ...o, models: ['dnabert-random'] });
    assert.equal(after.models[0].pending, 0);
  } finally {
    t.cleanup();
  }
});

test('aggregation: mean ± sample std over seeds, paper values beside, missing runs shown', () => {
  const rec = (model: RunRecord['model'], seed: number, f1: number | null): RunRecord => ({
    schema: 4, lrSelection: null, status: f1 === null ? 'not-run' : 'done', reason: f1 === null ? 'weights unavailable' : undefined,
    dataset: 'human_nontata_promoters', model, arm: model, seed, profile: 'quick', config: null, dataConfig: resolveProfile('quick').data,
    backend: { name: 'cpu', device: 'x', tfjs: '4.22.0', line: '' }, code: { commit: 'abc', dirty: false }, node: 'v20',
    startedAt: '', finishedAt: '', warnings: [],
    ...(f1 === null ? {} : {
      test: { n: 10, f1, accuracy: f1 - 0.05, precision: 0, recall: 0, mcc: 0, auroc: 0, softF1: 0, confusion: { tn: 0, fp: 0, fn: 0, tp: 0 }, matrix: [[0, 0], [0, 0]], singleClassPrediction: null },
      training: { steps: 1, epochs: 1, bestStep: 1, bestValidLoss: 1, stoppedEarly: false, history: [], resumedFromStep: null, seconds: 10 },
    }),
  });
  const cells = table2([rec('cnn', 1, 0.8), rec('cnn', 2, 0.9), rec('cnn', 3, 0.85), rec('dnabert-pretrained', 1, null)], 3);
  const cnn = cells.find((c) => c.model === 'cnn')!;
  assert.ok(Math.abs(cnn.f1.mean - 85) < 1e-9);
  assert.ok(Math.abs(cnn.f1.std - 5) < 1e-9);
  assert.equal(cnn.f1.n, 3);
  assert.ok(Math.abs(cnn.accuracy.mean - 80) < 1e-9);
  assert.deepEqual(cnn.paper, { mean: 83.9, std: 1.5 });
  const md = table2Markdown(cells, 3);
  assert.match(md, /\| human_nontata_promoters \| 85\.0 ± 5\.0 \| 83\.9 ± 1\.5 \| missing \| 88\.0 ± 0\.7 \| not run \| 91\.9 ± 0\.9 \|/);
  assert.match(md, /not run — weights unavailable/);
  assert.match(md, /\| human_enhancers_cohn \| missing \| 67\.1 ± 0\.6 \| missing \| 76\.5 ± 0\.5 \| missing \| 74\.1 ± 0\.4 \|/);
  assert.equal(cells.length, 15, 'all five paper datasets, each model');
  assert.match(table2Csv(cells), /human_nontata_promoters,cnn,3,85\.0000,5\.0000/);
  assert.ok(Number.isNaN(meanStd([1]).std));
});

test('arms: each pretrained checkpoint is a column of its own, compared against random weights', () => {
  const rec = (model: RunRecord['model'], arm: string, seed: number, f1: number): RunRecord => ({
    schema: 4, lrSelection: null, status: 'done', dataset: 'human_nontata_promoters', model, arm, seed, profile: 'lowdata', config: null, dataConfig: resolveProfile('quick').data,
    backend: { name: 'cpu', device: 'x', tfjs: '4.22.0', line: '' }, code: { commit: 'abc', dirty: false }, node: 'v20', startedAt: '', finishedAt: '', warnings: [],
    test: { n: 10, f1, accuracy: f1, precision: 0, recall: 0, mcc: 0, auroc: 0, softF1: 0, confusion: { tn: 0, fp: 0, fn: 0, tp: 0 }, matrix: [[0, 0], [0, 0]], singleClassPrediction: null },
    training: { steps: 1, epochs: 1, bestStep: 1, bestValidLoss: 1, stoppedEarly: false, history: [], resumedFromStep: null, seconds: 10 },
  });
  const records = [
    rec('dnabert-random', 'dnabert-random', 1, 0.70), rec('dnabert-random', 'dnabert-random', 2, 0.72),
    rec('dnabert-pretrained', 'dnabert-pretrained.task', 1, 0.80), rec('dnabert-pretrained', 'dnabert-pretrained.task', 2, 0.82),
    rec('dnabert-pretrained', 'dnabert-pretrained.genome', 1, 0.70), rec('dnabert-pretrained', 'dnabert-pretrained.genome', 2, 0.74),
  ];
  const { arm: _arm, ...old } = rec('cnn', 'cnn', 1, 0.6); // records written before arms existed
  assert.deepEqual(armsOf([...records, old as RunRecord]), ['cnn', 'dnabert-random', 'dnabert-pretrained', 'dnabert-pretrained.genome', 'dnabert-pretrained.task']);
  assert.equal(armModel('dnabert-pretrained.genome'), 'dnabert-pretrained');
  assert.equal(armLabel('dnabert-pretrained.genome'), 'DNABERT pretrained (genome)');
  assert.throws(() => armModel('bert.x'), /'bert\.x' is not a model or an arm of one/);
  const md = table2Markdown(table2(records, 2), 2);
  assert.match(md, /\| DNABERT pretrained \(genome\) \(ours\) \| \(paper\) \| DNABERT pretrained \(task\) \(ours\) \| \(paper\) \|/);
  assert.match(md, /\| not run|\| missing \| 91\.9 ± 0\.9 \| 72\.0 ± 2\.8 \| 91\.9 ± 0\.9 \| 81\.0 ± 1\.4 \| 91\.9 ± 0\.9 \|/);
  const cmp = compareArms(records);
  const by = Object.fromEntries(cmp.map((c) => [c.arm, c]));
  assert.deepEqual(Object.keys(by), ['dnabert-random', 'dnabert-pretrained.genome', 'dnabert-pretrained.task']);
  assert.ok(Math.abs(by['dnabert-pretrained.task'].delta - 10) < 1e-9);
  assert.equal(by['dnabert-pretrained.task'].beyondStd, true, '10 points against stds of 1.4');
  assert.equal(by['dnabert-pretrained.genome'].beyondStd, false, '1 point against a std of 2.8');
  assert.equal(by['dnabert-random'].beyondStd, false);
});
