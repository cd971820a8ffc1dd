/**
 * A backend's kernels and fused ops against the composed TensorFlow.js path on the JavaScript `cpu`
 * backend: values, shapes and gradients, with transposes, broadcast batch dimensions, odd sizes and
 * empty tensors. test/native.test.ts and test/torch.test.ts run it for their backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as ops from '../lib/models/ops.js';
import type { ConvLayer, EncoderLayerWeights } from '../lib/models/layers.js';
import { AdamW } from '../lib/training/optim.js';
import { seededRng, shuffleInPlace } from '../lib/random.js';

/** Register the suite for `backend` (already selected by the caller's before hook); skipped with `skip`. */
export function kernelSuite(backend: string, skip: string | false): void {
  interface Arg {
    shape: number[];
    dtype?: 'float32' | 'int32';
    /** integer values drawn from [0, ints) (int32 inputs) */
    ints?: number;
    /** differentiate with respect to this input (float32 inputs; default true) */
    grad?: boolean;
  }

  type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

  function values(a: Arg, seed: number): Float32Array | Int32Array {
    const n = a.shape.reduce((p, q) => p * q, 1);
    const rng = seededRng(seed);
    if (a.dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(rng() * (a.ints ?? 10)));
    return Float32Array.from({ length: n }, () => rng() * 4 - 2);
  }

  /** Value of f and the gradients of Σ f(x) · dy (dy fixed, pseudo-random) on one backend. */
  function runOn(backend: string, args: Arg[], f: Fn): { y: number[]; shape: number[]; grads: number[][] } {
    tf.setBackend(backend);
    return tf.tidy(() => {
      const xs = args.map((a, i) => tf.tensor(values(a, 100 + i), a.shape, a.dtype ?? 'float32'));
      const y = f(...xs);
      const dy = tf.tensor(values({ shape: y.shape }, 7), y.shape);
      const which = args.map((a, i) => ((a.dtype ?? 'float32') === 'float32' && a.grad !== false ? i : -1)).filter((i) => i >= 0);
      let grads: number[][] = [];
      if (which.length && y.dtype === 'float32') {
        const g = tf.grads((...gx: tf.Tensor[]) => {
          const all = xs.slice();
          which.forEach((w, j) => (all[w] = gx[j]));
          return tf.sum(tf.mul(f(...all), dy));
        })(which.map((w) => xs[w]));
        grads = g.map((t) => Array.from(t.dataSync()));
      }
      return { y: Array.from(y.dataSync()), shape: y.shape, grads };
    });
  }

  function assertClose(a: number[], b: number[], what: string, tol = 1e-4): void {
    assert.equal(a.length, b.length, `${what}: length ${a.length} vs ${b.length}`);
    for (let i = 0; i < a.length; i++) {
      const ok = (Number.isNaN(a[i]) && Number.isNaN(b[i])) || a[i] === b[i] || Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i]));
      assert.ok(ok, `${what}[${i}]: ${backend} ${a[i]} vs composed ${b[i]}`);
    }
  }

  /** The same function on native and on cpu: equal values, shapes and gradients. */
  function same(what: string, args: Arg[], f: Fn, tol = 1e-4): void {
    const n = runOn(backend, args, f);
    const c = runOn('cpu', args, f);
    assert.deepEqual(n.shape, c.shape, `${what}: shape`);
    assertClose(n.y, c.y, `${what}: value`, tol);
    assert.equal(n.grads.length, c.grads.length, `${what}: gradient count`);
    n.grads.forEach((g, i) => assertClose(g, c.grads[i], `${what}: gradient ${i}`, tol));
  }

  const opts = { skip };

  test(`[${backend}] matMul: every transpose combination, broadcast batch dimensions, odd and empty sizes`, opts, () => {
    const cases: [number[], number[]][] = [
      [[3, 5], [5, 7]],
      [[1, 1], [1, 1]],
      [[2, 3, 5], [5, 4]],
      [[4, 5], [2, 5, 3]],
      [[2, 1, 3, 5], [4, 5, 6]],
      [[3, 1, 2, 7], [1, 5, 7, 3]],
      [[0, 5], [5, 3]],
      [[3, 0], [0, 4]],
      [[2, 0, 3], [3, 4]],
    ];
    for (const [a, b] of cases) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const sa = ta ? [...a.slice(0, -2), a[a.length - 1], a[a.length - 2]] : a;
          const sb = tb ? [...b.slice(0, -2), b[b.length - 1], b[b.length - 2]] : b;
          // tfjs has no gradient for broadcast batch dimensions (on any backend): values only there;
          // and its cpu kernel only broadcasts a batch of 1, so the reference expands both operands first
          const grad = a.slice(0, -2).join() === b.slice(0, -2).join();
          same(`matMul [${sa}]${ta ? 'ᵀ' : ''} · [${sb}]${tb ? 'ᵀ' : ''}`, [{ shape: sa, grad }, { shape: sb, grad }], (x, y) => {
            if (tf.getBackend() === backend || grad) return tf.matMul(x, y, ta, tb);
            const batch = tf.backend_util.assertAndGetBroadcastShape(x.shape.slice(0, -2), y.shape.slice(0, -2));
            return tf.matMul(tf.broadcastTo(x, [...batch, ...x.shape.slice(-2)]), tf.broadcastTo(y, [...batch, ...y.shape.slice(-2)]), ta, tb);
          });
        }
      }
    }
    same('fused matMul + bias + relu', [{ shape: [2, 4, 3], grad: false }, { shape: [3, 5], grad: false }, { shape: [5], grad: false }], (x, y, z) =>
      tf.fused.matMul({ a: x as tf.Tensor3D, b: y as tf.Tensor3D, bias: z, activation: 'relu' }));
    same('fused matMul, transposed, bias only', [{ shape: [3, 4] }, { shape: [5, 3] }, { shape: [4, 1] }], (x, y, z) =>
      tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: true, transposeB: true, bias: z }));
  });

  test(`[${backend}] binary ops with broadcasting (scalars, size-1 axes, rank differences, empty) and their gradients`, opts, () => {
    const fns: Record<string, Fn> = {
      add: (a, b) => tf.add(a, b),
      sub: (a, b) => tf.sub(a, b),
      mul: (a, b) => tf.mul(a, b),
      div: (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5)),
      maximum: (a, b) => tf.maximum(a, b),
      minimum: (a, b) => tf.minimum(a, b),
      squaredDifference: (a, b) => tf.squaredDifference(a, b),
    };
    const shapes: [number[], number[]][] = [
      [[7], [7]],
      [[3, 4], []],
      [[], [2, 3]],
      [[3, 1, 5], [4, 1]],
      [[2, 3, 4], [3, 1]],
      [[1, 6], [5, 1]],
      [[2, 1, 3, 1], [1, 4, 1, 5]],
      [[0, 3], [3]],
      [[40, 1030], [1030]],
    ];
    for (const [name, f] of Object.entries(fns)) {
      // tfjs's maximum, minimum and squaredDifference gradients do not reduce broadcast axes (on any backend): values only there
      const grad = (a: number[], b: number[]) => !['maximum', 'minimum', 'squaredDifference'].includes(name) || a.join() === b.join();
      for (const [a, b] of shapes) same(`${name} [${a}] ∘ [${b}]`, [{ shape: a, grad: grad(a, b) }, { shape: b, grad: grad(a, b) }], f);
    }
    same('int32 add runs the cpu kernel', [{ shape: [3], dtype: 'int32' }, { shape: [3], dtype: 'int32' }], (a, b) => tf.add(a, b));
  });

  test(`[${backend}] unary ops and their gradients, odd and large sizes`, opts, () => {
    const fns: Record<string, Fn> = {
      neg: (x) => tf.neg(x),
      exp: (x) => tf.exp(x),
      log: (x) => tf.log(tf.add(tf.abs(x), 0.1)),
      sqrt: (x) => tf.sqrt(tf.add(tf.abs(x), 0.1)),
      rsqrt: (x) => tf.rsqrt(tf.add(tf.abs(x), 0.1)),
      square: (x) => tf.square(x),
      abs: (x) => tf.abs(x),
      relu: (x) => tf.relu(x),
      tanh: (x) => tf.tanh(x),
      sigmoid: (x) => tf.sigmoid(x),
      erf: (x) => tf.erf(x),
      log1p: (x) => tf.log1p(tf.abs(x)),
      reciprocal: (x) => tf.reciprocal(tf.add(tf.abs(x), 0.5)),
      step: (x) => tf.step(x, 0.25),
    };
    for (const [name, f] of Object.entries(fns)) {
      for (const shape of [[7], [3, 5], [0, 4], [70000]]) same(`${name} [${shape}]`, [{ shape }], f);
    }
  });

  test(`[${backend}] reductions over leading, trailing, middle and non-adjacent axes, keepDims, empty`, opts, () => {
    const fns: Record<string, (x: tf.Tensor, axis: number[], keep: boolean) => tf.Tensor> = {
      sum: (x, a, k) => tf.sum(x, a, k),
      mean: (x, a, k) => tf.mean(x, a, k),
      max: (x, a, k) => tf.max(x, a, k),
      min: (x, a, k) => tf.min(x, a, k),
      prod: (x, a, k) => tf.prod(tf.add(tf.mul(x, 0.1), 1), a, k),
    };
    const cases: [number[], number[]][] = [
      [[5], [0]],
      [[3, 4], [0]],
      [[3, 4], [1]],
      [[2, 3, 4], [1]],
      [[2, 3, 4], [0, 2]],
      [[2, 3, 4, 5], [1, 2]],
      [[2, 3, 4, 5], [0, 1, 2, 3]],
      [[3, 300], [0]],
      [[0, 4], [1]],
    ];
    for (const [name, f] of Object.entries(fns)) {
      for (const [shape, axis] of cases) {
        for (const keep of [false, true]) same(`${name} [${shape}] over [${axis}]${keep ? ' keepDims' : ''}`, [{ shape }], (x) => f(x, axis, keep));
      }
    }
  });

  test(`[${backend}] transpose (float32 and int32), softmax, addN`, opts, () => {
    for (const [shape, perm] of [[[3, 4], [1, 0]], [[2, 3, 4], [2, 0, 1]], [[2, 3, 4, 5], [0, 2, 1, 3]], [[2, 1, 3, 2, 2], [4, 3, 2, 1, 0]], [[0, 3], [1, 0]]] as [number[], number[]][]) {
      same(`transpose [${shape}] by [${perm}]`, [{ shape }], (x) => tf.transpose(x, perm));
      same(`transpose int32 [${shape}] by [${perm}]`, [{ shape, dtype: 'int32' }], (x) => tf.transpose(x, perm));
    }
    for (const shape of [[5], [3, 7], [2, 3, 257]]) same(`softmax [${shape}]`, [{ shape }], (x) => tf.softmax(x));
    same('addN of three', [{ shape: [3, 5] }, { shape: [3, 5] }, { shape: [3, 5] }], (a, b, c) => tf.addN([a, b, c]));
  });

  test(`[${backend}] random shapes (seeded): broadcast products, broadcast element-wise ops, reductions and transposes`, opts, () => {
    const rng = seededRng(2024);
    const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
    const dims = (rank: number, max: number) => Array.from({ length: rank }, () => int(1, max));
    for (let trial = 0; trial < 12; trial++) {
      // matMul: random batch dims where each side may be 1 (broadcast), random transposes and odd sizes
      const batch = dims(int(0, 2), 3);
      const ba = batch.map((d) => (rng() < 0.3 ? 1 : d)), bb = batch.map((d) => (rng() < 0.3 ? 1 : d));
      const [m, k, n] = [int(1, 9), int(1, 9), int(1, 9)];
      const ta = rng() < 0.5, tb = rng() < 0.5;
      const sa = [...ba, ...(ta ? [k, m] : [m, k])], sb = [...bb, ...(tb ? [n, k] : [k, n])];
      const grad = ba.join() === bb.join();
      same(`random matMul [${sa}]${ta ? 'ᵀ' : ''} · [${sb}]${tb ? 'ᵀ' : ''}`, [{ shape: sa, grad }, { shape: sb, grad }], (x, y) => {
        if (tf.getBackend() === backend || grad) return tf.matMul(x, y, ta, tb);
        const full = tf.backend_util.assertAndGetBroadcastShape(ba, bb);
        return tf.matMul(tf.broadcastTo(x, [...full, ...sa.slice(-2)]), tf.broadcastTo(y, [...full, ...sb.slice(-2)]), ta, tb);
      });
      // element-wise: a random shape and a random broadcastable partner (size-1 axes, fewer axes)
      const shape = dims(int(1, 4), 6);
      const partner = shape.slice(int(0, shape.length - 1)).map((d) => (rng() < 0.4 ? 1 : d));
      same(`random mul/add [${shape}] ∘ [${partner}]`, [{ shape }, { shape: partner }], (a, b) => tf.add(tf.mul(a, b), tf.div(b, tf.add(tf.abs(a), 1))));
      // reductions over a random non-empty set of axes
      const axes = shape.map((_, i) => i).filter(() => rng() < 0.5);
      if (axes.length === 0) axes.push(int(0, shape.length - 1));
      same(`random sum/max [${shape}] over [${axes}]`, [{ shape }], (x) => tf.add(tf.sum(x, axes), tf.max(x, axes)));
      // transpose by a random permutation
      const perm = shuffleInPlace(shape.map((_, i) => i), rng) as number[];
      same(`random transpose [${shape}] by [${perm}]`, [{ shape }], (x) => tf.transpose(x, perm));
    }
  });

  test(`[${backend}] fused linear, layer norm, GELU and masked softmax equal the composed ops`, opts, () => {
    same('linear 2-D with bias', [{ shape: [5, 7] }, { shape: [7, 3] }, { shape: [3] }], (x, w, b) => ops.linear(x, w as tf.Tensor2D, b as tf.Tensor1D));
    same('linear 3-D without bias', [{ shape: [2, 3, 7] }, { shape: [7, 4] }], (x, w) => ops.linear(x, w as tf.Tensor2D));
    same('linear 4-D with bias', [{ shape: [2, 2, 3, 7] }, { shape: [7, 4] }, { shape: [4] }], (x, w, b) => ops.linear(x, w as tf.Tensor2D, b as tf.Tensor1D));
    same('linear, empty batch', [{ shape: [0, 7] }, { shape: [7, 3] }, { shape: [3] }], (x, w, b) => ops.linear(x, w as tf.Tensor2D, b as tf.Tensor1D));
    for (const shape of [[4, 9], [2, 3, 768], [1, 1], [0, 5]]) {
      const d = shape[shape.length - 1];
      // a one-element row has variance 0, so with BERT's eps 1e-12 any rounding in x − mean is scaled by 10⁶
      // (ATen computes x·rstd − mean·rstd): that edge case is checked at eps 1e-5
      const eps = d === 1 ? 1e-5 : 1e-12;
      same(`layerNorm [${shape}]`, [{ shape }, { shape: [d] }, { shape: [d] }], (x, g, b) => ops.layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, eps));
      same(`gelu [${shape}]`, [{ shape }], (x) => ops.gelu(x));
    }
    const mask = (m: tf.Tensor) => tf.mul(tf.cast(tf.less(m, 0), 'float32'), -3.4028234663852886e38);
    same('maskedSoftmax with a [B, 1, 1, L] mask', [{ shape: [2, 3, 5, 5] }, { shape: [2, 1, 1, 5], grad: false }], (s, m) => ops.maskedSoftmax(s, 0.125, mask(m)));
    same('maskedSoftmax without a mask', [{ shape: [3, 11] }], (s) => ops.maskedSoftmax(s, 2));
    same('maskedSoftmax with a full mask (composed fallback)', [{ shape: [2, 3, 4] }, { shape: [2, 3, 4], grad: false }], (s, m) => ops.maskedSoftmax(s, 1, mask(m)));
  });

  test(`[${backend}] fused self-attention equals the composed heads, softmax and products (no dropout)`, opts, () => {
    const mask = (m: tf.Tensor) => tf.mul(tf.cast(tf.less(m, -1.5), 'float32'), -3.4028234663852886e38);
    for (const [B, L, H, D] of [[2, 5, 3, 4], [1, 7, 1, 6], [3, 1, 2, 2]]) {
      same(`selfAttention B${B} L${L} H${H} D${D}`, [{ shape: [B, L, H * D] }, { shape: [B, L, H * D] }, { shape: [B, L, H * D] }, { shape: [B, 1, 1, L], grad: false }], (q, k, v, m) =>
        ops.selfAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, mask(m), H, 0.1, false));
    }
  });

  test(`[${backend}] encoder layer (attention, feed-forward, both layer norms) equals the composed layer, with and without a mask`, opts, () => {
    const mask = (m: tf.Tensor) => tf.mul(tf.cast(tf.less(m, -1.5), 'float32'), -3.4028234663852886e38);
    for (const [B, L, H, heads, F] of [[2, 5, 8, 2, 16], [1, 3, 6, 3, 4]]) {
      const args = [{ shape: [B, L, H] }, ...encoderLayerShapes(H, F).map((shape) => ({ shape })), { shape: [B, 1, 1, L], grad: false }];
      same(`encoderLayer B${B} L${L} H${H} heads ${heads} FFN ${F}`, args, (h, ...rest) =>
        ops.encoderLayer(h as tf.Tensor3D, encoderLayerWeights(rest.slice(0, 16)), mask(rest[16]), heads, 0.1, 0.1, 1e-12, false, [1, 2, 3]));
      same(`encoderLayer without a mask B${B} L${L}`, args.slice(0, 17), (h, ...rest) =>
        ops.encoderLayer(h as tf.Tensor3D, encoderLayerWeights(rest), undefined, heads, 0.1, 0.1, 1e-12, false, [1, 2, 3]));
    }
  });

  test(`[${backend}] the fused encoder layer equals the layer composed from the single fused ops with dropout on (same seeds, same masks), values and gradients`, opts, () => {
    tf.setBackend(backend);
    for (const [B, L, H, heads, F] of [[2, 7, 8, 2, 16], [3, 5, 6, 3, 4]]) {
      const rng = seededRng(5);
      const make = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1), shape);
      tf.tidy(() => {
        const h = make([B, L, H]) as tf.Tensor3D;
        const params = encoderLayerShapes(H, F).map(make);
        const mask = tf.concat([tf.zeros([B, 1, 1, L - 2]), tf.fill([B, 1, 1, 2], -3.4028234663852886e38)], 3);
        const dy = make([B, L, H]);
        const run = (layer: typeof ops.encoderLayer) => {
          const f = (...xs: tf.Tensor[]) => tf.sum(tf.mul(layer(xs[0] as tf.Tensor3D, encoderLayerWeights(xs.slice(1)), mask, heads, 0.2, 0.3, 1e-12, true, [11, 12, 13]), dy));
          const y = layer(h, encoderLayerWeights(params), mask, heads, 0.2, 0.3, 1e-12, true, [11, 12, 13]);
          return { y: y.dataSync(), grads: tf.grads(f)([h, ...params]).map((g) => g.dataSync()) };
        };
        const fused = run(ops.encoderLayer), composed = run(ops.composedEncoderLayer);
        const close = (a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array, what: string) => {
          assert.equal(a.length, b.length, what);
          for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])), `${what}[${i}]: fused ${a[i]} vs composed ${b[i]} (B ${B}, L ${L}, width ${H}, FFN ${F})`);
        };
        close(fused.y, composed.y, 'output');
        // dropout is on: some outputs differ from the layer without it
        const plain = ops.encoderLayer(h, encoderLayerWeights(params), mask, heads, 0.2, 0.3, 1e-12, false, [11, 12, 13]).dataSync();
        assert.ok(plain.some((x, i) => Math.abs(x - fused.y[i]) > 1e-3), 'dropout changed the output');
        fused.grads.forEach((g, i) => close(g, composed.grads[i], `gradient ${i}`));
      });
    }
  });

  test(`[${backend}] embedding, conv1d, embedding + conv1d, max pooling and batch norm equal the composed ops`, opts, () => {
    same('embedding with repeated ids', [{ shape: [7, 3] }, { shape: [2, 4], dtype: 'int32', ints: 7 }], (t, ids) => ops.embedding(ids, t as tf.Tensor2D));
    for (const [B, L, C, K, O] of [[2, 9, 3, 4, 5], [1, 8, 1, 8, 2], [3, 20, 16, 8, 8]]) {
      same(`conv1d B${B} L${L} C${C} K${K} O${O}`, [{ shape: [B, L, C] }, { shape: [K * C, O] }, { shape: [O] }], (x, w, b) => ops.conv1d(x as tf.Tensor3D, w as tf.Tensor2D, b as tf.Tensor1D, K));
    }
    same('embedding + conv1d', [{ shape: [2, 13], dtype: 'int32', ints: 6 }, { shape: [6, 5] }, { shape: [4 * 5, 3] }, { shape: [3] }], (ids, e, w, b) =>
      ops.embeddingConv1d(ids as tf.Tensor2D, e as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D, 4));
    for (const [B, L, C, size] of [[2, 9, 3, 2], [1, 4, 5, 4], [2, 7, 1, 3]]) {
      same(`maxPool1d B${B} L${L} C${C} size ${size}`, [{ shape: [B, L, C] }], (x) => ops.maxPool1d(x as tf.Tensor3D, size));
    }
    same('batchNorm (training)', [{ shape: [3, 6, 4] }, { shape: [4] }, { shape: [4] }], (x, g, b) =>
      ops.batchNorm(x as tf.Tensor3D, { gamma: g as tf.Tensor1D, beta: b as tf.Tensor1D, runningMean: tf.variable(tf.zeros([4]), false), runningVar: tf.variable(tf.ones([4]), false) }, true));
  });

  test(`[${backend}] CNN stack (embedding → conv1d → batch norm → ReLU → max pooling per layer → channel-major flatten) equals the composed stack, training and eval, with the running statistics in place or held elsewhere`, opts, () => {
    /** A batch norm's running statistics as variables that nothing else holds (the source tensors released). */
    const owned = (t: tf.Tensor) => {
      const v = tf.variable(t, false);
      t.dispose();
      return v;
    };
    const layersOf = (rest: tf.Tensor[]): ConvLayer[] =>
      Array.from({ length: rest.length / 6 }, (_, i) => {
        const [w, b, g, be, rm, rv] = rest.slice(6 * i, 6 * i + 6);
        return { w: w as tf.Tensor2D, b: b as tf.Tensor1D, bn: { gamma: g as tf.Tensor1D, beta: be as tf.Tensor1D, runningMean: owned(tf.add(rm, 0)), runningVar: owned(tf.add(tf.abs(rv), 0.5)) } };
      });
    const cases: [number, number, number, number, number, number[]][] = [[2, 13, 5, 4, 3, [3]], [3, 40, 6, 4, 2, [5, 4, 3]]];
    for (const training of [true, false]) {
      for (const [B, L, E, K, pool, channels] of cases) {
        const layerArgs = channels.flatMap((O, i) => [{ shape: [K * (i ? channels[i - 1] : E), O] }, { shape: [O] }, { shape: [O] }, { shape: [O] }, { shape: [O], grad: false }, { shape: [O], grad: false }]);
        same(`convStack B${B} L${L} E${E} K${K} pool ${pool} channels ${channels} ${training ? 'training' : 'eval'}`, [{ shape: [B, L], dtype: 'int32', ints: 6 }, { shape: [6, E] }, ...layerArgs], (ids, table, ...rest) =>
          ops.convStack(ids as tf.Tensor2D, table as tf.Tensor2D, layersOf(rest), K, pool, training));
      }
    }
    // one training call's running statistics (momentum 0.1, unbiased variance) on both sides, with the
    // statistics exclusively owned (updated in place on torch) and with a second reference held to them
    // (folded in with ordinary ops; the held copy keeps its old values)
    const stats = (on: string, hold: boolean) => {
      tf.setBackend(on);
      return tf.tidy(() => {
        const t = (shape: number[], seed: number) => tf.tensor(values({ shape }, seed), shape);
        const layers: ConvLayer[] = [[5, 3], [3, 2]].map(([C, O], i) => ({
          w: t([4 * C, O], 10 + i) as tf.Tensor2D,
          b: t([O], 20 + i) as tf.Tensor1D,
          bn: { gamma: t([O], 30 + i) as tf.Tensor1D, beta: t([O], 40 + i) as tf.Tensor1D, runningMean: owned(tf.zeros([O])), runningVar: owned(tf.ones([O])) },
        }));
        const held = hold ? layers.flatMap((l) => [tf.clone(l.bn.runningMean), tf.clone(l.bn.runningVar)]) : [];
        const before = layers.map((l) => l.bn.runningMean.dataId);
        ops.convStack(tf.tensor2d([[0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 1, 1, 2, 3, 5, 4], [5, 4, 3, 2, 1, 0, 0, 0, 1, 2, 3, 4, 5, 5, 2, 2, 1, 0]], undefined, 'int32'), t([6, 5], 1) as tf.Tensor2D, layers, 4, 2, true);
        // the fused stack updates statistics nothing else holds in place (the same storage), else by assignment
        if (on === 'torch') assert.equal(layers.every((l, i) => l.bn.runningMean.dataId === before[i]), !hold, 'in place exactly when nothing else holds the statistics');
        held.forEach((h, i) => assert.deepEqual(Array.from(h.dataSync()), Array(h.size).fill(i % 2), `held statistics ${i} unchanged`));
        return layers.flatMap((l) => [Array.from(l.bn.runningMean.dataSync()), Array.from(l.bn.runningVar.dataSync())]);
      });
    };
    for (const hold of [false, true]) {
      const mine = stats(backend, hold), ref = stats('cpu', hold);
      mine.forEach((m, i) => assertClose(m, ref[i], `${hold ? 'held' : 'owned'} running ${i % 2 ? 'variance' : 'mean'} of layer ${(i >> 1) + 1}`));
      assert.ok(mine.every((m, i) => m.some((x) => x !== i % 2)), 'the running statistics moved');
    }
  });

  test(`[${backend}] softmax and sigmoid cross-entropy (mean) equal the composed losses`, opts, () => {
    for (const [N, C] of [[5, 2], [7, 4], [1, 3]]) {
      same(`softmaxCrossEntropy N${N} C${C}`, [{ shape: [N, C] }, { shape: [N], dtype: 'int32', ints: C }], (z, y) => ops.softmaxCrossEntropy(z as tf.Tensor2D, y as tf.Tensor1D));
      same(`softmaxCrossEntropy N${N} C${C}, float labels`, [{ shape: [N, C] }, { shape: [N], dtype: 'int32', ints: C }], (z, y) => ops.softmaxCrossEntropy(z as tf.Tensor2D, tf.cast(y, 'float32') as tf.Tensor1D));
    }
    for (const N of [6, 1]) {
      same(`sigmoidCrossEntropy N${N}`, [{ shape: [N] }, { shape: [N], dtype: 'int32', ints: 2 }], (z, y) => ops.sigmoidCrossEntropy(tf.mul(z, 5) as tf.Tensor1D, tf.cast(y, 'float32') as tf.Tensor1D));
    }
  });

  test(`[${backend}] fused dropout: seeded, inverted scaling, rate respected; gradient is the same mask`, opts, () => {
    tf.setBackend(backend);
    tf.tidy(() => {
      const x = tf.ones([200, 500]);
      const a = ops.dropout(x, 0.1, true, 42).dataSync();
      const b = ops.dropout(x, 0.1, true, 42).dataSync();
      const c = ops.dropout(x, 0.1, true, 43).dataSync();
      assert.deepEqual(a, b, 'same seed, same mask');
      assert.notDeepEqual(a, c, 'another seed, another mask');
      const kept = a.filter((v) => v !== 0);
      assert.ok(Math.abs(1 - kept.length / a.length - 0.1) < 0.005, `dropped fraction ${1 - kept.length / a.length}`);
      assert.ok(kept.every((v) => Math.abs(v - 1 / 0.9) < 1e-6), 'kept values are scaled by 1 / (1 − rate)');
      const g = tf.grad((t: tf.Tensor) => tf.sum(ops.dropout(t, 0.1, true, 42)))(x).dataSync();
      assert.deepEqual(g, a, 'd/dx Σ dropout(x) is the mask itself');
    });
  });

  test(`[${backend}] fused attention dropout: reproducible with the seed, gradient matches finite differences`, opts, () => {
    tf.setBackend(backend);
    const [B, L, H, D] = [1, 4, 2, 3];
    const q = tf.tensor(values({ shape: [B, L, H * D] }, 1), [B, L, H * D]) as tf.Tensor3D;
    const k = tf.tensor(values({ shape: [B, L, H * D] }, 2), [B, L, H * D]) as tf.Tensor3D;
    const v = tf.tensor(values({ shape: [B, L, H * D] }, 3), [B, L, H * D]) as tf.Tensor3D;
    const f = (qq: tf.Tensor) => tf.sum(tf.square(ops.selfAttention(qq as tf.Tensor3D, k, v, undefined, H, 0.3, true, 9)));
    assert.equal(f(q).dataSync()[0], f(q).dataSync()[0]);
    const g = tf.grad(f)(q).dataSync();
    const base = q.dataSync();
    const h = 1e-2;
    for (let i = 0; i < base.length; i++) {
      const plus = base.slice(), minus = base.slice();
      plus[i] += h;
      minus[i] -= h;
      const fd = (f(tf.tensor(plus, q.shape)).dataSync()[0] - f(tf.tensor(minus, q.shape)).dataSync()[0]) / (2 * h);
      assert.ok(Math.abs(fd - g[i]) <= 2e-2 * (1 + Math.abs(fd)), `dq[${i}]: analytic ${g[i]} vs finite difference ${fd}`);
    }
  });

  test(`[${backend}] AdamW in place equals the composed update over three steps (decay on and off; with and without clipping)`, opts, async () => {
    // the three steps' gradients have global norms 4.4, 6.1 and 5.0: clipped at 1, untouched at 10
    for (const maxNorm of [undefined, 1, 10]) {
      const result = async (backend: string) => {
        tf.setBackend(backend);
        const p = [tf.variable(tf.tensor(values({ shape: [4, 3] }, 5), [4, 3])), tf.variable(tf.tensor(values({ shape: [3] }, 6), [3]))];
        const opt = new AdamW(p, [true, false], { weightDecay: 0.01 });
        for (let s = 0; s < 3; s++) {
          const grads = p.map((v, i) => tf.tensor(values({ shape: v.shape }, 20 + 2 * s + i), v.shape));
          const before = grads.map((g) => Array.from(g.dataSync()));
          opt.apply(grads, 1e-2, maxNorm);
          grads.forEach((g, i) => assert.deepEqual(Array.from(g.dataSync()), before[i], 'the caller\'s gradients are left as they are'));
          tf.dispose(grads);
        }
        const state = await opt.getState();
        const out = { p: p.map((v) => Array.from(v.dataSync())), m: state.m.map((a) => Array.from(a)), v: state.v.map((a) => Array.from(a)) };
        opt.dispose();
        tf.dispose(p);
        return out;
      };
      const n = await result(backend);
      const c = await result('cpu');
      for (const key of ['p', 'm', 'v'] as const) n[key].forEach((a, i) => assertClose(a, c[key][i], `${key}[${i}] (max norm ${maxNorm})`, 1e-5));
    }
  });
}

/** The shapes of an encoder layer's 16 parameters in `encoderLayerWeights`' order (width H, FFN F). */
export function encoderLayerShapes(H: number, F: number): number[][] {
  return [[H, H], [H], [H, H], [H], [H, H], [H], [H, H], [H], [H], [H], [H, F], [F], [F, H], [H], [H], [H]];
}

/** 16 tensors (query W, b; key; value; attention output; its norm γ, β; intermediate; output; its norm) as an encoder layer's weights. */
export function encoderLayerWeights(t: tf.Tensor[]): EncoderLayerWeights {
  const d = (i: number) => ({ w: t[i] as tf.Tensor2D, b: t[i + 1] as tf.Tensor1D });
  const n = (i: number) => ({ gamma: t[i] as tf.Tensor1D, beta: t[i + 1] as tf.Tensor1D });
  return { query: d(0), key: d(2), value: d(4), attentionOutput: d(6), attentionNorm: n(8), intermediate: d(10), output: d(12), outputNorm: n(14) };
}
