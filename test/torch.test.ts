/**
 * The `torch` backend (libtorch through torch/src/addon.cc): every kernel and fused op against the
 * composed path on the cpu backend (test/kernel-suite.ts), the kernels training and prediction of both
 * models need, one training step equal to the same step on `native`, and a run through the experiment
 * runner that writes a normal record. Runs on the CPU build here and in CI; on a GPU machine the same
 * file runs on CUDA (DNABERT_TORCH_DEVICE=cuda, bench/gpu.sh).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend.js';
import { TORCH_KERNELS } from '../lib/torch/backend.js';
import { torchAddon } from '../lib/torch/addon.js';
import { timeSteps, trainingSetup, type Workload } from '../bench/workloads.js';
import { clipByGlobalNorm } from '../lib/training/optim.js';
import { nativeSkip, torchSkip } from './helpers.js';
import { kernelSuite } from './kernel-suite.js';

const skip = await torchSkip();
const skipNative = await nativeSkip();

before(async () => {
  if (skip) return;
  await selectBackend({ requested: 'torch' });
});

kernelSuite('torch', skip);

/** One optimizer step of a workload on the active backend: loss, gradients, parameters after the step, kernels run. */
async function oneStep(workload: Workload): Promise<{ loss: number; grads: Float32Array[]; params: Float32Array[]; kernels: Set<string> }> {
  const kernels = new Set<string>();
  const backend = tf.getBackend();
  const registered = tf.getKernelsForBackend(backend);
  for (const k of registered) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({ ...k, kernelFunc: (a) => (kernels.add(k.kernelName), f(a)) });
  }
  try {
    const { loss, vars, opt } = trainingSetup(workload, { dropout: 0, batch: 4, seqLen: workload === 'cnn' ? 251 : 64 });
    const { value, grads } = tf.variableGrads(loss, vars);
    const g = vars.map((v) => grads[v.name]);
    const gradValues = await Promise.all(g.map(async (t) => ((await t.data()) as Float32Array).slice()));
    const c = clipByGlobalNorm(g, 1.0);
    opt.apply(c.grads, 1e-3);
    const out = { loss: (await value.data())[0], grads: gradValues, params: await Promise.all(vars.map(async (v) => ((await v.data()) as Float32Array).slice())), kernels };
    tf.dispose([value, ...g, ...c.grads]);
    opt.dispose();
    tf.dispose(vars);
    return out;
  } finally {
    for (const k of registered) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel(k);
    }
  }
}

for (const workload of ['cnn', 'bert-small', 'mlm-small'] as const) {
  test(`[torch] one training step of ${workload} equals the same step on native (loss, gradients, parameters), using only the backend's kernels`, { skip: skip || skipNative }, async () => {
    await selectBackend({ requested: 'torch' });
    const t = await oneStep(workload);
    await selectBackend({ requested: 'native' });
    const n = await oneStep(workload);
    await selectBackend({ requested: 'torch' });
    assert.ok(Math.abs(t.loss - n.loss) <= 1e-4 * (1 + Math.abs(n.loss)), `loss: torch ${t.loss} vs native ${n.loss}`);
    // rounding noise is judged against the largest gradient of the model
    const global = n.grads.reduce((m, g) => g.reduce((mm, x) => Math.max(mm, Math.abs(x)), m), 0);
    t.grads.forEach((g, i) => {
      const ref = n.grads[i];
      const scale = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      let worst = 0;
      g.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - ref[j]))));
      assert.ok(worst <= 1e-3 * scale + 1e-6 * global, `gradient ${i}: largest difference ${worst} at scale ${scale}`);
      // AdamW's first step moves each parameter by about ±lr whatever the gradient's size, so where a gradient
      // is rounding noise (a bias before batch norm has gradient 0 in exact arithmetic) the sign is arbitrary
      t.params[i].forEach((x, j) => {
        if (Math.abs(ref[j]) > 1e-3 * scale + 1e-5 * global) assert.ok(Math.abs(x - n.params[i][j]) <= 1e-5, `parameter ${i}[${j}]: torch ${x} vs native ${n.params[i][j]} (gradient ${g[j]} vs ${ref[j]}, scale ${scale})`);
      });
    });
    for (const k of t.kernels) assert.ok(TORCH_KERNELS.includes(k), `kernel ${k} ran but is not in TORCH_KERNELS`);
  });
}

test('[torch] the backend reports its device, libtorch version and precision; bad handles are errors naming the function', { skip }, async () => {
  const info = await selectBackend({ requested: 'torch' });
  assert.match(info.device, /libtorch \d+\.\d+/);
  assert.match(info.device, /matmul (float32|TF32|bf16)/);
  const a = torchAddon() as unknown as Record<string, (...x: unknown[]) => unknown>;
  assert.throws(() => a.op('Add', 1, 2), /Add: argument 1 must be a tensor handle/);
  assert.throws(() => a.op('NoSuchKernel'), /NoSuchKernel: no such kernel/);
  assert.throws(() => a.create(new Float32Array(3), [2, 2], 'float32'), /create: argument 0 has 3 elements, the shape 4/);
  assert.throws(() => a.create(new Float32Array(1), [1], 'complex64'), /dtype 'complex64' is not supported/);
  const ids = tf.tensor1d([0, 5], 'int32');
  assert.throws(() => tf.gather(tf.ones([3, 2]), ids), /index 5 is outside \[0, 3\)/);
  ids.dispose();
});

test('[torch] no tensor handles leak over training steps', { skip }, async () => {
  await selectBackend({ requested: 'torch' });
  const setup = trainingSetup('cnn');
  await timeSteps(setup, 1, 0);
  const live = torchAddon().memory().live, tensors = tf.memory().numTensors;
  await timeSteps(setup, 3, 0);
  assert.equal(tf.memory().numTensors, tensors, 'tfjs tensors');
  assert.equal(torchAddon().memory().live, live, 'addon handles');
  setup.opt.dispose();
});

// needs the project's own tsx (absent from the bundle bench/gpu.sh runs)
const skipRun = skip || (existsSync('node_modules/tsx') ? false : 'needs a full checkout with node_modules');
test('[torch] a run through npm run experiment on torch writes a normal record naming the backend', { skip: skipRun }, async () => {
  const { execFile } = await import('node:child_process');
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tempDir } = await import('./helpers.js');
  const t = tempDir();
  try {
    const run = (file: string, args: string[], env: Record<string, string> = {}) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['--import', 'tsx', file, ...args], { env: { ...process.env, ...env }, timeout: 300_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    await run('test/smoke/make_table.ts', [join(t.path, 'smoke.tsv'), join(t.path, 'genome.fa.gz')]);
    await run('lib/cli/experiment.ts', ['--dataset', join(t.path, 'smoke.tsv'), '--model', 'cnn', '--model', 'dnabert-random', '--profile', 'smoke', '--seeds', '1', '--results', join(t.path, 'results')], { DNABERT_BACKEND: 'torch' });
    const runs = join(t.path, 'results', 'runs');
    const files = readdirSync(runs, { recursive: true }).map(String).filter((f) => f.endsWith('.json'));
    assert.equal(files.length, 2, `records: ${files.join(', ')}`);
    for (const f of files) {
      const r = JSON.parse(readFileSync(join(runs, f), 'utf8')) as { status: string; backend: { name: string; device: string }; test: { f1: number } };
      assert.equal(r.status, 'done', f);
      assert.equal(r.backend.name, 'torch', f);
      assert.match(r.backend.device, /libtorch \d+\.\d+/, f);
      assert.ok(Number.isFinite(r.test.f1), `${f}: test F1 ${r.test.f1}`);
    }
  } finally {
    t.cleanup();
  }
});
