/**
 * The native path against the composed TensorFlow.js path: every native kernel and fused op, value
 * and gradient, on the `native` backend versus the same function on the JavaScript `cpu` backend
 * (where lib/models/ops.ts composes ordinary ops). Shapes cover transposes, broadcast batch dimensions, odd
 * sizes and empty tensors.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../lib/backend.js';
import { maskLayout } from '../lib/native/ops.js';
import { collapse } from '../lib/native/backend.js';
import { nativeSkip } from './helpers.js';
import { kernelSuite } from './kernel-suite.js';

const skip = await nativeSkip();

before(async () => {
  if (skip) return;
  await selectBackend({ requested: 'native' });
});

kernelSuite('native', skip);

test('broadcast collapsing merges contiguous axes and drops size-1 ones', () => {
  assert.deepEqual(collapse([2, 3, 4], [12, 4, 1], [12, 4, 1]), { shape: [24], sa: [1], sb: [1] });
  assert.deepEqual(collapse([2, 3, 4], [12, 4, 1], [0, 0, 1]), { shape: [6, 4], sa: [4, 1], sb: [0, 1] });
  assert.deepEqual(collapse([1, 5, 1], [0, 1, 0], [0, 0, 0]), { shape: [5], sa: [1], sb: [0] });
  assert.deepEqual(maskLayout([2, 4, 3, 3], [2, 1, 1, 3]), { period: 12, rows: 2 });
  assert.deepEqual(maskLayout([2, 4, 3, 3], [3]), { period: 24, rows: 1 });
  assert.equal(maskLayout([2, 4, 3, 3], [2, 4, 1, 2]), null);
});

test('bad input to the addon is an error naming the function, not a crash', { skip }, async () => {
  const { addon } = await import('../lib/native/addon.js');
  const a = addon() as unknown as Record<string, (...x: unknown[]) => void>;
  assert.throws(() => a.gelu([1, 2], new Float32Array(2)), /gelu: argument 0 must be a typed array/);
  assert.throws(() => a.gelu(new Int32Array(2), new Float32Array(2)), /gelu: argument 0 has the wrong element type/);
  assert.throws(() => a.unary(0, new Float32Array(3), new Float32Array(2), 0), /unary: output length differs/);
  assert.throws(() => a.layerNorm(new Float32Array(2)), /layerNorm: expected 9 arguments, got 1/);
  assert.throws(() => a.geluGrad(new Float32Array(4), new Float32Array(4), new Float32Array(3)), /geluGrad: argument 2 has 3 elements, expected 4/);
});
