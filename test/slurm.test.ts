/**
 * The workflow's Slurm profile against a real one-node Slurm cluster started on this machine
 * (workflow/slurm/one-node.sh: Debian's slurmctld, slurmd and munged, configured under a temporary
 * folder): the smoke matrix goes through sbatch and its records land; a second invocation does nothing;
 * a job cancelled with scancel after a checkpoint saves at the step it was at and its retry resumes
 * from exactly there. Skipped, with the reason, where Slurm is not installed or cannot start (not root),
 * except under CI=true, where that fails the test; `make test` installs it (make setup-cluster-test), so
 * there it runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRng } from '../lib/random.js';
import { randomDna, tempDir, unmet } from './helpers.js';

const ROOT = new URL('..', import.meta.url).pathname;
const CLUSTER = join(ROOT, 'workflow', 'slurm', 'one-node.sh');

const t = tempDir('dnabert-slurm-');
let env: NodeJS.ProcessEnv = process.env;
let skip: string | false = false;

function missing(): string | false {
  if (process.getuid?.() !== 0) return 'the one-node cluster runs its daemons as root';
  for (const b of ['slurmctld', 'slurmd', 'munged', 'sbatch', 'snakemake']) {
    if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0) return `${b} is not installed (make setup-cluster-test)`;
  }
  return false;
}

before(() => {
  skip = missing();
  if (skip) return;
  const r = spawnSync(CLUSTER, ['start', join(t.path, 'cluster')], { encoding: 'utf8' });
  if (r.status !== 0) {
    skip = `the one-node cluster did not start: ${r.stderr.trim()}`;
    return;
  }
  env = { ...process.env, SLURM_CONF: join(t.path, 'cluster', 'slurm.conf') };
  // the Slurm executor needs USER, which batch shells and containers may lack: the Snakefile defaults it
  delete env.USER;
});

after(() => {
  if (existsSync(join(t.path, 'cluster'))) spawnSync(CLUSTER, ['stop', join(t.path, 'cluster')]);
  t.cleanup();
});

function writeToy(path: string): void {
  const rng = seededRng(5);
  const rows = ['seq\tlabel'];
  for (let i = 0; i < 160; i++) rows.push(`${randomDna(60, rng, i % 2 ? 'GGCCA' : 'AATTG')}\t${i % 2}`);
  writeFileSync(path, rows.join('\n') + '\n');
}

/** The profile's command line as README shows it, for a CPU-only cluster: no GPU request, this node's size. */
function args(results: string, extra: string[]): string[] {
  const resources = join(t.path, 'resources.yaml');
  writeFileSync(
    resources,
    'resources:\n' +
      ['cnn', 'dnabert-random', 'dnabert-pretrained', 'pretraining'].map((m) => `  ${m}: {threads: 1, mem_mb: 2000, runtime: 10, gpu: ${m === 'cnn' ? 0 : 1}}\n`).join(''),
  );
  return [
    '--profile', 'workflow/profiles/slurm', '--nolock', '--latency-wait', '5', '--configfile', resources,
    '--config', `datasets=["${join(t.path, 'toy.tsv')}"]`, 'profile=smoke', `results=${results}`, 'notebooks=false', 'gpus=false', 'max_threads=2', ...extra,
  ];
}

function snakemake(a: string[]): { status: number | null; out: string; seconds: number } {
  const t0 = Date.now();
  const r = spawnSync('snakemake', a, { cwd: ROOT, encoding: 'utf8', env });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, seconds: (Date.now() - t0) / 1000 };
}

test('the smoke matrix through sbatch: records land, no --gres with gpus=false, a second invocation does nothing', (c) => {
  if (unmet(c, skip)) return;
  writeToy(join(t.path, 'toy.tsv'));
  const results = join(t.path, 'results');
  const r = snakemake(args(results, ['models=[cnn,dnabert-random]', 'seeds=[1]', 'backend=native']));
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /submitted with SLURM jobid \d+/);
  assert.doesNotMatch(r.out, /--gres/);
  for (const arm of ['cnn', 'dnabert-random']) {
    const rec = JSON.parse(readFileSync(join(results, 'runs', 'toy', 'smoke', arm, 'seed-1.json'), 'utf8'));
    assert.equal(rec.status, 'done', arm);
  }
  console.log(`slurm: 2 runs and Table 2 through sbatch in ${r.seconds.toFixed(1)} s`);
  const again = snakemake(args(results, ['models=[cnn,dnabert-random]', 'seeds=[1]', 'backend=native']));
  assert.equal(again.status, 0, again.out);
  assert.match(again.out, /Nothing to be done/);
});

test('a request larger than the node is refused before submission, naming the key', (c) => {
  if (unmet(c, skip)) return;
  const r = snakemake([...args(join(t.path, 'big'), ['models=[cnn]', 'seeds=[1]']), 'max_threads=1', '-n']);
  assert.equal(r.status, 0, r.out); // every request is 1 thread
  const big = snakemake([...args(join(t.path, 'big'), ['models=[cnn]', 'seeds=[1]']), 'resources={cnn: {threads: 4, mem_mb: 2000, runtime: 10, gpu: 0}}']);
  assert.notEqual(big.status, 0);
  assert.match(big.out, /config resources\.cnn\.threads: 4 threads, but max_threads is 2/);
});

test('scancel after a checkpoint: the job saves at the step it was at, and the rerun resumes from exactly that step', async (c) => {
  if (unmet(c, skip)) return;
  writeToy(join(t.path, 'toy.tsv'));
  const results = join(t.path, 'cancel');
  const state = join(results, 'checkpoints', 'toy', 'smoke', 'dnabert-random', 'seed-1', 'state.json');
  const record = join(results, 'runs', 'toy', 'smoke', 'dnabert-random', 'seed-1.json');
  // the cpu backend: slow enough to be caught between its first checkpoint and its end
  const a = args(results, ['models=[dnabert-random]', 'seeds=[1]', 'backend=cpu', 'retries=0']);
  const child = spawn('snakemake', a, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((done) => child.on('close', done));
  const t0 = Date.now();
  while (!existsSync(state) && Date.now() - t0 < 180_000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(state), `the run wrote a checkpoint\n${out}`);
  const job = /submitted with SLURM jobid (\d+)/.exec(out)?.[1];
  assert.ok(job, out);
  const before = JSON.parse(readFileSync(state, 'utf8')).step as number;
  await new Promise((r) => setTimeout(r, 1500)); // a step or two past that checkpoint
  assert.equal(spawnSync('scancel', [job!], { env }).status, 0);
  assert.notEqual(await exited, 0, 'the workflow reports the cancelled job');
  assert.ok(!existsSync(record), 'no record of a cancelled run');
  // SIGTERM: the run saved a checkpoint at the step it was at, at or after the periodic one seen before
  const saved = JSON.parse(readFileSync(state, 'utf8')) as { step: number; history: { step: number }[] };
  assert.ok(saved.step >= before, `checkpoint at step ${saved.step}, ${before} before scancel`);
  const rerun = snakemake(a);
  assert.equal(rerun.status, 0, rerun.out);
  const rec = JSON.parse(readFileSync(record, 'utf8'));
  assert.equal(rec.status, 'done');
  assert.equal(rec.training.resumedFromStep, saved.step, 'the rerun resumed from the step the cancelled job saved');
  console.log(`slurm: job ${job} cancelled at step ${saved.step} (last periodic checkpoint seen: step ${before}; last validation: step ${saved.history.at(-1)?.step}); the rerun resumed from step ${rec.training.resumedFromStep}, finished at step ${rec.training.steps} in ${rerun.seconds.toFixed(1)} s`);
  assert.match(snakemake(a).out, /Nothing to be done/);
});
