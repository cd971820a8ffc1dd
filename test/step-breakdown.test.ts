/**
 * bench/step-breakdown.ts, the per-step measurement `make bench` and the GPU check report: its counts and
 * times add up, and the trainer's step shape shows in them (one AdamW call, one loss read per micro-batch).
 */
process.env.DNABERT_TORCH_CALLS = '1'; // before the addon loads: the calls are counted by a wrapper
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../lib/backend.js';
import { torchAddon } from '../lib/torch/addon.js';
import { stepBreakdown } from '../bench/step-breakdown.js';
import { torchSkip } from './helpers.js';

const skip = await torchSkip();

test('[torch] a step taken apart: one AdamW call and one read per micro-batch, times that add up, nothing left held', { skip }, async () => {
  await selectBackend({ requested: 'torch' });
  for (const [workload, micro] of [['cnn', 1], ['bert-deep-narrow', 2]] as const) {
    const live = torchAddon().memory().live;
    const b = await stepBreakdown(workload, 2, micro, { batch: 2 });
    assert.equal(b.methods.adamw, 1, `${workload}: AdamW calls per step`);
    assert.equal(b.methods.read, micro, `${workload}: reads per step (the loss of each micro-batch)`);
    assert.equal(b.methods.accumulate ?? 0, micro - 1, `${workload}: accumulations per step`);
    assert.equal(b.callsPerStep, Math.round(Object.values(b.methods).reduce((a, c) => a + c, 0)));
    assert.ok(b.methods.fused >= 1 && b.topKernels.some(([k]) => k.startsWith('fused:')), `${workload}: fused ops ran`);
    assert.ok(b.stepMs > 0 && b.addonMs > 0 && b.addonMs <= b.stepMs + 0.01, `${workload}: ${b.addonMs} ms in the addon of a ${b.stepMs} ms step`);
    assert.ok(Math.abs(b.addonMs + b.outsideAddonMs - b.stepMs) <= 0.05, `${workload}: inside + outside = step`);
    assert.ok(b.liveHandles.afterForward > b.liveHandles.beforeStep, `${workload}: a forward pass holds tensors for its backward`);
    assert.equal(b.allocatedBytes, undefined, 'the CPU reports no device allocator');
    assert.equal(torchAddon().memory().live, live, `${workload}: the model, inputs and optimizer state are released`);
  }
});
