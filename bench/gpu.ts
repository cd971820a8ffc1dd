/**
 * The torch backend on a CUDA GPU, measured (bench/gpu.sh runs the bundle of this file on a GPU machine):
 *
 *   1. parity with PyTorch on CUDA, TF32 off: the BERT fixture's logits and every parameter's gradient
 *   2. training throughput (forward + backward + AdamW, the loss read back every step) against PyTorch
 *      eager (bench/torch_throughput.py) on the same model, batch and precision, with peak GPU memory
 *      and the addon calls per step (the host-side cost the fused ops cut; DNABERT_TORCH_CALLS=1), and for
 *      the CNN, the host-bound BERT and BERT-base at batch 12 where a step's time goes: host or device
 *   3. from the measured rates, the time of one paper-recipe DNABERT run on human_nontata_promoters
 *
 * and writes it all as markdown (--out, default results/bench-gpu.md).
 *   node bench.mjs [--out FILE] [--tests FILE (the test run's summary)] [--python python3] [--steps N]
 *                  [--rows LIST] [--device cuda|cpu]
 * --rows picks rows of the throughput table by name (default: all of ROWS below). --device cpu is a rehearsal
 * of the whole script on a machine without a GPU (bench/gpu.sh with GPU_CHECK_DEVICE=cpu): it checks that
 * everything runs, and its figures are no GPU measurement.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend.js';
import { registerTorchBackend, type TorchOptions } from '../lib/torch/backend.js';
import { torchAddon, torchCallCounts } from '../lib/torch/addon.js';
import { loadCheckpoint } from '../lib/checkpoint/hf.js';
import { assertGradsMatch } from '../test/helpers.js';
import { paramSpecs, BertClassifier, DNABERT6_CONFIG } from '../lib/models/dnabert.js';
import { tokenizeBatch } from '../lib/models/tokenizer.js';
import { encodeDna } from '../lib/data/dna.js';
import { DATASETS } from '../lib/data/registry.js';
import { timeSteps, trainingSetup, type Workload } from './workloads.js';
import { stepBreakdown } from './step-breakdown.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const outFile = arg('out', 'results/bench-gpu.md');
const python = arg('python', 'python3');
const testsFile = arg('tests', '');
const steps = Number(arg('steps', '10'));
const deviceArg = arg('device', 'cuda');
if (deviceArg !== 'cuda' && deviceArg !== 'cpu') throw new Error(`--device ${deviceArg}: use cuda (the measurement) or cpu (a rehearsal)`);
const device: 'cuda' | 'cpu' = deviceArg;
const where = device === 'cuda' ? 'CUDA' : 'the CPU';

const lines: string[] = [];
const log = (s = '') => {
  lines.push(s);
  console.log(s);
};

function configure(o: Partial<TorchOptions>): TorchOptions {
  const full: TorchOptions = { device, tf32: true, bf16: false, threads: 0, ...o };
  registerTorchBackend(full);
  return full;
}

// ---------------------------------------------------------------------------------------------
// 1. parity on CUDA with TF32 off

interface Parity {
  logits: number;
  hidden: number;
  loss: number;
  /** the worst relative gradient error, or the failed check's message */
  worstGrad: number | string;
}

async function parity(): Promise<Parity> {
  configure({ tf32: false });
  const FIX = 'test/fixtures/bert';
  const ref = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as { sequences: string[]; max_len: number; labels: number[]; logits: number[][]; last_hidden_state: number[]; loss: number };
  const enc = tokenizeBatch(ref.sequences.map((s, i) => encodeDna(s, `ref ${i}`)), { k: 6, maxLen: ref.max_len, attendToPadding: false });
  const ids = tf.tensor2d(enc.ids, [enc.n, enc.maxLen], 'int32');
  const mask = tf.tensor2d(enc.mask!, [enc.n, enc.maxLen], 'int32');
  const { model } = await loadCheckpoint(join(FIX, 'tiny'));
  const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  };
  const out = model.forward(ids, mask);
  const logits = maxAbs(await out.logits.data(), ref.logits.flat());
  const hidden = maxAbs(await out.lastHidden.data(), ref.last_hidden_state);
  const { value, grads } = tf.variableGrads(() => model.loss(ids, mask, tf.tensor1d(ref.labels, 'int32')));
  const loss = Math.abs((await value.data())[0] - ref.loss);
  // the same check as test/dnabert.test.ts: every gradient within 1e-3 of its tensor's scale (throws otherwise)
  let worstGrad: number | string;
  try {
    worstGrad = await assertGradsMatch(grads, model.params, paramSpecs(model.config), join(FIX, 'grads.safetensors'));
  } catch (err) {
    worstGrad = (err as Error).message.split('\n')[0];
  }
  tf.dispose([ids, mask, ...Object.values(out), value, ...Object.values(grads)]);
  model.dispose();
  return { logits, hidden, loss, worstGrad };
}

// ---------------------------------------------------------------------------------------------
// 2. throughput against PyTorch eager

interface Row {
  workload: Workload;
  what: string;
  batch: number;
  precision: 'tf32' | 'bf16' | 'fp32';
  ours?: { seqPerSec: number; peakGiB: number; callsPerStep: number };
  pytorch?: { seqPerSec: number; peakGiB: number; version: string };
  error?: string;
}

async function ours(row: Row): Promise<void> {
  configure({ tf32: row.precision === 'tf32', bf16: row.precision === 'bf16' });
  const addon = torchAddon();
  const setup = trainingSetup(row.workload, { batch: row.batch });
  addon.memory(true);
  const n = row.workload === 'cnn' || row.workload === 'bert-deep-narrow' ? steps * 3 : steps;
  torchCallCounts(true);
  const median = await timeSteps(setup, n, 2);
  const calls = [...torchCallCounts(true)].filter(([k]) => !k.includes(':')).reduce((a, [, c]) => a + c, 0);
  const peak = addon.memory().peakBytes ?? NaN;
  row.ours = { seqPerSec: row.batch / median, peakGiB: peak / 2 ** 30, callsPerStep: Math.round(calls / (n + 2)) };
  setup.dispose();
}

function pytorch(row: Row): void {
  const n = row.workload === 'cnn' || row.workload === 'bert-deep-narrow' ? steps * 3 : steps;
  const r = spawnSync(python, ['bench/torch_throughput.py', row.workload, String(n), '--device', device, '--batch', String(row.batch), '--precision', row.precision], { encoding: 'utf8' });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { seqPerSec: number; peakGpuGB: number; backend: string };
    row.pytorch = { seqPerSec: j.seqPerSec, peakGiB: j.peakGpuGB, version: j.backend };
  } catch {
    row.error = `PyTorch reference failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`;
  }
}

/** Forward-only sequences per second of BERT-base (evaluation batches of 64 × 256 tokens). */
async function inference(): Promise<number> {
  configure({});
  const model = BertClassifier.random(DNABERT6_CONFIG, 1);
  const ids = tf.randomUniform([64, 256], 5, 4101, 'int32', 3) as tf.Tensor2D;
  const mask = tf.ones([64, 256], 'int32') as tf.Tensor2D;
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const y = model.forward(ids, mask).logits;
    await y.data();
    y.dispose();
    if (i >= 2) times.push((performance.now() - t0) / 1000);
  }
  model.dispose();
  times.sort((a, b) => a - b);
  return 64 / times[Math.floor(times.length / 2)];
}

/** The rows whose training step is also taken apart (calls, host time, device wait, memory). */
const BREAKDOWN_ROWS = ['cnn', 'host-bound', 'bert-base-12'];

/** The throughput table's rows, by the names --rows takes. */
const ROWS: Record<string, Row> = {
  cnn: { workload: 'cnn', what: 'CNN, 251 bp', batch: 32, precision: 'tf32' },
  'host-bound': { workload: 'bert-deep-narrow', what: 'host-bound: 12 × 64 BERT, 64 tokens', batch: 4, precision: 'tf32' },
  'small-bert': { workload: 'bert-small', what: 'small BERT (4 × 256), 256 tokens', batch: 16, precision: 'tf32' },
  'bert-base-32': { workload: 'bert-base', what: 'BERT-base, 256 tokens', batch: 32, precision: 'tf32' },
  'bert-base-12': { workload: 'bert-base', what: 'BERT-base, 256 tokens (the authors\' batch)', batch: 12, precision: 'tf32' },
  'bert-base-32-bf16': { workload: 'bert-base', what: 'BERT-base, 256 tokens', batch: 32, precision: 'bf16' },
};

// ---------------------------------------------------------------------------------------------

const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));

async function main(): Promise<void> {
  // calls are counted by a wrapper installed when the addon loads (a map increment per call)
  process.env.DNABERT_TORCH_CALLS = '1';
  const info = await selectBackend({ requested: 'torch' });
  if (device === 'cuda' && !info.device.startsWith('GPU')) throw new Error(`bench/gpu.ts needs the torch backend on CUDA, got: ${info.device}`);
  const t = torchAddon().info();
  log('# The torch backend on a GPU');
  log();
  log(`Written by bench/gpu.ts (bench/gpu.sh) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`);
  if (device === 'cpu') {
    log();
    log('**A rehearsal on the CPU (--device cpu): it shows that the script runs; its figures are no GPU measurement.**');
  }
  log();
  log(`- device: ${info.device.replace(/, matmul \w+$/, '')}`);
  log(`- libtorch ${t.version} (scaled_dot_product_attention: ${t.sdpa ? 'yes' : 'no'}), tfjs ${info.tfjsVersion}, Node ${process.version}`);
  if (testsFile && existsSync(testsFile)) {
    log();
    log(`## Tests on ${where} (TF32 off)`);
    log();
    log('```');
    for (const l of readFileSync(testsFile, 'utf8').trim().split('\n')) log(l);
    log('```');
  }

  log();
  log(`## Parity with PyTorch on ${where}, TF32 off (the tiny BERT fixture of test/fixtures/bert)`);
  log();
  try {
    const p = await parity();
    log('| quantity | max abs error | bound |');
    log('|---|---|---|');
    log(`| logits | ${p.logits.toExponential(2)} | 1e-4 |`);
    log(`| last hidden state | ${p.hidden.toExponential(2)} | 1e-4 |`);
    log(`| loss | ${p.loss.toExponential(2)} | 1e-5 |`);
    log(`| every parameter's gradient (worst error relative to its tensor's scale) | ${typeof p.worstGrad === 'number' ? p.worstGrad.toExponential(2) : p.worstGrad} | 1e-3 |`);
  } catch (err) {
    log(`parity failed: ${(err as Error).message}`);
  }

  const wanted = arg('rows', Object.keys(ROWS).join(',')).split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = wanted.filter((r) => !(r in ROWS));
  if (unknown.length) throw new Error(`--rows: no row ${unknown.join(', ')}; rows: ${Object.keys(ROWS).join(', ')}`);
  const rows: Row[] = wanted.map((r) => ({ ...ROWS[r] }));
  for (const row of rows) {
    try {
      await ours(row);
    } catch (err) {
      row.error = `torch backend failed: ${(err as Error).message}`;
    }
    pytorch(row);
    console.log(JSON.stringify(row));
  }
  log();
  log(`## Training throughput: forward + backward + AdamW, median of ${steps} steps (CNN: ${steps * 3}) after 2 warm-up steps`);
  log();
  log('TF32: float32 storage, TF32 matrix products (PyTorch: `allow_tf32`); bf16: bf16 operands for matrix products, convolutions and attention (PyTorch: `autocast(bfloat16)`). PyTorch eager runs the same architecture (the parity fixtures\' modules, attention through `scaled_dot_product_attention`), batch, inputs shape and optimizer.');
  log();
  log('| workload | batch | precision | torch backend seq/s | PyTorch eager seq/s | ratio | peak GPU memory (ours / PyTorch, GiB) | addon calls / step |');
  log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ratio = r.ours && r.pytorch ? r.ours.seqPerSec / r.pytorch.seqPerSec : undefined;
    log(`| ${r.what} | ${r.batch} | ${r.precision} | ${f(r.ours?.seqPerSec)} | ${f(r.pytorch?.seqPerSec)} | ${f(ratio, 2)}× | ${f(r.ours?.peakGiB, 2)} / ${f(r.pytorch?.peakGiB, 2)} | ${r.ours?.callsPerStep ?? 'n/a'} |`);
  }
  for (const r of rows.filter((x) => x.error)) log(`\n- ${r.what}, batch ${r.batch}, ${r.precision}: ${r.error}`);
  if (rows[0]?.pytorch) log(`\nPyTorch: ${rows[0].pytorch.version}.`);

  // 2b. where a step goes: the host's share (calls, JavaScript) against the wait for the device (in read)
  const broken = wanted.filter((r) => BREAKDOWN_ROWS.includes(r));
  if (broken.length) {
    log();
    log(`## Where a training step goes (TF32, ${steps} steps after a warm-up step; bench/step-breakdown.ts)`);
    log();
    log('Wall time per optimizer step: inside addon calls (dispatching ATen\'s kernels; in `read`, mostly waiting for the device to finish the step) and outside them (JavaScript: TensorFlow.js\'s engine and tape, our ops); the tensors the addon holds and the bytes the device allocator holds before a step and at the end of its forward pass.');
    log();
    log('| workload | batch | calls / step | step (ms) | in the addon (ms) | of which read (ms) | outside it (ms) | live tensors (before → after forward) | allocated MiB (before → after forward) |');
    log('|---|---|---|---|---|---|---|---|---|');
    for (const name of broken) {
      const row = ROWS[name];
      try {
        configure({ tf32: true });
        const b = await stepBreakdown(row.workload, steps, 1, { batch: row.batch });
        console.log(JSON.stringify(b));
        const top = Object.entries(b.msByMethod).slice(0, 3).map(([k, v]) => `${k} ${f(v)}`).join(', ');
        const mib = b.allocatedBytes ? `${f(b.allocatedBytes.beforeStep / 2 ** 20, 0)} → ${f(b.allocatedBytes.afterForward / 2 ** 20, 0)}` : 'n/a';
        log(`| ${row.what} | ${row.batch} | ${b.callsPerStep} | ${f(b.stepMs)} | ${f(b.addonMs)} (${top}) | ${f(b.msByMethod.read ?? 0)} | ${f(b.outsideAddonMs)} | ${b.liveHandles.beforeStep} → ${b.liveHandles.afterForward} | ${mib} |`);
      } catch (err) {
        log(`| ${row.what} | ${row.batch} | failed: ${(err as Error).message.split('\n')[0]} |  |  |  |  |  |  |`);
      }
    }
  }

  // 3. a paper-recipe run on human_nontata_promoters, from the measured rates
  const authors = rows.find((r) => r.workload === 'bert-base' && r.batch === 12 && r.precision === 'tf32')?.ours?.seqPerSec;
  let infer: number | undefined;
  if (authors) {
    try {
      infer = await inference();
    } catch (err) {
      log(`\ninference timing failed: ${(err as Error).message}`);
    }
  }
  const spec = DATASETS.find((d) => d.name === 'human_nontata_promoters')!;
  const nTrainAll = Object.values(spec.counts!.train).reduce((a, b) => a + b, 0);
  const nTest = Object.values(spec.counts!.test).reduce((a, b) => a + b, 0);
  const nValid = Math.round(nTrainAll * 0.2), nTrain = nTrainAll - nValid;
  const optSteps = 5000 + 20 * 100; // warmup, then one patience window (20 evaluations every 100 steps)
  log();
  log('## One paper-recipe DNABERT run on human_nontata_promoters, estimated from these rates');
  log();
  if (authors && infer) {
    const trainSeconds = (optSteps * 48) / authors;
    const evalSeconds = ((optSteps / 100) * nValid + nTest) / infer;
    const epochSeconds = nTrain / authors + (Math.ceil(nTrain / 48 / 100) * nValid) / infer;
    log(`The authors' recipe (lib/config.ts, profile paper): batch 12 × 4 accumulation (48 per optimizer step), 5,000 warmup steps, validation (${nValid.toLocaleString('en')} sequences, the last 20 % of ${nTrainAll.toLocaleString('en')}) every 100 steps, early stopping after 20 evaluations without improvement; ${nTrain.toLocaleString('en')} training and ${nTest.toLocaleString('en')} test sequences of 248 tokens. Measured here: ${f(authors)} training sequences/s at batch 12 (256 tokens, TF32) and ${f(infer)} evaluation sequences/s (batch 64).`);
    log();
    log(`- one epoch of training with its evaluations: ${(epochSeconds / 60).toFixed(1)} min`);
    log(`- the shortest run early stopping allows once warmup is over (${optSteps.toLocaleString('en')} optimizer steps = ${((optSteps * 48) / nTrain).toFixed(1)} epochs, ${optSteps / 100} evaluations, then the test set): ${((trainSeconds + evalSeconds) / 60).toFixed(1)} min`);
    log();
    log('Runs that keep improving after warmup take longer in proportion to their steps (paper: 2–6 h per run on a T4). Tokens are 256 here, 248 in the run: the estimate is slightly high.');
  } else log('not estimated: a throughput figure is missing (see above).');

  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, lines.join('\n') + '\n');
  console.log(`\nwritten: ${outFile}`);
}

await main();
