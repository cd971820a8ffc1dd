/**
 * One writer per run: a second process for the same run is refused, naming the holder, with exit
 * status 75; a lock whose process is gone is taken over with a line saying so; the lock goes with the run.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { selectBackend } from '../lib/backend.js';
import { runExperiment } from '../lib/training/runner.js';
import { recordPath } from '../lib/records/run-record.js';
import { acquireRunLock, RunLockedError } from '../lib/training/lock.js';
import { tempDir, writeToyTable } from './helpers.js';

before(async () => {
  await selectBackend({ requested: 'cpu' });
});

test('a run held by a live process is refused naming it (exit 75 from the command); a dead holder\'s lock is taken over; the lock goes with the run', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeToyTable(table, 160);
    const results = join(t.path, 'results');
    const lock = join(results, 'checkpoints', 'toy', 'smoke', 'cnn', 'seed-1.lock');
    mkdirSync(dirname(lock), { recursive: true });
    // held by this (live) process, as a second job would find it
    writeFileSync(lock, JSON.stringify({ host: hostname(), pid: process.pid, since: '2026-12-01T00:00:00.000Z' }));
    const spec = { dataset: table, model: 'cnn' as const, seed: 1, profile: 'smoke', resultsDir: results, quiet: true };
    await assert.rejects(runExperiment(spec), (e: unknown) => {
      assert.ok(e instanceof RunLockedError);
      assert.match((e as Error).message, new RegExp(`seed-1\\.lock: this run is being trained by pid ${process.pid} on ${hostname()} \\(since 2026-12-01T00:00:00\\.000Z\\); not starting a second copy`));
      return true;
    });
    const cli = await new Promise<{ code: number; stderr: string }>((r) =>
      execFile(process.execPath, ['--import', 'tsx', 'lib/cli/experiment.ts', '--dataset', table, '--model', 'cnn', '--seeds', '1', '--profile', 'smoke', '--results', results], (err, _out, stderr) => r({ code: err ? Number((err as { code?: number }).code) : 0, stderr })),
    );
    assert.equal(cli.code, 75, cli.stderr);
    assert.match(cli.stderr, /error: .*this run is being trained by pid \d+/);
    assert.equal(existsSync(recordPath(results, 'toy', 'smoke', 'cnn', 1)), false);

    // a holder that has exited: its lock is taken over, and the run goes through and removes the lock
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(lock, JSON.stringify({ host: hostname(), pid: Number(gone), since: '2026-12-01T00:00:00.000Z' }));
    const lines: string[] = [];
    const saved = console.error;
    console.error = (l: string) => lines.push(l);
    try {
      const { record } = await runExperiment(spec);
      assert.equal(record.status, 'done');
    } finally {
      console.error = saved;
    }
    assert.ok(lines.some((l) => new RegExp(`taking over the lock of pid ${gone} on ${hostname()} \\(that process is gone\\)`).test(l)), lines.join('\n'));
    assert.equal(existsSync(lock), false, 'released with the run');
    const release = acquireRunLock(lock);
    assert.throws(() => acquireRunLock(lock), RunLockedError);
    release();
    assert.equal(existsSync(lock), false);
  } finally {
    t.cleanup();
  }
});
