/**
 * Fused versions of lib/models/ops.ts for the native backend: each forward pass is one native call, and each
 * gradient is registered with tf.customGrad and computed by one or two native calls, instead of the
 * chains of element-wise ops (and their saved intermediates) the composed versions record. lib/models/ops.ts
 * calls these when the native backend is active; test/native.test.ts checks each against the composed
 * version.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { addon, REDUCE } from './addon.js';
import { valuesOf } from './backend.js';
import { dropoutSeed, encoderLayerParams, type EncoderLayerSeeds, type EncoderLayerWeights } from '../models/layers.js';

type Grad = Parameters<typeof tf.customGrad>[0];

function vals(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`native op: expected a float32 tensor, got ${t.dtype}`);
  return valuesOf(tf.backend() as MathBackendCPU, t);
}

function ints(t: tf.Tensor): Int32Array {
  const v = (tf.backend() as MathBackendCPU).data.get(t.dataId).values;
  return v instanceof Int32Array ? v : Int32Array.from(v as ArrayLike<number>);
}

function bytes(t: tf.Tensor): Uint8Array {
  return (tf.backend() as MathBackendCPU).data.get(t.dataId).values as Uint8Array;
}

/** Token ids as int32 values, each checked to index a table of `rows` rows. */
function tableIds(ids: tf.Tensor, rows: number): Int32Array {
  const idv = ints(ids);
  for (let i = 0; i < idv.length; i++) {
    if (idv[i] < 0 || idv[i] >= rows) throw new Error(`embedding: id ${idv[i]} at position ${i} is outside the table (${rows} rows)`);
  }
  return idv;
}

const f32 = (values: Float32Array, shape: number[]) => tf.tensor(values, shape, 'float32');
const ONE = new Int32Array(1);

/** out[m, n] = op(a)[m, k] · op(b)[k, n] (+ out when beta = 1). */
function gemm(a: Float32Array, b: Float32Array, out: Float32Array, m: number, n: number, k: number, transA: boolean, transB: boolean, beta = 0): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (beta === 0) out.fill(0);
    return;
  }
  addon().gemmBatched(a, b, out, ONE, ONE, m, n, k, transA, transB, 1, beta);
}

/** Column sums of [rows, cols]. */
function colSum(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(cols);
  if (rows > 0 && cols > 0) addon().reduce(REDUCE.sum, x, out, 1, rows, cols);
  return out;
}

/** The linear op with or without a bias input (customGrad needs a fixed argument list). */
function linearOp(withBias: boolean): (...args: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w] = args as tf.Tensor[];
    const b = withBias ? (args[2] as tf.Tensor) : null;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [N, K] = x.shape as [number, number], O = w.shape[1] as number;
    save([x, w]);
    const out = new Float32Array(N * O);
    if (b && N * O > 0) addon().biasRows(out, vals(b), N, O);
    gemm(vals(x), vals(w), out, N, O, K, false, false, b ? 1 : 0);
    return {
      value: f32(out, [N, O]),
      gradFunc: (dy: tf.Tensor, [sx, sw]: tf.Tensor[]) => {
        const d = vals(dy);
        const dx = new Float32Array(N * K), dw = new Float32Array(K * O);
        gemm(d, vals(sw), dx, N, K, O, false, true);
        gemm(vals(sx), d, dw, K, O, N, true, false);
        const grads = [f32(dx, [N, K]), f32(dw, [K, O])];
        return b ? [...grads, f32(colSum(d, N, O), [O])] : grads;
      },
    };
  }) as unknown as Grad) as (...args: tf.Tensor[]) => tf.Tensor;
}

const linearBias = linearOp(true);
const linearNoBias = linearOp(false);

/** x [N, in] · W [in, out] + b [out] as one sgemm over bias-filled rows; gradients by sgemm with transpose flags. */
export function linear2d(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  if (x.shape[1] !== w.shape[0]) throw new Error(`linear: input width ${x.shape[1]} does not match weight rows ${w.shape[0]}`);
  return (b ? linearBias(x, w, b) : linearNoBias(x, w)) as tf.Tensor2D;
}

const layerNormFused = (eps: number) =>
  tf.customGrad(((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const cols = x.shape[x.rank - 1] as number;
    const rows = cols === 0 ? 0 : x.size / cols;
    const y = new Float32Array(x.size), mean = new Float32Array(rows), rstd = new Float32Array(rows);
    if (x.size) addon().layerNorm(vals(x), vals(gamma), vals(beta), y, mean, rstd, rows, cols, eps);
    save([x, gamma, f32(mean, [rows]), f32(rstd, [rows])]);
    return {
      value: f32(y, x.shape),
      gradFunc: (dy: tf.Tensor, [sx, sg, sm, sr]: tf.Tensor[]) => {
        const dx = new Float32Array(sx.size), dg = new Float32Array(cols), db = new Float32Array(cols);
        if (sx.size) addon().layerNormGrad(vals(dy), vals(sx), vals(sg), vals(sm), vals(sr), dx, dg, db, rows, cols);
        return [f32(dx, sx.shape), f32(dg, [cols]), f32(db, [cols])];
      },
    };
  }) as unknown as Grad) as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

/** Layer normalisation over the last axis: one pass forward (saving mean and 1/σ per row), one backward. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  return layerNormFused(eps)(x, gamma, beta);
}

/**
 * Batch normalisation in training mode over all but the last axis: normalised output, plus the batch
 * mean and biased variance per channel (for the running statistics). One pass each way.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const cols = x.shape[x.rank - 1] as number;
  const rows = cols === 0 ? 0 : x.size / cols;
  const mean = new Float32Array(cols), variance = new Float32Array(cols), rstd = new Float32Array(cols);
  const op = tf.customGrad(((xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = new Float32Array(xt.size);
    if (rows > 0) addon().batchNormForward(vals(xt), vals(g), vals(b), y, mean, variance, rstd, rows, cols, eps);
    save([xt, g, f32(mean, [cols]), f32(rstd, [cols])]);
    return {
      value: f32(y, xt.shape),
      gradFunc: (dy: tf.Tensor, [sx, sg, sm, sr]: tf.Tensor[]) => {
        const dx = new Float32Array(sx.size), dg = new Float32Array(cols), db = new Float32Array(cols);
        if (rows > 0) addon().batchNormBackward(vals(dy), vals(sx), vals(sg), vals(sm), vals(sr), dx, dg, db, rows, cols);
        return [f32(dx, sx.shape), f32(dg, [cols]), f32(db, [cols])];
      },
    };
  }) as unknown as Grad) as (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  const y = op(x, gamma, beta);
  return { y, mean: tf.tensor1d(mean.slice()), variance: tf.tensor1d(variance.slice()) };
}

/** Exact GELU and its derivative Φ(x) + x·φ(x). */
export const gelu = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  const y = new Float32Array(x.size);
  if (x.size) addon().gelu(vals(x), y);
  return {
    value: f32(y, x.shape),
    gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => {
      const dx = new Float32Array(sx.size);
      if (sx.size) addon().geluGrad(vals(sx), vals(dy), dx);
      return [f32(dx, sx.shape)];
    },
  };
}) as unknown as Grad) as (x: tf.Tensor) => tf.Tensor;

/**
 * How rows of `scores` map to rows of an additive mask broadcast over them: the mask's leading axes
 * must match scores' (or be 1 throughout), its other axes 1, its last axis the row length. Null when
 * the mask has another layout (the caller then composes ordinary ops).
 */
export function maskLayout(scores: readonly number[], mask: readonly number[]): { period: number; rows: number } | null {
  const r = scores.length;
  if (mask.length > r || mask[mask.length - 1] !== scores[r - 1]) return null;
  const m = [...new Array<number>(r - mask.length).fill(1), ...mask];
  let lead = 0;
  while (lead < r - 1 && m[lead] === scores[lead] && m[lead] !== 1) lead++;
  for (let i = lead; i < r - 1; i++) if (m[i] !== 1) return null;
  const rows = m.slice(0, r - 1).reduce((a, b) => a * b, 1);
  const allRows = scores.slice(0, r - 1).reduce((a, b) => a * b, 1);
  return { period: rows === 0 ? 1 : Math.max(1, allRows / rows), rows: Math.max(rows, 1) };
}

/** softmax(scores · scale + mask) over the last axis in one pass; null when the mask layout is not supported. */
export function maskedSoftmax(scores: tf.Tensor, scale: number, additiveMask?: tf.Tensor): tf.Tensor | null {
  const layout = additiveMask ? maskLayout(scores.shape, additiveMask.shape) : { period: 1, rows: 1 };
  if (!layout) return null;
  const maskValues = additiveMask ? vals(additiveMask) : null;
  const cols = scores.shape[scores.rank - 1] as number;
  const rows = cols === 0 ? 0 : scores.size / cols;
  const op = tf.customGrad(((s: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = new Float32Array(s.size);
    if (s.size) addon().softmax(vals(s), y, rows, cols, scale, maskValues, layout.period, layout.rows);
    const out = f32(y, s.shape);
    save([out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, [sy]: tf.Tensor[]) => {
        const dx = new Float32Array(sy.size);
        if (sy.size) addon().softmaxGrad(vals(sy), vals(dy), dx, rows, cols, scale);
        return [f32(dx, sy.shape)];
      },
    };
  }) as unknown as Grad) as (s: tf.Tensor) => tf.Tensor;
  return op(scores);
}

/** Inverted dropout with a seeded counter-based mask (the same for any thread count), kept as one byte per element. */
export function dropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  const s = dropoutSeed(seed);
  const op = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = new Float32Array(t.size), keep = new Uint8Array(t.size);
    if (t.size) addon().dropoutMask(vals(t), y, keep, rate, s);
    save([tf.tensor(keep, [t.size], 'bool')]);
    return {
      value: f32(y, t.shape),
      gradFunc: (dy: tf.Tensor, [k]: tf.Tensor[]) => {
        const dx = new Float32Array(dy.size);
        if (dy.size) addon().dropoutGrad(vals(dy), bytes(k), dx, rate);
        return [f32(dx, dy.shape)];
      },
    };
  }) as unknown as Grad) as (t: tf.Tensor) => tf.Tensor;
  return op(x);
}

/**
 * Multi-head self-attention on projections q, k, v [B, L, H·D]: dropout(softmax(Q·Kᵀ/√D + mask)) · V
 * per head, returned as [B, L, H·D]. Null when the mask is not [B, 1, 1, L] (the caller composes ops).
 */
export function selfAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, additiveMask: tf.Tensor | undefined, heads: number, rate: number, seed?: number): tf.Tensor3D | null {
  const [B, L, HD] = q.shape;
  const D = HD / heads;
  if (!Number.isInteger(D)) throw new Error(`attention: width ${HD} is not divisible by ${heads} heads`);
  if (additiveMask && (additiveMask.size !== B * L || additiveMask.shape[0] !== B || additiveMask.shape[additiveMask.rank - 1] !== L)) return null;
  const maskValues = additiveMask ? vals(additiveMask) : null;
  const s = dropoutSeed(seed);
  const scale = 1 / Math.sqrt(D);
  const op = tf.customGrad(((qt: tf.Tensor, kt: tf.Tensor, vt: tf.Tensor, save: tf.GradSaveFunc) => {
    const ctx = new Float32Array(B * L * HD), probs = new Float32Array(B * heads * L * L), keep = new Uint8Array(rate > 0 ? probs.length : 0);
    if (ctx.length) addon().attentionForward(vals(qt), vals(kt), vals(vt), maskValues, ctx, probs, keep, B, L, heads, D, scale, rate, s);
    save([qt, kt, vt, f32(probs, [probs.length]), tf.tensor(keep, [keep.length], 'bool')]);
    return {
      value: f32(ctx, [B, L, HD]),
      gradFunc: (dy: tf.Tensor, [sq, sk, sv, sp, sk8]: tf.Tensor[]) => {
        const dq = new Float32Array(B * L * HD), dk = new Float32Array(B * L * HD), dv = new Float32Array(B * L * HD);
        if (dq.length) addon().attentionBackward(vals(sq), vals(sk), vals(sv), vals(sp), bytes(sk8), vals(dy), dq, dk, dv, B, L, heads, D, scale, rate);
        return [f32(dq, [B, L, HD]), f32(dk, [B, L, HD]), f32(dv, [B, L, HD])];
      },
    };
  }) as unknown as Grad) as (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor;
  return op(q, k, v) as tf.Tensor3D;
}

/**
 * Buffers the encoder layer's backward pass has finished with, by kind and length, for the next forward
 * pass: a fresh multi-megabyte array costs a page fault per 4 KiB on first touch, which on a small BERT
 * costs about as much as the layer's arithmetic. A buffer enters only after its one reader (the layer's
 * gradient function) has returned, or at once where no gradient is recorded, so nothing reads it again;
 * at most `SPARE_BYTES` are held.
 */
const spare = new Map<string, (Float32Array | Uint8Array)[]>();
const SPARE_BYTES = 1.5 * 2 ** 30;
let spareBytes = 0;

function takeBuffer<T extends Float32Array | Uint8Array>(kind: new (n: number) => T, length: number): T {
  const list = spare.get(`${kind.name}:${length}`);
  const reused = list?.pop() as T | undefined;
  if (!reused) return new kind(length);
  spareBytes -= reused.byteLength;
  return reused;
}

function giveBuffer(buffer: Float32Array | Uint8Array): void {
  if (buffer.byteLength === 0 || spareBytes + buffer.byteLength > SPARE_BYTES) return;
  const key = `${buffer.constructor.name}:${buffer.length}`;
  const list = spare.get(key) ?? [];
  list.push(buffer);
  spare.set(key, list);
  spareBytes += buffer.byteLength;
}

/** The floats and bytes an encoder layer's forward pass saves for its backward pass (native/src/encoder.cc Layout). */
export function encoderSaveSizes(B: number, L: number, W: number, heads: number, F: number, attentionRate: number, hiddenRate: number): { floats: number; bytes: number } {
  const N = B * L, probs = B * heads * L * L;
  return { floats: 7 * N * W + 2 * N * F + probs + 4 * N, bytes: (attentionRate > 0 ? probs : 0) + (hiddenRate > 0 ? 2 * N * W : 0) };
}

/**
 * One post-LayerNorm BERT encoder layer (lib/models/ops.ts composedEncoderLayer) as one native call each
 * way (native/src/encoder.cc): sgemms over all rows, with bias, GELU, dropout, residual and layer norm
 * fused into the passes after them, and attention per (sequence, head) while its scores are in cache.
 * The dropout masks are the single fused ops' for the same seeds. Null when the mask is not [B, 1, 1, L]
 * or the addon predates the layer (the caller composes it).
 */
export function encoderLayer(h: tf.Tensor3D, w: EncoderLayerWeights, additiveMask: tf.Tensor | undefined, heads: number, attentionRate: number, hiddenRate: number, eps: number, seeds: EncoderLayerSeeds): tf.Tensor3D | null {
  const native = addon();
  if (!native.encoderForward || !native.encoderBackward) return null;
  const [B, L, W] = h.shape;
  const F = w.intermediate.w.shape[1];
  if (!Number.isInteger(W / heads)) throw new Error(`encoder layer: width ${W} is not divisible by ${heads} heads`);
  if (additiveMask && (additiveMask.size !== B * L || additiveMask.shape[0] !== B || additiveMask.shape[additiveMask.rank - 1] !== L)) return null;
  const maskValues = additiveMask ? vals(additiveMask) : null;
  const dims = Int32Array.of(B, L, W, heads, F);
  const [s0, s1, s2] = seeds.map(dropoutSeed);
  const { floats, bytes: keepBytes } = encoderSaveSizes(B, L, W, heads, F, attentionRate, hiddenRate);
  const params = encoderLayerParams(w);
  const forward = (ht: tf.Tensor, pt: tf.Tensor[]) => {
    const y = new Float32Array(B * L * W), saved = takeBuffer(Float32Array, floats), keep = takeBuffer(Uint8Array, keepBytes);
    if (y.length) native.encoderForward!(vals(ht), pt.map(vals), maskValues, y, saved, keep, dims, attentionRate, hiddenRate, eps, s0, s1, s2);
    return { y, saved, keep };
  };
  // no gradient is being recorded (evaluation, prediction): nothing will read what the pass saves
  if (!tf.engine().isTapeOn()) {
    const { y, saved, keep } = forward(h, params);
    giveBuffer(saved);
    giveBuffer(keep);
    return f32(y, [B, L, W]) as tf.Tensor3D;
  }
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [ht, ...pt] = args as tf.Tensor[];
    const { y, saved, keep } = forward(ht, pt);
    save([ht, ...pt, f32(saved, [floats]), tf.tensor(keep, [keepBytes], 'bool')]);
    return {
      value: f32(y, [B, L, W]),
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [sh, ...rest] = kept;
        const sp = rest.slice(0, 16), [ss, sk] = rest.slice(16);
        const dh = new Float32Array(B * L * W), grads = sp.map((t) => new Float32Array(t.size));
        if (dh.length) native.encoderBackward!(vals(sh), sp.map(vals), vals(dy), vals(ss), bytes(sk), dh, grads, dims, attentionRate, hiddenRate, eps);
        giveBuffer(vals(ss));
        giveBuffer(bytes(sk));
        return [f32(dh, [B, L, W]), ...grads.map((g, i) => f32(g, sp[i].shape))];
      },
    };
  }) as unknown as Grad) as (...xs: tf.Tensor[]) => tf.Tensor;
  return op(h, ...params) as tf.Tensor3D;
}

/**
 * Mean softmax cross-entropy of logits [n, c] against integer labels [n], one native pass each way (the
 * composed version's one-hot, log-softmax and products cost most of a masked-LM step over 4,101 tokens).
 * Null where the addon predates it.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar | null {
  const native = addon();
  if (!native.softmaxCrossEntropy || !native.softmaxCrossEntropyGrad) return null;
  const [n, c] = logits.shape;
  const lab = labels.dtype === 'int32' ? ints(labels) : Int32Array.from(vals(labels));
  const op = tf.customGrad(((lt: tf.Tensor, save: tf.GradSaveFunc) => {
    const loss = new Float32Array(n), probs = new Float32Array(n * c);
    if (probs.length) native.softmaxCrossEntropy!(vals(lt), lab, loss, probs);
    save([f32(probs, [n, c])]);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += loss[i];
    return {
      value: tf.scalar(sum / n),
      gradFunc: (dy: tf.Tensor, [sp]: tf.Tensor[]) => {
        const dx = new Float32Array(n * c);
        if (dx.length) native.softmaxCrossEntropyGrad!(vals(sp), lab, vals(dy)[0] / n, dx);
        return [f32(dx, [n, c])];
      },
    };
  }) as unknown as Grad) as (l: tf.Tensor) => tf.Scalar;
  return op(logits);
}

/** Rows of `table` at flat int32 `ids` → [n, dim]; the gradient scatter-adds rows (repeated ids accumulate). */
export const embeddingRows = tf.customGrad(((table: tf.Tensor, ids: tf.Tensor, save: tf.GradSaveFunc) => {
  const [rows, dim] = table.shape as [number, number];
  const idv = tableIds(ids, rows);
  save([ids]);
  const out = new Float32Array(idv.length * dim);
  if (out.length) addon().gatherRows(vals(table), idv, out, dim);
  return {
    value: f32(out, [idv.length, dim]),
    gradFunc: (dy: tf.Tensor, [sids]: tf.Tensor[]) => {
      const dt = new Float32Array(rows * dim);
      if (dy.size) addon().scatterAddRows(vals(dy), ints(sids), dt, dim);
      return [f32(dt, [rows, dim]), tf.zerosLike(sids)];
    },
  };
}) as unknown as Grad) as (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor;

/**
 * conv1d without a patch matrix: K sgemms over shifted row views of x (leading dimension C), forward
 * and backward, in native/src/gemm.cc.
 */
export function conv1d(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, kernel: number): tf.Tensor3D {
  const [B, L, C] = x.shape;
  const O = w.shape[1];
  const out = L - kernel + 1;
  if (out < 1) throw new Error(`conv1d: input length ${L} is shorter than the kernel (${kernel})`);
  if (w.shape[0] !== kernel * C) throw new Error(`conv1d: weight rows ${w.shape[0]} ≠ kernel ${kernel} × channels ${C}`);
  const op = tf.customGrad(((xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = new Float32Array(B * out * O);
    if (y.length && C > 0) addon().conv1dForward(vals(xt), vals(wt), vals(bt), y, B, L, C, kernel, O);
    else if (y.length) addon().biasRows(y, vals(bt), B * out, O);
    save([xt, wt]);
    return {
      value: f32(y, [B, out, O]),
      gradFunc: (dy: tf.Tensor, [sx, sw]: tf.Tensor[]) => {
        const dx = new Float32Array(B * L * C), dw = new Float32Array(kernel * C * O), db = new Float32Array(O);
        if (dy.size && C > 0) addon().conv1dBackward(vals(sx), vals(sw), vals(dy), dx, dw, db, B, L, C, kernel, O);
        else if (dy.size) db.set(colSum(vals(dy), B * out, O));
        return [f32(dx, [B, L, C]), f32(dw, [kernel * C, O]), f32(db, [O])];
      },
    };
  }) as unknown as Grad) as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  return op(x, w, b) as tf.Tensor3D;
}

/**
 * conv1d(embedding(ids, table), w, b) for a small vocabulary in one op: the table is multiplied into
 * each kernel tap once ([V, O] per tap) and the convolution becomes a sum of looked-up rows. The
 * gradient scatter-adds the output gradient per tap and token and multiplies back (native/src/gemm.cc).
 */
export function embeddingConv1d(ids: tf.Tensor2D, table: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, kernel: number): tf.Tensor3D {
  const [B, L] = ids.shape;
  const [V, D] = table.shape;
  const O = w.shape[1];
  const out = L - kernel + 1;
  if (out < 1) throw new Error(`conv1d: input length ${L} is shorter than the kernel (${kernel})`);
  if (w.shape[0] !== kernel * D) throw new Error(`conv1d: weight rows ${w.shape[0]} ≠ kernel ${kernel} × embedding width ${D}`);
  const idv = tableIds(ids, V);
  const op = tf.customGrad(((et: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = new Float32Array(B * out * O);
    if (y.length) addon().embedConv1dForward(idv, vals(et), vals(wt), vals(bt), y, B, L, V, D, kernel, O);
    save([et, wt]);
    return {
      value: f32(y, [B, out, O]),
      gradFunc: (dy: tf.Tensor, [se, sw]: tf.Tensor[]) => {
        const de = new Float32Array(V * D), dw = new Float32Array(kernel * D * O), db = new Float32Array(O);
        if (dy.size) addon().embedConv1dBackward(idv, vals(se), vals(sw), vals(dy), de, dw, db, B, L, V, D, kernel, O);
        return [f32(de, [V, D]), f32(dw, [kernel * D, O]), f32(db, [O])];
      },
    };
  }) as unknown as Grad) as (e: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  return op(table, w, b) as tf.Tensor3D;
}

/** Max pooling over non-overlapping windows along L of [B, L, C]; the gradient goes to each window's (first) maximum. */
export function maxPool1d(x: tf.Tensor3D, size: number): tf.Tensor3D {
  const [B, L, C] = x.shape;
  const n = Math.floor(L / size);
  const op = tf.customGrad(((xt: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = new Float32Array(B * n * C), arg = new Int32Array(B * n * C);
    if (y.length) addon().maxPool(vals(xt), y, arg, B, L, C, size);
    save([tf.tensor(arg, [B * n * C], 'int32')]);
    return {
      value: f32(y, [B, n, C]),
      gradFunc: (dy: tf.Tensor, [sa]: tf.Tensor[]) => {
        const dx = new Float32Array(B * L * C);
        if (dy.size) addon().maxPoolGrad(vals(dy), ints(sa), dx);
        return [f32(dx, [B, L, C])];
      },
    };
  }) as unknown as Grad) as (x: tf.Tensor) => tf.Tensor;
  return op(x) as tf.Tensor3D;
}

/**
 * One AdamW step on float32 variables in place (p, m, v), when nothing else shares their storage;
 * returns false (the caller then composes ops) when a variable's data is shared.
 */
export function adamwInPlace(p: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, decay: number): boolean {
  const backend = tf.backend() as MathBackendCPU;
  if ([p, m, v].some((t) => t.dtype !== 'float32' || backend.refCount(t.dataId) !== 1)) return false;
  if (p.size) addon().adamw(vals(p), vals(g), vals(m), vals(v), lr, b1, b2, eps, bc1, bc2, decay);
  return true;
}
