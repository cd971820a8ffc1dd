/**
 * Pretraining end to end on generated DNA with the smoke configuration: the output loads in both heads,
 * the record names corpus, configuration, backend and commit; an interrupted run resumes to the same
 * weights as an uninterrupted one; a finished run is skipped; the loss falls on a learnable corpus.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { selectBackend, type BackendInfo } from '../../lib/backend.js';
import { mlmAdapter, pretrain, snapshotDir } from '../../lib/pretrain/pretrain.js';
import { readPretrainRecord } from '../../lib/records/pretrain-record.js';
import { makeBatch } from '../../lib/models/adapters.js';
import { encodeDna } from '../../lib/data/dna.js';
import { loadCheckpoint, loadMaskedLM } from '../../lib/checkpoint/hf.js';
import { seededRng } from '../../lib/random.js';
import { nativeSkip, randomDna, tempDir } from '../helpers.js';

let backend: BackendInfo;
before(async () => {
  backend = await selectBackend({ requested: 'cpu' });
});

/** A corpus with structure to learn: a 12-bp motif repeated, 1 base in 20 mutated, split by Ns. */
function writeGenome(path: string, records = 2): void {
  const rng = seededRng(3);
  const motif = 'ACGGTCATTGCA';
  const lines: string[] = [];
  for (let r = 0; r < records; r++) {
    let s = '';
    for (let i = 0; i < 3000; i++) s += rng() < 0.05 ? 'ACGT'[Math.floor(rng() * 4)] : motif[i % motif.length];
    lines.push(`>chr${r + 1}`, s.slice(0, 1400) + 'N'.repeat(30) + s.slice(1430));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

test('a smoke pretraining run: checkpoint for both heads, a record that traces it, a second call skips', async () => {
  const t = tempDir();
  try {
    const fa = join(t.path, 'genome.fa');
    writeGenome(fa);
    const out = join(t.path, 'pre');
    const { record, skipped } = await pretrain({ corpus: fa, config: 'smoke', out, backend, quiet: true });
    assert.equal(skipped, false);
    assert.equal(record.training.steps, 6);
    assert.equal(record.training.history.length, 2);
    assert.equal(record.corpus.kind, 'fasta');
    assert.equal(record.corpus.source, 'FASTA genome.fa');
    assert.match(record.corpus.sha256, /^[0-9a-f]{64}$/);
    assert.ok(Math.abs(record.final.perplexity - Math.exp(record.final.validLoss)) < 1e-6 * record.final.perplexity);
    assert.ok(record.final.maskedAccuracy >= 0 && record.final.maskedAccuracy <= 1);
    // every validation names its references on the same masks: the neighbour-reading oracle below the k-mer frequency baseline
    for (const point of record.training.history) {
      const m = point.metrics!;
      assert.ok(m.oracleLoss > 0 && m.oracleLoss < m.frequencyLoss, `oracle ${m.oracleLoss}, frequency baseline ${m.frequencyLoss}`);
      const shares = Object.keys(m).filter((key) => key.startsWith('maskedShareHidden')).map((key) => m[key]);
      assert.ok(Math.abs(shares.reduce((x, y) => x + y, 0) - 1) < 1e-9, 'the hidden-base classes cover every masked token');
    }
    assert.ok(record.tokensPerSecond > 0);
    assert.match(record.backend.line, /^backend cpu/);
    assert.ok(!readFileSync(join(out, 'pretraining.json'), 'utf8').includes(t.path), 'no absolute path in the record');
    const mlm = await loadMaskedLM(out);
    assert.deepEqual(mlm.report.freshlyInitialised, []);
    // the trainer's per-row evaluation: each row's mean masked-token loss, and its share predicted right
    const adapter = mlmAdapter(mlm.model, record.config);
    const enc = adapter.encode(['ACGGTCATTGCA', 'TTGCAACGGTCA'].map((m, i) => encodeDna(m.repeat(6), `row ${i}`)));
    const b = makeBatch({ enc, labels: new Int32Array(2) }, [0, 1]);
    const { losses, probs } = adapter.evaluate(b);
    assert.deepEqual(losses.shape, [2]);
    assert.ok(Array.from(await losses.data()).every((l) => l > 0 && Number.isFinite(l)));
    assert.ok(Array.from(await probs.data()).every((p) => p >= 0 && p <= 1));
    assert.throws(() => adapter.logits(b), /no class logits/);
    adapter.dispose();
    const cls = await loadCheckpoint(out, { numLabels: 2 });
    assert.deepEqual(cls.report.freshlyInitialised.sort(), ['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight']);
    cls.model.dispose();
    assert.equal(record.weightsSha256, createHash('sha256').update(readFileSync(join(out, 'model.safetensors'))).digest('hex'));
    const again = await pretrain({ corpus: fa, config: 'smoke', out, backend, quiet: true });
    assert.equal(again.skipped, true);
    assert.deepEqual(readPretrainRecord(out), record);
    // a finished folder is never reused for another run: other steps, corpus or seed is an error naming it
    await assert.rejects(pretrain({ corpus: fa, config: 'smoke', overrides: { steps: 9 }, out, backend, quiet: true }), /pretraining\.json: this folder holds a finished pretraining with configuration smoke \(6 steps\), not smoke \(9 steps\)\. Choose another --out/);
    writeFileSync(join(t.path, 'other.fa'), readFileSync(fa));
    await assert.rejects(pretrain({ corpus: join(t.path, 'other.fa'), config: 'smoke', out, backend, quiet: true, seed: 2 }), /corpus .*genome\.fa, not .*other\.fa; seed 1, not 2/);
  } finally {
    t.cleanup();
  }
});

test('a run shorter than one validation interval still validates at its last step and writes its checkpoint and record', async () => {
  const t = tempDir();
  try {
    const fa = join(t.path, 'genome.fa');
    writeGenome(fa);
    const out = join(t.path, 'short');
    // smoke validates every 3 steps; 2 steps never reach the first validation of the grid
    const { record } = await pretrain({ corpus: fa, config: 'smoke', overrides: { steps: 2 }, out, backend, quiet: true });
    assert.equal(record.training.steps, 2);
    assert.deepEqual(record.training.history.map((h) => h.step), [2]);
    assert.ok(Number.isFinite(record.final.validLoss));
    assert.ok(existsSync(join(out, 'model.safetensors')) && existsSync(join(out, 'pretraining.json')));
    // off the grid at the end: steps 3 and 6 of the grid, and the last step 7
    const { record: seven } = await pretrain({ corpus: fa, config: 'smoke', overrides: { steps: 7 }, out: join(t.path, 'seven'), backend, quiet: true });
    assert.deepEqual(seven.training.history.map((h) => h.step), [3, 6, 7]);
  } finally {
    t.cleanup();
  }
});

test('an interrupted pretraining run resumes to the weights of an uninterrupted one', async () => {
  const t = tempDir();
  try {
    const fa = join(t.path, 'genome.fa');
    writeGenome(fa);
    const whole = await pretrain({ corpus: fa, config: 'smoke', out: join(t.path, 'a'), backend, quiet: true });
    const crash = (step: number) => {
      if (step === 5) throw new Error('simulated crash');
    };
    await assert.rejects(pretrain({ corpus: fa, config: 'smoke', out: join(t.path, 'b'), backend, quiet: true, onStep: crash }), /simulated crash/);
    const resumed = await pretrain({ corpus: fa, config: 'smoke', out: join(t.path, 'b'), backend, quiet: true });
    assert.equal(resumed.record.training.resumedFromStep, 3, `from the checkpoint of the first validation (got ${resumed.record.training.resumedFromStep})`);
    assert.deepEqual(resumed.record.training.history, whole.record.training.history);
    assert.deepEqual(readFileSync(join(t.path, 'b', 'model.safetensors')), readFileSync(join(t.path, 'a', 'model.safetensors')));
  } finally {
    t.cleanup();
  }
});

test('on a learnable corpus the validation loss falls well below its start', async () => {
  // the native backend where it is built (seconds), else fewer steps on cpu
  const fast = !(await nativeSkip());
  const be = await selectBackend({ requested: fast ? 'native' : 'cpu' });
  const t = tempDir();
  try {
    const fa = join(t.path, 'motif.fa');
    writeGenome(fa, 3);
    const steps = fast ? 60 : 24;
    const { record } = await pretrain({ corpus: fa, config: 'smoke', overrides: { steps, evalEvery: 8, peakLr: 3e-3, warmupSteps: 4 }, out: join(t.path, 'm'), backend: be, quiet: true });
    const h = record.training.history;
    const drop = h[0].validLoss - h[h.length - 1].validLoss;
    assert.ok(drop > (fast ? 1.5 : 0.4), `validation loss ${h[0].validLoss} → ${h[h.length - 1].validLoss}`);
    assert.ok(h.every((p) => p.metrics!.maskedTokens === h[0].metrics!.maskedTokens), 'every validation scores the same masked tokens');
  } finally {
    t.cleanup();
    backend = await selectBackend({ requested: 'cpu' });
  }
});

test('a random DNA corpus too short for one window is refused before training', async () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.path, 's.fa'), `>x\n${randomDna(50, seededRng(1))}\n`);
    await assert.rejects(pretrain({ corpus: join(t.path, 's.fa'), config: 'smoke', out: join(t.path, 'o'), backend, quiet: true }), /no N-free stretch of 67 bp or more/);
  } finally {
    t.cleanup();
  }
});

test('snapshots are points of one run: a shorter run has the same snapshots, and continued it reaches the longer run', async () => {
  const t = tempDir();
  try {
    const fa = join(t.path, 'genome.fa');
    writeGenome(fa);
    const over = { schedule: 'inverse-sqrt' as const, warmupSteps: 2, evalEvery: 4, snapshotSteps: [3, 5] };
    const long = join(t.path, 'long'), short = join(t.path, 'short');
    const a = await pretrain({ corpus: fa, config: 'smoke', overrides: { ...over, steps: 8 }, out: long, backend, quiet: true });
    assert.deepEqual(a.record.training.history.map((p) => p.step), [3, 4, 5, 8]);
    const b = await pretrain({ corpus: fa, config: 'smoke', overrides: { ...over, steps: 5 }, out: short, backend, quiet: true });
    for (const step of [3, 5]) {
      const [ra, rb] = [readPretrainRecord(snapshotDir(long, step))!, readPretrainRecord(snapshotDir(short, step))!];
      assert.equal(ra.training.steps, step);
      assert.match(ra.snapshotOf!, /long$/);
      assert.equal(ra.final.validLoss, ra.training.history[ra.training.history.length - 1].validLoss);
      assert.equal(ra.weightsSha256, rb.weightsSha256, `snapshot at step ${step}: the same weights in both runs`);
      assert.equal(ra.final.validLoss, rb.final.validLoss);
    }
    assert.equal(b.record.training.steps, 5);
    // continued to 8 steps from its kept final checkpoint: the longer run's curve and weights
    const c = await pretrain({ corpus: fa, config: 'smoke', overrides: { ...over, steps: 8 }, out: short, backend, quiet: true });
    assert.equal(c.skipped, false);
    assert.equal(c.record.training.resumedFromStep, 5);
    assert.deepEqual(c.record.training.history.map((p) => p.validLoss), a.record.training.history.map((p) => p.validLoss));
    assert.equal(c.record.weightsSha256, a.record.weightsSha256);
    // a shorter --steps than the finished run is a different run, refused
    await assert.rejects(pretrain({ corpus: fa, config: 'smoke', overrides: { ...over, steps: 6 }, out: short, backend, quiet: true }), /holds a finished pretraining/);
    // continued again with a snapshot added past its last step: the new snapshot is written, the old ones stay
    const d = await pretrain({ corpus: fa, config: 'smoke', overrides: { ...over, steps: 10, snapshotSteps: [3, 5, 9] }, out: short, backend, quiet: true });
    assert.equal(d.record.training.resumedFromStep, 8);
    assert.deepEqual(d.record.config.snapshotSteps, [3, 5, 9]);
    const at9 = readPretrainRecord(snapshotDir(short, 9))!;
    assert.equal(at9.training.steps, 9);
    assert.equal(at9.training.resumedFromStep, 8);
    // a snapshot before the finished run's last step cannot be made by continuing it; the old ones must be kept
    await assert.rejects(pretrain({ corpus: fa, config: 'smoke', overrides: { ...over, steps: 12, snapshotSteps: [3, 5, 7, 9] }, out: short, backend, quiet: true }), /snapshot step\(s\) 7 are not past this run's 10 steps/);
    await assert.rejects(pretrain({ corpus: fa, config: 'smoke', overrides: { ...over, steps: 12, snapshotSteps: [11] }, out: short, backend, quiet: true }), /keeps its snapshot steps \(3, 5, 9\)/);
    // under linear decay a snapshot is not a point of a shorter run
    await assert.rejects(pretrain({ corpus: fa, config: 'smoke', overrides: { snapshotSteps: [3] }, out: join(t.path, 'lin'), backend, quiet: true }), /need a schedule that ignores the last step/);
  } finally {
    t.cleanup();
  }
});
