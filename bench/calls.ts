/**
 * Where a torch-backend training step spends its calls (the measurement behind the fused-op work):
 *   DNABERT_TORCH_CALLS=1 tsx bench/calls.ts <workload> [steps] [micro-batches]
 * Runs one warm-up step, then `steps` optimizer steps of the workload (bench/workloads.ts) as the trainer
 * takes them (gradients of `micro-batches` micro-batches accumulated, clipped to norm 1, AdamW), and prints
 * one JSON line: addon calls per step in all, by method (op, fused, backward, create, read, free, adamw,
 * accumulate, …), the most frequent kernels, the tensors the addon holds at the end of a forward pass, and
 * the wall time per step: in all, inside addon calls (by method and kernel) and outside them (JavaScript).
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend.js';
import { torchAddon, torchCallCounts, torchCallNanos } from '../lib/torch/addon.js';
import { accumulateAll } from '../lib/torch/ops.js';
import { trainingSetup, WORKLOADS, type Workload } from './workloads.js';

async function main(): Promise<void> {
  const [workload, stepsArg, microArg] = process.argv.slice(2) as [Workload, string?, string?];
  if (!WORKLOADS[workload]) throw new Error(`unknown workload ${workload}; workloads: ${Object.keys(WORKLOADS).join(', ')}`);
  if (process.env.DNABERT_TORCH_CALLS !== '1') throw new Error('set DNABERT_TORCH_CALLS=1 (the addon is wrapped when it loads)');
  await selectBackend({ requested: 'torch' });
  const steps = Number(stepsArg ?? 3);
  const { loss, vars, opt } = trainingSetup(workload);
  let liveAfterForward = 0;
  const micro = Number(microArg ?? 1);
  const step = async () => {
    let sums: tf.Tensor[] | null = null;
    for (let k = 0; k < micro; k++) {
      const { value, grads } = tf.variableGrads(() => {
        const l = loss();
        liveAfterForward = torchAddon().memory().live;
        return l;
      }, vars);
      await value.data();
      const g = vars.map((v) => grads[v.name]);
      if (sums === null) sums = g;
      else {
        if (!accumulateAll(sums, g)) throw new Error('gradient accumulation did not run in place');
        tf.dispose(g);
      }
      value.dispose();
    }
    opt.apply(sums!, 1e-4, 1.0);
    tf.dispose(sums!);
  };
  await step();
  const liveBefore = torchAddon().memory().live;
  torchCallCounts(true);
  torchCallNanos(true);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await step();
  const stepMs = Number(process.hrtime.bigint() - t0) / 1e6 / steps;
  const counts = torchCallCounts();
  const nanos = torchCallNanos();
  const per = (n: number) => Math.round((10 * n) / steps) / 10;
  const methods = Object.fromEntries([...counts].filter(([k]) => !k.includes(':')).map(([k, n]) => [k, per(n)]));
  const kernels = [...counts].filter(([k]) => k.includes(':')).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]) => [k, per(n)]);
  const total = Object.values(methods).reduce((a, b) => a + b, 0);
  const ms = (n: number) => Math.round(n / 1e4 / steps) / 100;
  const inAddon = [...nanos].filter(([k]) => !k.includes(':')).reduce((a, [, n]) => a + n, 0);
  const msByMethod = Object.fromEntries([...nanos].filter(([k]) => !k.includes(':')).sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, ms(n)]));
  const msByKernel = [...nanos].filter(([k]) => k.includes(':')).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => [k, ms(n)]);
  console.log(JSON.stringify({ workload, steps, microBatches: micro, callsPerStep: Math.round(total), methods, stepMs: Math.round(stepMs * 100) / 100, addonMs: ms(inAddon), outsideAddonMs: Math.round((stepMs - inAddon / 1e6 / steps) * 100) / 100, msByMethod, msByKernel, topKernels: kernels, liveHandles: { beforeStep: liveBefore, afterForward: liveAfterForward } }));
}

await main();
