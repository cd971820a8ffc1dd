/**
 * SIGTERM and SIGINT (a scheduler's time limit, Ctrl-C) save before exiting: the run writes a checkpoint
 * at its current step, no record, one line saying so, and exits non-zero (143 / 130); the same command
 * run again resumes from exactly that step.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../lib/backend.js';
import { runExperiment } from '../lib/training/runner.js';
import { recordPath } from '../lib/records/run-record.js';
import { clearStopRequest, InterruptedError, requestStop } from '../lib/training/stop.js';
import { tempDir, writeToyTable } from './helpers.js';

before(async () => {
  await selectBackend({ requested: 'cpu' });
});

const writeTable = (path: string, n: number, length = 60) => writeToyTable(path, n, { length, seed: 5 });

const state = (results: string, model: string) => JSON.parse(readFileSync(join(results, 'checkpoints', 'toy', 'smoke', model, 'seed-1', 'state.json'), 'utf8')) as { step: number };

test('a stop asked for mid-run saves a checkpoint at that step and writes no record; the rerun resumes from exactly that step', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeTable(table, 160);
    const results = join(t.path, 'results');
    const spec = { dataset: table, model: 'dnabert-random' as const, seed: 1, profile: 'smoke', resultsDir: results, quiet: true };
    await assert.rejects(runExperiment({ ...spec, onStep: (s) => s === 3 && requestStop('SIGTERM') }), (e: unknown) => {
      assert.ok(e instanceof InterruptedError);
      assert.equal((e as InterruptedError).step, 3);
      assert.match((e as Error).message, /^interrupted by SIGTERM at step 3: checkpoint saved in .*checkpoints\/toy\/smoke\/dnabert-random\/seed-1; no record written; run the same command again to resume from step 3$/);
      return true;
    });
    clearStopRequest();
    assert.equal(state(results, 'dnabert-random').step, 3);
    assert.equal(existsSync(recordPath(results, 'toy', 'smoke', 'dnabert-random', 1)), false, 'no record');
    const { record } = await runExperiment(spec);
    assert.equal(record.status, 'done');
    assert.equal(record.training!.resumedFromStep, 3);
    // the same run uninterrupted ends with the same metrics
    const whole = await runExperiment({ ...spec, resultsDir: join(t.path, 'whole') });
    assert.equal(record.test!.f1, whole.record.test!.f1);
    assert.deepEqual(record.training!.history.map((h) => h.validLoss), whole.record.training!.history.map((h) => h.validLoss));
  } finally {
    clearStopRequest();
    t.cleanup();
  }
});

test('npm run experiment on SIGTERM (twice at once, as npm forwarding beside a scheduler sends it): one line, checkpoint at the current step, exit 143; run again: resumes from that step', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeTable(table, 1200, 200);
    const results = join(t.path, 'results');
    const args = ['--import', 'tsx', 'lib/cli/experiment.ts', '--dataset', table, '--model', 'dnabert-random', '--seeds', '1', '--profile', 'smoke', '--results', results];
    const env = { ...process.env, DNABERT_BACKEND: 'cpu', DNABERT_PROGRESS_EVERY: '1' };
    const child = spawn(process.execPath, args, { env });
    let out = '';
    let sent = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      // after the first step's progress line: the handlers are installed and training is under way
      if (!sent && /train: \d+% \(\d+\/\d+ steps/.test(out)) {
        sent = true;
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGTERM'), 5);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.ok(sent, `the run reached training: ${out.slice(-500)}`);
    assert.equal(code, 143, out.slice(-800));
    assert.match(out, /SIGTERM: saving a checkpoint at the current step, then stopping/);
    const line = out.match(/error: interrupted by SIGTERM at step (\d+): checkpoint saved in .*; no record written; run the same command again to resume from step \1/);
    assert.ok(line, out.slice(-800));
    const step = Number(line![1]);
    assert.equal(state(results, 'dnabert-random').step, step);
    assert.equal(existsSync(recordPath(results, 'toy', 'smoke', 'dnabert-random', 1)), false);
    const again = spawn(process.execPath, args, { env });
    assert.equal(await new Promise<number | null>((r) => again.on('close', (c) => r(c))), 0);
    const record = JSON.parse(readFileSync(recordPath(results, 'toy', 'smoke', 'dnabert-random', 1), 'utf8')) as { status: string; training: { resumedFromStep: number } };
    assert.equal(record.status, 'done');
    assert.equal(record.training.resumedFromStep, step);
  } finally {
    t.cleanup();
  }
});
