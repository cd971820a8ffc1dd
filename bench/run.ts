/**
 * `make bench`: the project's speed and memory goals, measured in one run and printed as a table
 * (also written to results/bench.md with the machine it ran on).
 *
 *   1. tokenizer: 100,000 sequences of 200 bp → id and mask arrays (goal < 2 s);
 *   2. loading a generated dataset the size of human_enhancers_ensembl, 154,842 sequences of 2–573 bp
 *      (goal < 10 s, < 1 GB RSS);
 *   3. training throughput (forward + backward + AdamW) for the CNN, small BERT and BERT-base on each
 *      available tfjs backend, and for the small BERT as a masked language model on the native backend,
 *      beside PyTorch on the same CPU when Debian's torch is installed;
 *   3b. the torch backend's calls into its addon per training step, by kind (bench/calls.ts);
 *   4. scanning throughput of `npm run predict` (bases/s over a generated FASTA, full-length windows,
 *      stride half a window) for the CNN, small BERT and BERT-base;
 *   5. the same scanning in the browser page (web/) on wasm and webgl, in headless Chromium.
 *
 * BENCH_QUICK=1 skips BERT-base (both shapes), whose steps take minutes on the JavaScript backends; BENCH_REPEAT
 * (default 3) sets how many times the native path and PyTorch are measured. A part of it:
 * BENCH_SECTIONS (of tokenizer, load, throughput, calls, scan, web), BENCH_WORKLOADS (e.g.
 * cnn,bert-deep-narrow) and BENCH_BACKENDS (of native, torch, wasm, cpu; PyTorch always runs); a partial
 * run writes build/bench-partial.md, not results/bench.md (BENCH_OUT: another file).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { tokenizeBatch } from '../lib/models/tokenizer.js';
import { seededRng } from '../lib/random.js';
import { encodeDna } from '../lib/data/dna.js';
import { randomDna } from '../test/helpers.js';
import { WORKLOADS, type Workload } from './workloads.js';
import { gitState } from '../lib/git.js';
import { TORCH_GOMP_SPINCOUNT } from '../lib/torch/addon.js';

const only = (name: string): string[] | null => (process.env[name] ? process.env[name]!.split(',').map((x) => x.trim()) : null);
const SECTIONS = only('BENCH_SECTIONS'), ONLY_WORKLOADS = only('BENCH_WORKLOADS'), ONLY_BACKENDS = only('BENCH_BACKENDS');
const section = (name: string) => !SECTIONS || SECTIONS.includes(name);
const workloadOn = (w: string) => !ONLY_WORKLOADS || ONLY_WORKLOADS.includes(w);
const backendOn = (b: string) => !ONLY_BACKENDS || ONLY_BACKENDS.includes(b);
for (const w of ONLY_WORKLOADS ?? []) if (!(w in WORKLOADS)) throw new Error(`BENCH_WORKLOADS: no workload '${w}'; workloads: ${Object.keys(WORKLOADS).join(', ')}`);

const lines: string[] = [];
const say = (s: string) => {
  console.log(s);
  lines.push(s);
};

function tokenizerBench(): void {
  const rng = seededRng(1);
  const seqs = Array.from({ length: 100_000 }, () => encodeDna(randomDna(200, rng), 'bench'));
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    tokenizeBatch(seqs, { k: 6, maxLen: 200 });
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  say(`| tokenizer: 100,000 × 200 bp → ids + mask (6-mers, maxLen 200) | ${times[2].toFixed(3)} s (median of 5) | goal < 2 s |`);
}

function dataLoadBench(): void {
  const root = join(tmpdir(), 'dnabert-bench-data');
  const name = 'generated_enhancers_ensembl_size';
  if (!existsSync(join(root, name, 'test'))) {
    console.log('generating 154,842 sequence files (once; kept in the temp folder)…');
    const rng = seededRng(2);
    const counts = { train: { negative: 61936, positive: 61936 }, test: { negative: 15485, positive: 15485 } };
    for (const split of ['train', 'test'] as const) {
      for (const [cls, n] of Object.entries(counts[split])) {
        const dir = join(root, name, split, cls);
        mkdirSync(dir, { recursive: true });
        for (let i = 0; i < n; i++) {
          // lengths 2–573 around a median of ~269
          const len = Math.max(2, Math.min(573, Math.round(269 + 90 * (rng() + rng() + rng() - 1.5) * 2)));
          writeFileSync(join(dir, `${i}.txt`), randomDna(len, rng));
        }
      }
    }
  }
  const runs: { seconds: number; peakRssGB: number; sequences: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/data_load.ts', root, name], { encoding: 'utf8' });
    runs.push(JSON.parse(out.trim().split('\n').pop()!));
  }
  runs.sort((a, b) => a.seconds - b.seconds);
  const m = runs[1];
  say(`| load ${m.sequences.toLocaleString('en')} sequences (human_enhancers_ensembl size, folder layout) | ${m.seconds.toFixed(2)} s, ${m.peakRssGB.toFixed(2)} GB peak RSS (median of 3) | goal < 10 s, < 1 GB |`);
}

interface Throughput {
  workload: string;
  backend: string;
  seqPerSec: number;
  stepSeconds: number;
  peakRssGB: number;
}

/** Run a measurement process; its last stdout line is JSON, or the result is the reason it failed. */
function run<T>(cmd: string, args: string[], timeoutS: number, env: NodeJS.ProcessEnv = process.env): T | string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 * 2 ** 20, env });
  if (r.error) return `failed (${(r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `over ${timeoutS} s` : r.error.message})`;
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    const lines = (r.stderr ?? '').split('\n');
    const err = lines.find((l) => /^\w*Error: /.test(l)) ?? lines.find((l) => /^(RuntimeError|Aborted)|out of memory/i.test(l)) ?? `exit ${r.status}`;
    return `failed: ${err.slice(0, 120)}`;
  }
}

/** Median by seq/s of several measurements (each a median over its own timed steps); peak RSS is the largest. */
function medianRun(rs: (Throughput | string)[]): { r: Throughput; runs: string } | string {
  const ok = rs.filter((r): r is Throughput => typeof r !== 'string');
  if (ok.length === 0) return rs[0] as string;
  const sorted = [...ok].sort((a, b) => a.seqPerSec - b.seqPerSec);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  const runs = rs.map((r) => (typeof r === 'string' ? 'failed' : r.seqPerSec.toFixed(2))).join(', ');
  return { r: { ...mid, peakRssGB: Math.max(...ok.map((r) => r.peakRssGB)) }, runs };
}

const hasTorchAddon = existsSync('torch/build/dnabert_torch.node');
/** Intra-op thread counts PyTorch (and the torch backend) are measured at: BENCH_THREADS, default 1 and every core. */
const THREADS = [...new Set((process.env.BENCH_THREADS ?? `1,${cpus().length}`).split(',').map((x) => Number(x.trim())))].sort((a, b) => a - b);
for (const t of THREADS) if (!Number.isInteger(t) || t < 1) throw new Error(`BENCH_THREADS=${process.env.BENCH_THREADS}: use thread counts of 1 or more, comma-separated`);

/** PyTorch runs with the OpenMP spin count the torch backend sets for itself (lib/torch/addon.ts), so both sides share libgomp's settings. */
const PYTORCH_ENV: NodeJS.ProcessEnv = process.env.GOMP_SPINCOUNT !== undefined || process.env.OMP_WAIT_POLICY !== undefined ? process.env : { ...process.env, GOMP_SPINCOUNT: String(TORCH_GOMP_SPINCOUNT) };

/**
 * PyTorch's CPU allocator hands large tensors back to the system on free, so every step's attention
 * tensors page-fault in afresh; glibc kept from returning memory (no mmap for large blocks, no trim) avoids
 * that, as our native backend's buffer reuse does. It helps long sequences and can hurt short ones, so
 * PyTorch runs both ways and the faster counts.
 */
const PYTORCH_HEAP_ENV: NodeJS.ProcessEnv = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: String(2 ** 36) };
const PYTORCH_SETTINGS = [
  { label: '', env: PYTORCH_ENV },
  { label: ', glibc heap', env: { ...PYTORCH_ENV, ...PYTORCH_HEAP_ENV } },
];

function throughputBench(): void {
  const workloads = (Object.keys(WORKLOADS) as Workload[]).filter((w) => !(process.env.BENCH_QUICK && w.startsWith('bert-base')) && workloadOn(w));
  // from outside the repository: its torch/ folder (the addon's sources) would import as an empty package
  const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch; torch.__version__'], { encoding: 'utf8', cwd: tmpdir() }).status === 0;
  const repeats = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
  say('');
  say('Training step = forward + backward + AdamW update. Each run times steps after one warm-up step (CNN 30, small BERT 5,');
  say(`BERT-base 3 at 256 tokens, 2 at 512; the cpu backend 5 / 1 / 1, BERT-base capped at 600 s) and reports its median step. Our backends and PyTorch`);
  say(`run ${repeats} times each, interleaved; seq/s is the median run (all runs listed), peak RSS the largest. PyTorch runs at`);
  say(`${THREADS.join(' and ')} intra-op thread(s) (BENCH_THREADS), the torch backend at each of them against PyTorch at the same`);
  say('count; native, wasm and cpu (their own threading, every core) against the fastest PyTorch setting. PyTorch runs with');
  say(`the OpenMP spin count the torch backend sets for itself (GOMP_SPINCOUNT=${PYTORCH_ENV.GOMP_SPINCOUNT ?? 'unset'}${PYTORCH_ENV.OMP_WAIT_POLICY ? `, OMP_WAIT_POLICY=${PYTORCH_ENV.OMP_WAIT_POLICY}` : ''}), with`);
  say('its default allocator and with glibc kept from returning memory ("glibc heap": MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_=2^36);');
  say('the fastest PyTorch row is the reference.');
  say('');
  say('| workload | backend | seq/s | runs (seq/s) | step (s) | peak RSS (GB) | ours / PyTorch |');
  say('|---|---|---|---|---|---|---|');
  const row = (w: Workload, name: string, m: { r: Throughput; runs: string } | string, ratio: string) =>
    say(typeof m === 'string' ? `| ${WORKLOADS[w].what} | ${name} | ${m} | | | | |` : `| ${WORKLOADS[w].what} | ${name} | ${m.r.seqPerSec.toFixed(2)} | ${m.runs} | ${m.r.stepSeconds.toFixed(2)} | ${m.r.peakRssGB.toFixed(2)} | ${ratio} |`);
  for (const w of workloads) {
    // timed steps after one warm-up step; the JavaScript backend takes minutes per BERT step
    const steps = (backend: string) => String(w === 'cnn' || w === 'bert-deep-narrow' ? (backend === 'cpu' ? 5 : 30) : backend === 'cpu' ? 1 : w === 'bert-base-512' ? 2 : w === 'bert-base' ? 3 : 5);
    // a cap per measurement: one BERT-base step on the JavaScript backend runs for over 50 minutes
    const cap = (backend: string) => (backend === 'cpu' && w === 'bert-base' ? 600 : 3600);
    const ours = (backend: string, env?: NodeJS.ProcessEnv) => run<Throughput>(process.execPath, ['--import', 'tsx', 'bench/throughput.ts', w, backend, steps(backend)], cap(backend), env);
    const threads = (t: number) => `${t} thread${t === 1 ? '' : 's'}`;
    const refs = new Map<string, (Throughput | string)[]>(), torches = new Map<number, (Throughput | string)[]>();
    const natives: (Throughput | string)[] = [];
    for (let i = 0; i < repeats; i++) {
      for (const t of THREADS) {
        for (const setting of PYTORCH_SETTINGS) {
          const r = hasTorch ? run<Throughput>('/usr/bin/python3', ['bench/torch_throughput.py', w, steps('torch'), '--threads', String(t)], 1800, setting.env) : 'torch not installed (make setup-reference)';
          const key = `${threads(t)}${setting.label}`;
          refs.set(key, [...(refs.get(key) ?? []), r]);
        }
        // the torch backend over the same libtorch version as PyTorch here, at the same thread count: what is left is host-side cost
        if (backendOn('torch')) torches.set(t, [...(torches.get(t) ?? []), hasTorchAddon ? ours('torch', { ...process.env, DNABERT_TORCH_THREADS: String(t) }) : 'torch addon not built (make torch)']);
      }
      if (backendOn('native')) natives.push(ours('native'));
    }
    const ref = new Map([...refs].map(([t, rs]) => [t, medianRun(rs)] as const));
    const rate = (m: { r: Throughput } | string | undefined) => (m && typeof m !== 'string' ? m.r.seqPerSec : null);
    // at one thread count: PyTorch's faster allocator setting
    const refAt = (t: number) => Math.max(0, ...PYTORCH_SETTINGS.map((s) => rate(ref.get(`${threads(t)}${s.label}`)) ?? 0)) || null;
    // PyTorch's faster thread setting is the reference for our own kernels
    const best = Math.max(0, ...[...ref.values()].map((m) => rate(m) ?? 0)) || null;
    const ratio = (m: { r: Throughput } | string, against: number | null) => (rate(m) && against ? (rate(m)! / against).toFixed(2) + '×' : '—');
    if (natives.length) {
      const native = medianRun(natives);
      row(w, 'native', native, ratio(native, best));
    }
    for (const [t, rs] of torches) {
      const m = medianRun(rs);
      row(w, `torch (libtorch ${threads(t)})`, m, `${ratio(m, refAt(t))} (same threads)`);
    }
    // a masked LM is its classifier with another head, and 495 tokens the quick BERT at twice the length: their JavaScript-backend rows would repeat those
    for (const backend of ['mlm-small', 'mlm-quick', 'bert-quick-495', 'bert-base-512'].includes(w) ? [] : ['wasm', 'cpu'].filter(backendOn)) {
      const m = medianRun([ours(backend)]);
      row(w, backend, m, ratio(m, best));
    }
    for (const [t, m] of ref) row(w, typeof m === 'string' ? `PyTorch (${t})` : `${m.r.backend} (${t})`, m, rate(m) === best ? '1.00× (the fastest)' : ratio(m, best));
  }
}

/** Addon calls per torch-backend training step (bench/calls.ts): the per-call cost the fused ops are to remove. */
function callsBench(): void {
  if (!hasTorchAddon) return;
  say('');
  say('Torch backend: calls into the addon per optimizer step as the trainer takes it (gradients accumulated over the micro-batches,');
  say('clipped to norm 1, AdamW; mean of 3 steps after a warm-up step; DNABERT_TORCH_CALLS=1), by method, the most frequent kernels,');
  say('the tensors the addon holds before a step and at the end of a forward pass, and where a step\'s wall time goes: inside addon');
  say('calls (ATen\'s work; the three largest methods) and outside them (JavaScript: TensorFlow.js\'s engine and tape, our ops).');
  say('');
  say('| workload | micro-batches | calls / step | op | fused | backward | meta | free | create | top kernels | live tensors (before → after forward) | step (ms) | in the addon (ms) | outside it (ms) |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|---:|');
  const rows: [Workload, number][] = [['cnn', 1], ['bert-deep-narrow', 1], ['bert-small', 1], ['bert-small', 4], ['bert-base', 1]];
  for (const [w, micro] of rows) {
    if ((process.env.BENCH_QUICK && w === 'bert-base') || !workloadOn(w)) continue;
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/calls.ts', w, '3', String(micro)], { encoding: 'utf8', env: { ...process.env, DNABERT_TORCH_CALLS: '1' }, timeout: 900_000 });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('{'));
    if (!line) {
      say(`| ${WORKLOADS[w].what} | ${micro} | failed: ${(r.stderr ?? '').trim().split('\n').pop()} | | | | | | | | | | | |`);
      continue;
    }
    const c = JSON.parse(line) as { callsPerStep: number; methods: Record<string, number>; topKernels: [string, number][]; liveHandles: { beforeStep: number; afterForward: number }; stepMs: number; addonMs: number; outsideAddonMs: number; msByMethod: Record<string, number> };
    const m = (k: string) => String(c.methods[k] ?? 0);
    const ms = (x: number) => x.toLocaleString('en', { maximumFractionDigits: x < 100 ? 1 : 0 });
    const inAddon = `${ms(c.addonMs)} (${Object.entries(c.msByMethod).slice(0, 3).map(([k, x]) => `${k} ${ms(x)}`).join(', ')})`;
    say(`| ${WORKLOADS[w].what} | ${micro} | ${c.callsPerStep.toLocaleString('en')} | ${m('op')} | ${m('fused')} | ${m('backward')} | ${m('meta')} | ${m('free')} | ${m('create')} | ${c.topKernels.slice(0, 5).map(([k, n]) => `${k} ${n}`).join(', ')} | ${c.liveHandles.beforeStep} → ${c.liveHandles.afterForward} | ${ms(c.stepMs)} | ${inAddon} | ${ms(c.outsideAddonMs)} |`);
  }
}

function scanBench(): void {
  const workloads = (['cnn', 'bert-small', 'bert-base'] as const).filter((w) => !(process.env.BENCH_QUICK && w === 'bert-base'));
  const kb: Record<string, string> = { cnn: '200', 'bert-small': '20', 'bert-base': '5' };
  say('');
  say('| scanning (npm run predict) | backend | bases/s | bases | seconds |');
  say('|---|---|---|---|---|');
  for (const w of workloads) {
    for (const backend of ['native', 'wasm']) {
      const j = run<{ backend: string; basesPerSec: number; bases: number; seconds: number }>(process.execPath, ['--import', 'tsx', 'bench/scan.ts', w, backend, kb[w]], 1800);
      if (typeof j === 'string') say(`| ${w} | ${backend} | ${j} | | |`);
      else say(`| ${w} | ${j.backend} | ${Math.round(j.basesPerSec).toLocaleString('en')} | ${j.bases.toLocaleString('en')} | ${j.seconds.toFixed(1)} |`);
    }
  }
}

/** The browser page's scanning speed (bench/web.ts), wasm and webgl in headless Chromium. */
function webBench(): void {
  say('');
  say('| scanning in the browser page (headless Chromium) | backend | bases/s | bases | seconds |');
  say('|---|---|---|---|---|');
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'bench/web.ts', '100'], { encoding: 'utf8', timeout: 1_800_000 });
  const results = (out.stdout ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { workload: string; backend: string; basesPerSec?: number; bases?: number; seconds?: number; error?: string });
  if (!results.length) say(`| page | — | failed: ${(out.stderr ?? '').trim().split('\n').pop() ?? `exit ${out.status}`} | | |`);
  for (const r of results) {
    say(r.error ? `| ${r.workload} | ${r.backend} | unavailable: ${r.error} | | |` : `| ${r.workload} | ${r.backend} | ${Math.round(r.basesPerSec!).toLocaleString('en')} | ${r.bases!.toLocaleString('en')} | ${r.seconds!.toFixed(1)} |`);
  }
}

const code = gitState();
say(`# make bench — ${new Date().toISOString()} — ${cpus()[0]?.model ?? 'CPU'} × ${cpus().length}, Node ${process.version} — code ${code.commit.slice(0, 10)}${code.dirty ? ' (uncommitted changes)' : ''}`);
say('');
say('| what | result | goal |');
say('|---|---|---|');
if (section('tokenizer')) tokenizerBench();
if (section('load')) dataLoadBench();
if (section('throughput')) throughputBench();
if (section('calls')) callsBench();
if (section('scan')) scanBench();
if (section('web')) webBench();
const partial = SECTIONS || ONLY_WORKLOADS || ONLY_BACKENDS;
const out = process.env.BENCH_OUT ?? (partial ? 'build/bench-partial.md' : 'results/bench.md');
if (partial) say(`\n(a part of make bench: BENCH_SECTIONS=${SECTIONS?.join(',') ?? 'all'} BENCH_WORKLOADS=${ONLY_WORKLOADS?.join(',') ?? 'all'} BENCH_BACKENDS=${ONLY_BACKENDS?.join(',') ?? 'all'}${['BENCH_THREADS', 'BENCH_REPEAT'].map((v) => (process.env[v] ? ` ${v}=${process.env[v]}` : '')).join('')})`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, lines.join('\n') + '\n');
console.log(`→ ${out}`);
