/**
 * The GPU call's pretraining, end to end on the CPU: `npm run pretrain --config ladder-gpu --max-minutes`
 * ends as a finished run at its time limit, with a snapshot there; packed as bench/gpu.sh packs it
 * (tar, split into parts) and unpacked by `make gpu-import` beside a CPU ladder, its snapshots are further
 * arms of that ladder, ordered by the tokens each has seen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePretrainConfig, tokensPerStep } from '../lib/config.js';
import { readPretrainRecord } from '../lib/records/pretrain-record.js';
import { ladderArms } from '../lib/pretrain/ladder.js';
import { seededRng } from '../lib/random.js';
import { randomDna, tempDir } from './helpers.js';

test('ladder-gpu: the ladder\'s BERT at a GPU\'s batch, snapshots at 30 M, 100 M and 300 M tokens', () => {
  const c = resolvePretrainConfig('ladder-gpu');
  const ladder = resolvePretrainConfig('ladder');
  assert.deepEqual([c.architecture, c.maxLen, c.k, c.schedule], [ladder.architecture, ladder.maxLen, ladder.k, ladder.schedule], 'the same model and windows as the CPU ladder');
  assert.equal(c.batchSize * c.gradAccum, 256);
  assert.deepEqual(c.snapshotSteps.map((s) => Math.round((s * tokensPerStep(c)) / 1e6)), [30, 100, 300]);
  assert.ok(c.steps * tokensPerStep(c) >= 1e9, 'up to 10⁹ tokens unless the time limit ends it');
});

test('a time-limited GPU pretraining, packed and imported beside the CPU ladder, adds its snapshots as arms', () => {
  const t = tempDir();
  try {
    const rng = seededRng(3);
    writeFileSync(join(t.path, 'genome.fa'), `>x\n${randomDna(60_000, rng)}\n`);
    const src = join(t.path, 'gpu');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/pretrain.ts', '--corpus', join(t.path, 'genome.fa'), '--config', 'ladder-gpu', '--batch-size', '2', '--valid-windows', '8', '--snapshot-steps', '2,4', '--max-minutes', '0.25', '--out', join(src, 'genome-gpu')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const done = readPretrainRecord(join(src, 'genome-gpu'))!;
    assert.ok(done.training.steps > 4 && done.training.steps < done.config.steps, `stopped by the time limit at step ${done.training.steps} of ${done.config.steps}`);
    assert.match(run.stdout, new RegExp(`done: ${done.training.steps} steps \\(the time limit; the configuration's 16,000\\)`));
    const snapshots = readdirSync(src).filter((f) => f.startsWith('genome-gpu-step')).sort();
    assert.deepEqual(snapshots, ['genome-gpu-step2', 'genome-gpu-step4', `genome-gpu-step${done.training.steps}`].sort(), 'the snapshot steps and the step the time limit ended on');

    // bench/gpu.sh's packing, then the import
    const out = join(t.path, 'out');
    mkdirSync(out);
    const pack = spawnSync('sh', ['-c', `tar -C "${src}" --exclude='*.checkpoint' --exclude='*.lock' -czf - . | split -b 15m - "${out}/pretrained.tar.gz.part-"`]);
    assert.equal(pack.status, 0);
    const ladderDir = join(t.path, 'results', 'pretrained', 'ladder');
    const cpu = join(ladderDir, 'genome-step75');
    mkdirSync(cpu, { recursive: true });
    writeFileSync(join(cpu, 'pretraining.json'), JSON.stringify({ ...done, config: resolvePretrainConfig('ladder'), training: { ...done.training, steps: 75 }, snapshotOf: 'results/pretrained/ladder/genome' }));
    const imp = spawnSync('make', ['-s', 'gpu-import', `GPU_OUT=${out}`, `LADDER_DIR=${ladderDir}`, `GPU_REPORT=${join(t.path, 'pretrain-gpu.md')}`], { encoding: 'utf8' });
    assert.equal(imp.status, 0, imp.stdout + imp.stderr);
    assert.match(imp.stdout, /^gpu-import: genome-gpu genome-gpu-step\d+ .*in /);
    assert.equal(existsSync(join(ladderDir, 'genome-gpu.checkpoint')), false, 'the resumable checkpoint stays behind');

    const arms = ladderArms(join(ladderDir, 'genome'));
    // by tokens: this tiny run's 2 windows a step against the CPU ladder's 16
    assert.deepEqual(arms.map((a) => a.arm), ['dnabert-random', 'dnabert-pretrained.genome-gpu-step2', 'dnabert-pretrained.genome-gpu-step4', `dnabert-pretrained.genome-gpu-step${done.training.steps}`, 'dnabert-pretrained.genome-step75']);
    const tokens = arms.map((a) => a.tokens);
    assert.deepEqual(tokens, [...tokens].sort((a, b) => a - b), 'ordered by tokens seen');
    assert.equal(arms.find((a) => a.arm === 'dnabert-pretrained.genome-gpu-step4')!.tokens, 4 * 2 * 246);
    assert.equal(arms.find((a) => a.arm === 'dnabert-pretrained.genome-step75')!.tokens, 75 * 16 * 246);
  } finally {
    t.cleanup();
  }
});
