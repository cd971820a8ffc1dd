/**
 * The Snakemake workflow (workflow/Snakefile): the full paper matrix as a dry run, a real local run of
 * the smoke profile, a job killed mid-run (no record; the rerun resumes from its checkpoint), and a
 * finished workflow that does nothing the second time. Needs snakemake (make setup installs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRng } from '../lib/random.js';
import { randomDna, tempDir } from './helpers.js';

const ROOT = new URL('..', import.meta.url).pathname;
const PROFILE = ['--profile', 'workflow/profiles/local', '--nolock', '--cores', '2'];

function snakemake(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('snakemake', [...PROFILE, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** --config values for a small run on a generated table. */
function smokeConfig(dir: string, extra: string[], backend = 'cpu'): string[] {
  return ['--config', `datasets=["${join(dir, 'toy.tsv')}"]`, 'profile=smoke', `results=${join(dir, 'results')}`, 'notebooks=false', `backend=${backend}`, ...extra];
}

function writeToy(dir: string): void {
  const rng = seededRng(5);
  const rows = ['seq\tlabel'];
  for (let i = 0; i < 160; i++) rows.push(`${randomDna(60, rng, i % 2 ? 'GGCCA' : 'AATTG')}\t${i % 2}`);
  writeFileSync(join(dir, 'toy.tsv'), rows.join('\n') + '\n');
}

/** The counts of Snakemake's "Job stats" table. */
function jobCounts(out: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const table = out.slice(out.indexOf('Job stats:'));
  for (const m of table.matchAll(/^(\w+)\s+(\d+)\s+\d+\s+\d+$/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

test('dry run of the paper matrix: 75 runs after 5 downloads, then Table 2 and the notebooks', () => {
  const t = tempDir();
  try {
    const r = snakemake(['-n', '--config', `results=${join(t.path, 'results')}`, `data_root=${join(t.path, 'data')}`]);
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(jobCounts(r.out), { aggregate: 1, all: 1, download: 5, notebooks: 1, run: 75, total: 83 });
    assert.match(r.out, /experiment\.ts --dataset \S+\/data\/human_enhancers_cohn --model dnabert-pretrained --seeds 5 --profile paper/);
    // a pretraining corpus adds its run, and the pretrained arm is named after its checkpoint
    const p = snakemake(['-n', '--config', `results=${join(t.path, 'results')}`, `data_root=${join(t.path, 'data')}`, 'pretraining={"corpus": "genome.fa", "config": "paper", "steps": 0, "tag": "genome"}']);
    assert.equal(p.status, 0, p.out);
    assert.equal(jobCounts(p.out).pretrain, 1);
    assert.match(p.out, /runs\/human_nontata_promoters\/paper\/dnabert-pretrained\.genome\/seed-1\.json/);
    assert.match(p.out, /--pretrained \S+\/pretrained\/paper\/genome/);
  } finally {
    t.cleanup();
  }
});

test('a local smoke run writes the records and Table 2; a second run does nothing', () => {
  const t = tempDir();
  try {
    writeToy(t.path);
    // the native kernels (make setup builds them): seconds per run, where the cpu backend takes 20 s
    const r = snakemake(smokeConfig(t.path, ['models=[cnn]', 'seeds=[1,2]'], 'native'));
    assert.equal(r.status, 0, r.out);
    for (const seed of [1, 2]) {
      const rec = JSON.parse(readFileSync(join(t.path, 'results', 'runs', 'toy', 'smoke', 'cnn', `seed-${seed}.json`), 'utf8'));
      assert.equal(rec.status, 'done');
      assert.equal(rec.backend.name, 'native');
    }
    for (const ext of ['md', 'csv', 'svg', 'png']) assert.ok(existsSync(join(t.path, 'results', `table2-smoke.${ext}`)), `table2-smoke.${ext}`);
    assert.match(readFileSync(join(t.path, 'results', 'table2-smoke.md'), 'utf8'), /\| toy \| \d+\.\d ± \d+\.\d \|/);
    const again = snakemake(smokeConfig(t.path, ['models=[cnn]', 'seeds=[1,2]'], 'native'));
    assert.equal(again.status, 0, again.out);
    assert.match(again.out, /Nothing to be done/);
  } finally {
    t.cleanup();
  }
});

test('a job killed mid-run leaves no record, and the rerun resumes it from its checkpoint', async () => {
  const t = tempDir();
  try {
    writeToy(t.path);
    const args = [...PROFILE, ...smokeConfig(t.path, ['models=[dnabert-random]', 'seeds=[1]', 'retries=0'])];
    const results = join(t.path, 'results');
    const state = join(results, 'checkpoints', 'toy', 'smoke', 'dnabert-random', 'seed-1', 'state.json');
    const record = join(results, 'runs', 'toy', 'smoke', 'dnabert-random', 'seed-1.json');
    const child = spawn('snakemake', args, { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => child.on('close', done));
    // kill the run itself (as a scheduler or a failing node would) once it has written a checkpoint; on the
    // cpu backend the run takes long enough to be caught between its first checkpoint and its end
    const t0 = Date.now();
    while (!existsSync(state) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(existsSync(state), 'the run wrote a checkpoint');
    execFileSync('pkill', ['-KILL', '-f', `lib/cli/experiment.ts .*--results ${results}`]);
    assert.notEqual(await exited, 0, 'the workflow reports the failed job');
    assert.ok(!existsSync(record), 'no record of a killed run');
    const rerun = snakemake(args.slice(PROFILE.length));
    assert.equal(rerun.status, 0, rerun.out);
    const rec = JSON.parse(readFileSync(record, 'utf8'));
    assert.equal(rec.status, 'done');
    assert.ok(rec.training.resumedFromStep > 0, `resumed from step ${rec.training.resumedFromStep}`);
    assert.match(snakemake(args.slice(PROFILE.length)).out, /Nothing to be done/);
  } finally {
    t.cleanup();
  }
});

test('config checks: gpus=false drops the GPU request, --config resources may be text, oversized requests and bad numbers are named', () => {
  const t = tempDir();
  try {
    const base = ['-n', '--config', `results=${join(t.path, 'results')}`, `data_root=${join(t.path, 'data')}`, 'models=[dnabert-random]', 'seeds=[1]', 'datasets=[human_nontata_promoters]'];
    const gpu = snakemake(base);
    assert.equal(gpu.status, 0, gpu.out);
    assert.match(gpu.out, /slurm_extra=--gres=gpu:1/);
    const cpu = snakemake([...base, 'gpus=false']);
    assert.equal(cpu.status, 0, cpu.out);
    assert.doesNotMatch(cpu.out, /--gres/);
    // --config passes nested values on as text: they are read as numbers
    const text = snakemake([...base, `resources={"dnabert-random": {"threads": "1", "mem_mb": "1234", "runtime": "10", "gpu": "0"}}`]);
    assert.equal(text.status, 0, text.out);
    assert.match(text.out, /mem_mb=1234, .*runtime=10/);
    const big = snakemake([...base, 'max_threads=2']);
    assert.notEqual(big.status, 0);
    assert.match(big.out, /config resources\.\S+\.threads: \d+ threads, but max_threads is 2/);
    const bad = snakemake([...base, `resources={"dnabert-random": {"threads": "four", "mem_mb": 1, "runtime": 1, "gpu": 0}}`]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.out, /config resources\.dnabert-random\.threads: 'four' is not a whole number/);
  } finally {
    t.cleanup();
  }
});
