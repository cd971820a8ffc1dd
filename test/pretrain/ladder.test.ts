/**
 * The compute ladder's bookkeeping (lib/pretrain/ladder.ts): paired 95 % intervals at known values;
 * the arms of a real pretraining run's snapshots, by step, with their tokens; each arm's learning rate
 * chosen by its own seed-1 validation loss; Δ paired by seed against random weights; several processes
 * sharing the ladder through the run locks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { selectBackend } from '../../lib/backend.js';
import { ladderProfile } from '../../lib/config.js';
import { ladderPanelsFigure } from '../../lib/report/plots.js';
import { ladderArms, ladderMarkdown, ladderRows, pairedInterval, rateRows, runLadder } from '../../lib/pretrain/ladder.js';
import { pretrain } from '../../lib/pretrain/pretrain.js';
import { RunLockedError } from '../../lib/training/lock.js';
import { recordPath, type RunRecord } from '../../lib/records/run-record.js';
import { seededRng } from '../../lib/random.js';
import { randomDna, tempDir } from '../helpers.js';

test('paired 95 % t intervals at known values', () => {
  // diffs 1..5: mean 3, sd √2.5, t(0.975, 4) = 2.776 → ± 1.9629
  const i = pairedInterval([1, 2, 3, 4, 5]);
  assert.equal(i.mean, 3);
  assert.ok(Math.abs(i.hi - i.mean - (2.776 * Math.sqrt(2.5)) / Math.sqrt(5)) < 1e-12);
  assert.ok(Math.abs(i.mean - i.lo - 1.96293) < 1e-4);
  // two pairs: t(0.975, 1) = 12.706
  const two = pairedInterval([0.01, 0.03]);
  assert.ok(Math.abs(two.hi - 0.02 - (12.706 * Math.sqrt(0.0002)) / Math.sqrt(2)) < 1e-12);
  assert.ok(Number.isNaN(pairedInterval([0.5]).lo));
  assert.ok(Number.isNaN(pairedInterval([]).mean));
});

test('arms: random weights, then each snapshot of a pretraining run by step, with the tokens it saw', async () => {
  const t = tempDir();
  try {
    const fa = join(t.path, 'g.fa');
    writeFileSync(fa, `>a\n${randomDna(3000, seededRng(2))}\n`);
    const out = join(t.path, 'pre', 'genome');
    const backend = await selectBackend({ requested: 'cpu' });
    await pretrain({ corpus: fa, config: 'smoke', overrides: { steps: 4, schedule: 'constant', snapshotSteps: [4, 2], evalEvery: 4 }, out, backend, quiet: true });
    const arms = ladderArms(out);
    assert.deepEqual(arms.map((a) => a.arm), ['dnabert-random', 'dnabert-pretrained.genome-step2', 'dnabert-pretrained.genome-step4']);
    // smoke: 8 windows of 64 tokens a step, 62 k-mers each
    assert.deepEqual(arms.map((a) => a.tokens), [0, 2 * 8 * 62, 4 * 8 * 62]);
  } finally {
    t.cleanup();
  }
});

test('each arm at the rate of its own lowest seed-1 validation loss; Δ paired by seed', async () => {
  const t = tempDir();
  try {
    const results = join(t.path, 'results');
    const run = join(t.path, 'pre', 'genome');
    // one snapshot arm: its record as the pretraining writes it (the fields the ladder reads)
    mkdirSync(join(t.path, 'pre', 'genome-step75'), { recursive: true });
    writeFileSync(join(t.path, 'pre', 'genome-step75', 'pretraining.json'), JSON.stringify({ schema: 2, status: 'done', corpus: {}, seed: 1, training: { steps: 75 }, config: { name: 'ladder', steps: 4800, schedule: 'inverse-sqrt', snapshotSteps: [75], batchSize: 16, gradAccum: 1, maxLen: 248 }, final: { validLoss: 7.5, maskedAccuracy: 0.1 } }));
    const write = (profile: string, arm: string, seed: number, validLoss: number, f1: number, auroc: number) => {
      const p = recordPath(results, 'toy', profile, arm, seed);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, JSON.stringify({ schema: 3, status: 'done', dataset: 'toy', model: arm.split('.')[0], arm, seed, profile, warnings: [], data: {}, training: { bestValidLoss: validLoss }, test: { f1, auroc } }));
    };
    // random weights: 3e-4 has the lowest validation loss at seed 1, though 1e-3 has the higher F1
    write(ladderProfile(800, 1e-4), 'dnabert-random', 1, 0.60, 0.70, 0.80);
    write(ladderProfile(800, 3e-4), 'dnabert-random', 1, 0.50, 0.72, 0.82);
    write(ladderProfile(800, 1e-3), 'dnabert-random', 1, 0.55, 0.79, 0.84);
    write(ladderProfile(800, 3e-4), 'dnabert-random', 2, 0.52, 0.74, 0.83);
    // the snapshot picks 1e-4, and is paired with random weights seed by seed
    const arm = 'dnabert-pretrained.genome-step75';
    write(ladderProfile(800, 1e-4), arm, 1, 0.45, 0.75, 0.85);
    write(ladderProfile(800, 3e-4), arm, 1, 0.50, 0.70, 0.80);
    write(ladderProfile(800, 1e-3), arm, 1, 0.58, 0.60, 0.70);
    write(ladderProfile(800, 1e-4), arm, 2, 0.47, 0.78, 0.86);
    const cells = await runLadder({ dataset: join(t.path, 'toy.tsv'), runDir: run, seeds: [1, 2], resultsDir: results, sizes: [800], recordsOnly: true });
    assert.equal(cells.length, 2);
    assert.deepEqual(cells.map((c) => c.lr), [3e-4, 1e-4]);
    const [row, pre] = ladderRows(cells);
    assert.equal(pre.tokens, 75 * 16 * 246);
    // Δ F1 by seed: 0.75 − 0.72, 0.78 − 0.74 → mean 0.035; Δ AUROC: 0.03, 0.03
    assert.ok(Math.abs(pre.deltaF1!.mean - 0.035) < 1e-12);
    assert.ok(Math.abs(pre.deltaAuroc!.mean - 0.03) < 1e-12);
    assert.equal(pre.deltaF1!.n, 2);
    assert.equal(row.seeds, 2);
    assert.ok(Math.abs(row.f1.mean - 0.73) < 1e-12);
    assert.equal(row.deltaF1, undefined);
    assert.deepEqual(rateRows(cells).map((r) => [r.lr, r.chosen]), [[1e-4, false], [3e-4, true], [1e-3, false], [1e-4, true], [3e-4, false], [1e-3, false]]);
    assert.match(ladderMarkdown(ladderRows(cells)), /\| 800 \| dnabert-random \| — \| 0\.0003 \| 2 \| 73\.0 ± 1\.4 \| 0\.825 \|/);
    // the committed figure: Δ F1 (points) left, Δ AUROC (×100) right; random weights have no Δ, so no point
    const fig = ladderPanelsFigure(ladderRows(cells));
    const traces = fig.data as { xaxis: string; x: number[]; y: number[]; showlegend: boolean }[];
    assert.deepEqual(traces.map((tr) => [tr.xaxis, tr.x, tr.showlegend]), [['x', [75 * 16 * 246], true], ['x2', [75 * 16 * 246], false]]);
    assert.ok(Math.abs(traces[0].y[0] - 3.5) < 1e-9 && Math.abs(traces[1].y[0] - 3) < 1e-9);
  } finally {
    t.cleanup();
  }
});

test('a run held by another process is passed over, then trained once it is free; its later seeds wait for it', async () => {
  const t = tempDir();
  try {
    const calls: string[] = [];
    let heldOnce = false;
    const log: string[] = [];
    // validation loss by rate: 3e-4 wins, so seed 2 runs at 3e-4
    const loss: Record<string, number> = { [ladderProfile(800, 1e-4)]: 0.6, [ladderProfile(800, 3e-4)]: 0.5, [ladderProfile(800, 1e-3)]: 0.55 };
    const experiment = async (spec: { profile?: string; seed: number; model: string }) => {
      const id = `${spec.profile} seed ${spec.seed}`;
      if (spec.profile === ladderProfile(800, 3e-4) && spec.seed === 1 && !heldOnce) {
        heldOnce = true;
        throw new RunLockedError('x.lock', { host: 'elsewhere', pid: 4242, since: 'now' });
      }
      calls.push(id);
      const record = { status: 'done', seed: spec.seed, profile: spec.profile, training: { bestValidLoss: loss[spec.profile!] }, test: { f1: 0.7, auroc: 0.8 } } as unknown as RunRecord;
      return { record, path: id, skipped: false };
    };
    const cells = await runLadder({ dataset: 'toy', runDir: join(t.path, 'none', 'genome'), seeds: [1, 2], resultsDir: t.path, sizes: [800], waitSeconds: 0, experiment: experiment as never, log: (l) => log.push(l) });
    assert.equal(cells.length, 1);
    assert.equal(cells[0].lr, 3e-4);
    assert.equal(cells[0].runs.filter((r) => r !== null).length, 2);
    // first pass: 1e-4 and 1e-3 trained, 3e-4 passed over (so no seed 2 yet); second pass: 3e-4, then seed 2
    assert.deepEqual(calls, [`${ladderProfile(800, 1e-4)} seed 1`, `${ladderProfile(800, 1e-3)} seed 1`, `${ladderProfile(800, 1e-4)} seed 1`, `${ladderProfile(800, 3e-4)} seed 1`, `${ladderProfile(800, 1e-3)} seed 1`, `${ladderProfile(800, 3e-4)} seed 2`]);
    assert.ok(log.some((l) => /being trained by pid 4242 on elsewhere; passing it over/.test(l)), log.join('\n'));
  } finally {
    t.cleanup();
  }
});
