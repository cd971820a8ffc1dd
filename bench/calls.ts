/**
 * Where a torch-backend training step spends its calls and time (bench/step-breakdown.ts), as one JSON line:
 *   DNABERT_TORCH_CALLS=1 tsx bench/calls.ts <workload> [steps] [micro-batches]
 */
import { selectBackend } from '../lib/backend.js';
import { stepBreakdown } from './step-breakdown.js';
import { WORKLOADS, type Workload } from './workloads.js';

const [workload, stepsArg, microArg] = process.argv.slice(2) as [Workload, string?, string?];
if (!WORKLOADS[workload]) throw new Error(`unknown workload ${workload}; workloads: ${Object.keys(WORKLOADS).join(', ')}`);
await selectBackend({ requested: 'torch' });
console.log(JSON.stringify(await stepBreakdown(workload, Number(stepsArg ?? 3), Number(microArg ?? 1))));
