/**
 * One training-throughput measurement in its own process (so peak memory is its own):
 *   tsx bench/throughput.ts <cnn|bert-small|bert-base> <backend> [steps]
 * Prints one JSON line: sequences per second (median over the timed steps, after one warm-up step)
 * of forward + backward + AdamW update, and peak RSS.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend.js';
import { trainingSetup, WORKLOADS, type Workload } from './workloads.js';

async function main(): Promise<void> {
  const [workload, backendName, stepsArg] = process.argv.slice(2) as [Workload, string, string?];
  const w = WORKLOADS[workload];
  if (!w) throw new Error(`unknown workload ${workload}`);
  const info = await selectBackend({ requested: backendName });
  const steps = Number(stepsArg ?? 3);
  const { loss: step, vars, opt } = trainingSetup(workload);
  const times: number[] = [];
  let peak = 0;
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(step, vars);
    opt.apply(vars.map((v) => grads[v.name]), 1e-4);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
    const dt = (performance.now() - t0) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    if (i > 0) times.push(dt);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ workload, backend: info.name, device: info.device, seqPerSec: w.batch / median, stepSeconds: median, steps, peakRssGB: peak / 2 ** 30 }));
}

await main();
