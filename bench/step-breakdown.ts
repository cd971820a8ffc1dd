/**
 * Where one torch-backend training step goes (the measurement behind the fused-op work), as the trainer
 * takes it: gradients of `micro` micro-batches accumulated, clipped to norm 1, AdamW. Addon calls per step
 * in all, by method (op, fused, backward, create, read, free, adamw, accumulate, …) and the most frequent
 * kernels; the tensors the addon holds before a step and at the end of a forward pass (and on CUDA the bytes
 * allocated then); the wall time per step in all, inside addon calls (by method and kernel) and outside them
 * (JavaScript). On a GPU the time inside `read` is mostly waiting for the device. Needs DNABERT_TORCH_CALLS=1
 * before the addon loads (bench/calls.ts, bench/gpu.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { torchAddon, torchCallCounts, torchCallNanos } from '../lib/torch/addon.js';
import { accumulateAll } from '../lib/torch/ops.js';
import { trainingSetup, type SetupOptions, type Workload } from './workloads.js';

export interface StepBreakdown {
  workload: Workload;
  steps: number;
  microBatches: number;
  callsPerStep: number;
  methods: Record<string, number>;
  stepMs: number;
  addonMs: number;
  outsideAddonMs: number;
  msByMethod: Record<string, number>;
  msByKernel: [string, number][];
  topKernels: [string, number][];
  liveHandles: { beforeStep: number; afterForward: number };
  /** CUDA only: bytes the device allocator holds before a step and at the end of its (last) forward pass */
  allocatedBytes?: { beforeStep: number; afterForward: number };
}

/** One warm-up step, then `steps` measured optimizer steps of the workload on the torch backend (active). */
export async function stepBreakdown(workload: Workload, steps: number, micro = 1, setupOptions: SetupOptions = {}): Promise<StepBreakdown> {
  if (process.env.DNABERT_TORCH_CALLS !== '1') throw new Error('set DNABERT_TORCH_CALLS=1 (the addon is wrapped when it loads)');
  const addon = torchAddon();
  const setup = trainingSetup(workload, setupOptions);
  const { loss, vars, opt } = setup;
  let liveAfterForward = 0;
  let bytesAfterForward: number | undefined;
  const step = async () => {
    let sums: tf.Tensor[] | null = null;
    for (let k = 0; k < micro; k++) {
      const { value, grads } = tf.variableGrads(() => {
        const l = loss();
        const m = addon.memory();
        liveAfterForward = m.live;
        bytesAfterForward = m.allocatedBytes;
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
  const before = addon.memory();
  torchCallCounts(true);
  torchCallNanos(true);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await step();
  const stepMs = Number(process.hrtime.bigint() - t0) / 1e6 / steps;
  const counts = torchCallCounts();
  const nanos = torchCallNanos();
  setup.dispose();
  const per = (n: number) => Math.round((10 * n) / steps) / 10;
  const methods = Object.fromEntries([...counts].filter(([k]) => !k.includes(':')).map(([k, n]) => [k, per(n)]));
  const topKernels = [...counts].filter(([k]) => k.includes(':')).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]): [string, number] => [k, per(n)]);
  const total = Object.values(methods).reduce((a, b) => a + b, 0);
  const ms = (n: number) => Math.round(n / 1e4 / steps) / 100;
  const inAddon = [...nanos].filter(([k]) => !k.includes(':')).reduce((a, [, n]) => a + n, 0);
  const msByMethod = Object.fromEntries([...nanos].filter(([k]) => !k.includes(':')).sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, ms(n)]));
  const msByKernel = [...nanos].filter(([k]) => k.includes(':')).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]): [string, number] => [k, ms(n)]);
  return {
    workload,
    steps,
    microBatches: micro,
    callsPerStep: Math.round(total),
    methods,
    stepMs: Math.round(stepMs * 100) / 100,
    addonMs: ms(inAddon),
    outsideAddonMs: Math.round((stepMs - inAddon / 1e6 / steps) * 100) / 100,
    msByMethod,
    msByKernel,
    topKernels,
    liveHandles: { beforeStep: before.live, afterForward: liveAfterForward },
    ...(before.allocatedBytes !== undefined && bytesAfterForward !== undefined ? { allocatedBytes: { beforeStep: before.allocatedBytes, afterForward: bytesAfterForward } } : {}),
  };
}
