/**
 * A full disk loses nothing: a record or checkpoint write that fails (ENOSPC, injected into the one
 * writer lib/atomic.ts uses) leaves the previous file or checkpoint intact, no partial file behind,
 * and an error naming the path.
 */
import { test, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { io, writeJsonAtomic, WriteError } from '../lib/atomic.js';
import { selectBackend } from '../lib/backend.js';
import { runExperiment } from '../lib/training/runner.js';
import { recordPath } from '../lib/records/run-record.js';
import { tempDir, writeToyTable } from './helpers.js';

const realWrite = io.writeFileSync;

/** A disk that fills up: writes half of the data, then fails with ENOSPC. */
function fullDisk(): void {
  io.writeFileSync = (path, data) => {
    realWrite(path, typeof data === 'string' ? data.slice(0, data.length / 2) : data.subarray(0, data.length / 2));
    throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC' });
  };
}

before(async () => {
  await selectBackend({ requested: 'cpu' });
});

afterEach(() => {
  io.writeFileSync = realWrite;
});

const leftovers = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.tmp-/.test(f));

test('a record write on a full disk keeps the previous record, leaves no partial file and names the path', () => {
  const t = tempDir();
  try {
    const path = join(t.path, 'runs', 'seed-1.json');
    writeJsonAtomic(path, { status: 'done', f1: 0.8 });
    const before = readFileSync(path, 'utf8');
    fullDisk();
    assert.throws(() => writeJsonAtomic(path, { status: 'done', f1: 0.9 }), (e: unknown) => {
      assert.ok(e instanceof WriteError);
      assert.equal((e as Error).message, `cannot write ${path}: ENOSPC (the disk is full); the previous version is intact; free space or fix the cause and run again`);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.deepEqual(leftovers(t.path), []);
    assert.throws(() => writeJsonAtomic(join(t.path, 'new.json'), {}), /cannot write .*new\.json: ENOSPC \(the disk is full\); nothing was written/);
    assert.equal(existsSync(join(t.path, 'new.json')), false);
  } finally {
    t.cleanup();
  }
});

test('a checkpoint write on a full disk keeps the previous checkpoint whole; the run fails naming the checkpoint and resumes from it later', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeToyTable(table, 160, { seed: 2 });
    const results = join(t.path, 'results');
    const spec = { dataset: table, model: 'dnabert-random' as const, seed: 1, profile: 'smoke', resultsDir: results, quiet: true };
    const ck = join(results, 'checkpoints', 'toy', 'smoke', 'dnabert-random', 'seed-1');
    // smoke checkpoints at every validation (steps 2, 4, …): the disk fills up after the first
    await assert.rejects(runExperiment({ ...spec, onStep: (s) => s === 3 && fullDisk() }), new RegExp(`cannot write ${ck.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ENOSPC \\(the disk is full\\); the previous version is intact`));
    io.writeFileSync = realWrite;
    assert.equal((JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8')) as { step: number }).step, 2);
    assert.deepEqual(readdirSync(ck).sort(), ['best.safetensors', 'optimizer.safetensors', 'state.json', 'weights.safetensors']);
    assert.deepEqual(leftovers(results), []);
    assert.equal(existsSync(recordPath(results, 'toy', 'smoke', 'dnabert-random', 1)), false);
    const { record } = await runExperiment(spec);
    assert.equal(record.training!.resumedFromStep, 2);
  } finally {
    t.cleanup();
  }
});
