/**
 * One training-throughput measurement in its own process (so peak memory is its own):
 *   tsx bench/throughput.ts <cnn|bert-small|bert-base> <backend> [steps]
 * Prints one JSON line: sequences per second (median over the timed steps, after one warm-up step)
 * of forward + backward + AdamW update, and peak RSS.
 */
import { selectBackend } from '../lib/backend.js';
import { timeSteps, trainingSetup, WORKLOADS, type Workload } from './workloads.js';

async function main(): Promise<void> {
  const [workload, backendName, stepsArg] = process.argv.slice(2) as [Workload, string, string?];
  const w = WORKLOADS[workload];
  if (!w) throw new Error(`unknown workload ${workload}`);
  const info = await selectBackend({ requested: backendName });
  const steps = Number(stepsArg ?? 3);
  let peak = 0;
  const median = await timeSteps(trainingSetup(workload), steps, 1, () => (peak = Math.max(peak, process.memoryUsage().rss)));
  console.log(JSON.stringify({ workload, backend: info.name, device: info.device, seqPerSec: w.batch / median, stepSeconds: median, steps, peakRssGB: peak / 2 ** 30 }));
}

await main();
