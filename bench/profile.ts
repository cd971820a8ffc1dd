/**
 * Where a training step's time goes, per TensorFlow.js kernel (and per fused native op):
 *   tsx bench/profile.ts <workload> [backend] [steps]   (workloads: bench/workloads.ts)
 * Wraps every kernel of the active backend with a timer, runs warm-up + timed steps (forward +
 * backward + AdamW) and prints the kernels and native calls by total time. Fused ops run outside
 * tfjs kernels; their native calls show as native.* rows.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend.js';
import { loadAddon } from '../lib/native/addon.js';
import { trainingSetup, WORKLOADS, type Workload } from './workloads.js';

const [workload, backendName = 'native', stepsArg = '3'] = process.argv.slice(2) as [Workload, string?, string?];
const w = WORKLOADS[workload];
if (!w) throw new Error(`unknown workload ${workload}; choose one of ${Object.keys(WORKLOADS).join(', ')}`);
const info = await selectBackend({ requested: backendName });
const backend = tf.getBackend();
const totals = new Map<string, { ms: number; calls: number }>();
let timing = false;
for (const k of tf.getKernelsForBackend(backend)) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, backend);
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (!timing) return inner(args);
      const t0 = performance.now();
      const r = inner(args);
      const e = totals.get(k.kernelName) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls++;
      totals.set(k.kernelName, e);
      return r;
    },
  });
}

// The native addon's functions too (called by the kernels above and by the fused ops).
const native = loadAddon().addon as unknown as Record<string, (...a: unknown[]) => unknown> | null;
if (native && backend === 'native') {
  for (const name of Object.keys(native)) {
    const fn = native[name];
    native[name] = (...a: unknown[]) => {
      if (!timing) return fn(...a);
      const t0 = performance.now();
      const r = fn(...a);
      const e = totals.get(`native.${name}`) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls++;
      totals.set(`native.${name}`, e);
      return r;
    };
  }
}

const { loss: step, vars, opt } = trainingSetup(workload);
const steps = Number(stepsArg);
let wall = 0, forwardBackward = 0, update = 0;
for (let i = 0; i <= steps; i++) {
  timing = i > 0;
  const t0 = performance.now();
  const { value, grads } = tf.variableGrads(step, vars);
  const t1 = performance.now();
  opt.apply(vars.map((v) => grads[v.name]), 1e-4);
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
  const t2 = performance.now();
  if (i > 0) {
    wall += t2 - t0;
    forwardBackward += t1 - t0;
    update += t2 - t1;
  }
}
const per = (ms: number) => (ms / steps).toFixed(1).padStart(9);
console.log(`${workload} on ${info.name} (${info.device}); per step over ${steps} steps: ${per(wall)} ms (forward+backward ${per(forwardBackward).trim()} ms, optimizer ${per(update).trim()} ms)`);
let inKernels = 0;
const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
for (const [name, e] of rows) if (!name.startsWith('native.')) inKernels += e.ms;
for (const [name, e] of rows.slice(0, 30)) console.log(`${name.padEnd(22)} ${per(e.ms)} ms  ${String(Math.round(e.calls / steps)).padStart(5)} calls`);
console.log(`${'outside kernels'.padEnd(22)} ${per(wall - inKernels)} ms  (fused ops, tape bookkeeping, JavaScript)`);
console.log('native.* rows time the addon calls themselves, inside kernels or fused ops.');
