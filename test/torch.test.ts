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
import { nativeSkip, skipUnlessCI, torchSkip } from './helpers.js';
import { kernelSuite } from './kernel-suite.js';
import * as ops from '../lib/models/ops.js';
import { accumulateAll } from '../lib/torch/ops.js';

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
    const setup = trainingSetup(workload, { dropout: 0, batch: 4, seqLen: workload === 'cnn' ? 251 : 64 });
    const { loss, vars, opt } = setup;
    const { value, grads } = tf.variableGrads(loss, vars);
    const g = vars.map((v) => grads[v.name]);
    const gradValues = await Promise.all(g.map(async (t) => ((await t.data()) as Float32Array).slice()));
    opt.apply(g, 1e-3, 1.0);
    const out = { loss: (await value.data())[0], grads: gradValues, params: await Promise.all(vars.map(async (v) => ((await v.data()) as Float32Array).slice())), kernels };
    tf.dispose([value, ...g]);
    setup.dispose();
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

test('[torch] CPU tensors come from the caching allocator with libtorch 1.x unless DNABERT_TORCH_CPU_CACHE=0, and the device line says so', { skip }, () => {
  const info = torchAddon().info();
  assert.equal(info.cpuCache, info.version.startsWith('1.') && process.env.DNABERT_TORCH_CPU_CACHE !== '0');
  // blocks are handed out again: freed and new tensors of the same size keep their own values
  for (let round = 0; round < 3; round++) {
    const xs = [1, 2, 3].map((k) => tf.fill([1000], k + round));
    assert.deepEqual(xs.map((x) => x.dataSync()[999]), [1, 2, 3].map((k) => k + round));
    tf.dispose(xs);
  }
});

test('[torch] dropout masks: about the rate dropped, the rest scaled by 1/(1 − rate), the same mask from the same seed at any thread count', { skip }, () => {
  const addon = torchAddon();
  const info = addon.info();
  const device = info.device.startsWith('cuda') ? 'cuda' : 'cpu';
  const n = 200_003; // several chunks of the generator and a ragged last one
  const maskOf = (seed: number) => tf.tidy(() => ops.dropout(tf.ones([n]), 0.1, true, seed).dataSync() as Float32Array);
  const a = maskOf(7);
  const dropped = a.filter((x) => x === 0).length / n;
  assert.ok(Math.abs(dropped - 0.1) < 0.004, `dropped ${dropped}`);
  const scale = Math.fround(1 / Math.fround(0.9));
  assert.ok(a.every((x) => x === 0 || x === scale), 'kept values are 1/(1 − rate) in float32');
  assert.deepEqual(maskOf(7), a, 'the same seed draws the same mask');
  const b = maskOf(8);
  assert.ok(b.some((x, i) => x !== a[i]), 'another seed draws another mask');
  try {
    addon.configure(device, info.tf32, info.bf16, 2);
    assert.deepEqual(maskOf(7), a, 'two threads draw the mask one thread draws');
  } finally {
    addon.configure(device, info.tf32, info.bf16, info.threads);
  }
});

test('[torch] gradient accumulation in place equals the sum, and is refused (nothing changed) for a sum held elsewhere', { skip }, () => {
  tf.tidy(() => {
    const a = [tf.tensor([1, 2, 3]), tf.tensor([[0.5, -1], [2, 4]])];
    const g = [tf.tensor([10, 20, 30]), tf.tensor([[1, 1], [1, 1]])];
    assert.equal(accumulateAll(a, g), true);
    assert.deepEqual(Array.from(a[0].dataSync()), [11, 22, 33]);
    assert.deepEqual(Array.from(a[1].dataSync()), [1.5, 0, 3, 5]);
    assert.deepEqual(Array.from(g[0].dataSync()), [10, 20, 30], 'the gradients are left as they are');
    const held = tf.clone(a[0]);
    assert.equal(accumulateAll([a[0]], [g[0]]), false);
    assert.deepEqual(Array.from(held.dataSync()), [11, 22, 33]);
  });
});

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
  // on the CPU at the gather itself; on a GPU at the next read (see the next test)
  assert.throws(() => tf.gather(tf.ones([3, 2]), ids).dataSync(), /GatherV2: index 5 is outside \[0, 3\)/);
  ids.dispose();
});

test('[torch] index checks as on a GPU (at the next read, no wait for the device): a bad index fails that read naming its call, later reads work, and training steps are unchanged', { skip }, async () => {
  await selectBackend({ requested: 'torch' });
  const now = { cnn: await oneStep('cnn'), bert: await oneStep('bert-small') };
  torchAddon().deferIdChecks(true);
  try {
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const good = tf.gather(table, tf.tensor1d([2, 0], 'int32'));
    assert.deepEqual([...good.dataSync()], [5, 6, 1, 2]);
    const bad = tf.gather(table, tf.tensor1d([1, -1], 'int32')); // no error yet: nothing was read
    assert.throws(() => bad.dataSync(), /GatherV2: index -1 is outside \[0, 3\) \(checked at the next read/);
    assert.deepEqual([...good.dataSync()], [5, 6, 1, 2]); // the failed check is settled
    // the gradient of a gather is a segment sum over the same indices
    const g = tf.grad((t: tf.Tensor) => tf.gather(t, tf.tensor1d([0, 0, 2], 'int32')).sum())(table);
    assert.deepEqual([...g.dataSync()], [2, 2, 0, 0, 1, 1]);
    tf.dispose([table, good, bad, g]);
    // the fused embeddings (convStack, the BERT embedding) take the same path
    for (const [name, ref, got] of [['cnn', now.cnn, await oneStep('cnn')], ['bert-small', now.bert, await oneStep('bert-small')]] as const) {
      assert.equal(got.loss, ref.loss, `${name} loss`);
      got.grads.forEach((x, i) => assert.deepEqual(x, ref.grads[i], `${name} gradient ${i}`));
    }
  } finally {
    torchAddon().deferIdChecks(false);
  }
});

test('[torch] no tensor handles leak over training steps', { skip }, async () => {
  await selectBackend({ requested: 'torch' });
  const setup = trainingSetup('cnn');
  await timeSteps(setup, 1, 0);
  const live = torchAddon().memory().live, tensors = tf.memory().numTensors;
  await timeSteps(setup, 3, 0);
  assert.equal(tf.memory().numTensors, tensors, 'tfjs tensors');
  assert.equal(torchAddon().memory().live, live, 'addon handles');
  setup.dispose();
});

// needs the project's own tsx (absent from the bundle bench/gpu.sh runs)
const skipRun = skip || skipUnlessCI(existsSync('node_modules/tsx') ? false : 'needs a full checkout with node_modules (make setup)');
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
