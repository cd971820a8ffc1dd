/**
 * The `native` TensorFlow.js backend: the JavaScript cpu backend's tensor storage and kernels, with
 * the kernels that dominate training replaced by calls into the native addon — matrix products in
 * every transpose and batch-broadcast combination through OpenBLAS sgemm, and multi-threaded
 * element-wise, broadcasting, reduction, transpose and softmax kernels for float32 tensors. Other
 * dtypes and kernels run the cpu backend's code unchanged, so every tfjs op works, and tfjs's own
 * gradients (registered per kernel, not per backend) apply.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { addon, BINARY, REDUCE, UNARY, type NativeAddon } from './addon.js';

export const NATIVE_BACKEND = 'native';

type TensorInfo = tf.TensorInfo;
type KernelFunc = tf.KernelFunc;

/** The cpu backend, under its own name so kernels can be registered for it alone. */
export class NativeBackend extends MathBackendCPU {}

/**
 * A float32 tensor's values as stored by the cpu backend: no copy, except where a cpu kernel stored
 * them in another array type (some casts do), which is converted once and stored back.
 */
export function valuesOf(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const entry = backend.data.get(t.dataId);
  if (!(entry.values instanceof Float32Array)) entry.values = Float32Array.from(entry.values as ArrayLike<number>);
  return entry.values;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Row-major element strides of `shape` aligned to `out` (right-aligned), 0 on broadcast axes. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = out.length - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/** Drop size-1 axes and merge neighbours that both operands walk contiguously, so inner loops are long. */
export function collapse(out: readonly number[], sa: readonly number[], sb: readonly number[]): { shape: number[]; sa: number[]; sb: number[] } {
  const shape: number[] = [], a: number[] = [], b: number[] = [];
  out.forEach((d, i) => {
    if (d === 1) return;
    const k = shape.length - 1;
    if (k >= 0 && a[k] === sa[i] * d && b[k] === sb[i] * d) {
      shape[k] *= d;
      a[k] = sa[i];
      b[k] = sb[i];
    } else {
      shape.push(d);
      a.push(sa[i]);
      b.push(sb[i]);
    }
  });
  return { shape, sa: a, sb: b };
}

function binaryKernel(op: number, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = new Float32Array(size(outShape));
    if (out.length > 0) {
      const c = collapse(outShape, broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape));
      addon().binary(op, valuesOf(backend, a), valuesOf(backend, b), out, Int32Array.from(c.shape), Float64Array.from(c.sa), Float64Array.from(c.sb));
    }
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

function unaryKernel(op: number, fallback: KernelFunc, alphaAttr?: string): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const out = new Float32Array(size(x.shape));
    const alpha = alphaAttr ? Number((args.attrs as Record<string, unknown>)[alphaAttr] ?? 0) : 0;
    if (out.length > 0) addon().unary(op, valuesOf(backend, x), out, alpha);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  };
}

/**
 * Reduce float32 `x` over `axes` (sorted, distinct). A contiguous block of axes is reduced in place as
 * [outer, n, inner]; other sets are first transposed to the end, as the cpu backend does.
 */
export function reduceValues(native: NativeAddon, op: number, values: Float32Array, shape: readonly number[], axes: number[]): Float32Array {
  const kept = shape.filter((_, i) => !axes.includes(i));
  const out = new Float32Array(size(kept));
  if (out.length === 0) return out;
  const n = size(axes.map((a) => shape[a]));
  if (n === 0) {
    out.fill(op === REDUCE.sum ? 0 : op === REDUCE.prod ? 1 : op === REDUCE.max ? -Infinity : op === REDUCE.min ? Infinity : NaN);
    return out;
  }
  const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  if (contiguous) {
    const outer = size(shape.slice(0, axes[0]));
    const inner = size(shape.slice(axes[axes.length - 1] + 1));
    native.reduce(op, values, out, outer, n, inner);
    return out;
  }
  const perm = [...shape.keys()].filter((i) => !axes.includes(i)).concat(axes);
  const moved = new Float32Array(values.length);
  native.transpose(values, moved, Int32Array.from(shape), Int32Array.from(perm));
  native.reduce(op, moved, out, out.length, n, 1);
  return out;
}

function reduceKernel(op: number, fallback: KernelFunc, axisAttr = 'axis'): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const attrs = args.attrs as Record<string, unknown>;
    const axes = [...new Set(tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape))].sort((p, q) => p - q);
    const out = reduceValues(addon(), op, valuesOf(backend, x), x.shape, axes);
    const shape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return backend.makeTensorInfo(shape, 'float32', out);
  };
}

function transposeKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const perm = (args.attrs as { perm: number[] }).perm;
    const outShape = perm.map((p) => x.shape[p]);
    const values = backend.data.get(x.dataId).values as Float32Array | Int32Array;
    const out = x.dtype === 'float32' ? new Float32Array(values.length) : new Int32Array(values.length);
    if (x.shape.length === 0 || values.length === 0) out.set(values);
    else addon().transpose(values, out, Int32Array.from(x.shape), Int32Array.from(perm));
    return backend.makeTensorInfo(outShape, x.dtype, out);
  };
}

/**
 * op(a) · op(b) for [..., m, k] · [..., k, n] with broadcast batch dimensions, into `out` (zeroed
 * or holding `beta`-scaled values). Returns the output shape.
 */
export function batchMatMulValues(
  native: NativeAddon,
  av: Float32Array, aShape: readonly number[], bv: Float32Array, bShape: readonly number[],
  transA: boolean, transB: boolean,
): { shape: number[]; values: Float32Array } {
  if (aShape.length < 2 || bShape.length < 2) throw new Error(`BatchMatMul needs rank ≥ 2 operands, got [${aShape}] and [${bShape}]`);
  const ra = aShape.length, rb = bShape.length;
  const m = transA ? aShape[ra - 1] : aShape[ra - 2];
  const k = transA ? aShape[ra - 2] : aShape[ra - 1];
  const kb = transB ? bShape[rb - 1] : bShape[rb - 2];
  const n = transB ? bShape[rb - 2] : bShape[rb - 1];
  if (k !== kb) throw new Error(`BatchMatMul: inner dimensions differ (${k} vs ${kb}) for [${aShape}] and [${bShape}] (transposeA ${transA}, transposeB ${transB})`);
  const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
  const batchShape = tf.backend_util.assertAndGetBroadcastShape(aBatch, bBatch);
  const shape = [...batchShape, m, n];
  const batch = size(batchShape);
  const values = new Float32Array(batch * m * n);
  if (values.length === 0 || k === 0) return { shape, values };
  // A batched operand times one shared right-hand matrix is one taller product.
  if (size(bBatch) === 1 && !transA) {
    native.gemmBatched(av, bv, values, new Int32Array(1), new Int32Array(1), batch * m, n, k, false, transB, 1, 0);
    return { shape, values };
  }
  const sa = broadcastStrides(aBatch, batchShape), sb = broadcastStrides(bBatch, batchShape);
  const aIdx = new Int32Array(batch), bIdx = new Int32Array(batch);
  for (let i = 0; i < batch; i++) {
    let rem = i, ia = 0, ib = 0;
    for (let d = batchShape.length - 1; d >= 0; d--) {
      const idx = rem % batchShape[d];
      rem = Math.floor(rem / batchShape[d]);
      ia += idx * sa[d];
      ib += idx * sb[d];
    }
    aIdx[i] = ia;
    bIdx[i] = ib;
  }
  native.gemmBatched(av, bv, values, aIdx, bIdx, m, n, k, transA, transB, 1, 0);
  return { shape, values };
}

function batchMatMulKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const r = batchMatMulValues(addon(), valuesOf(backend, a), a.shape, valuesOf(backend, b), b.shape, transposeA, transposeB);
    return backend.makeTensorInfo(r.shape, 'float32', r.values);
  };
}

/** matMul + bias (+ relu) natively; other activations and PReLU weights take the cpu path. */
function fusedMatMulKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string };
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || preluActivationWeights || (bias && bias.dtype !== 'float32') || !['linear', 'relu', undefined].includes(activation)) return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const native = addon();
    const r = batchMatMulValues(native, valuesOf(backend, a), a.shape, valuesOf(backend, b), b.shape, transposeA, transposeB);
    let values = r.values;
    let shape = r.shape;
    if (bias) {
      shape = tf.backend_util.assertAndGetBroadcastShape(r.shape, bias.shape);
      const out = new Float32Array(size(shape));
      if (out.length) {
        const c = collapse(shape, broadcastStrides(r.shape, shape), broadcastStrides(bias.shape, shape));
        native.binary(BINARY.add, values, valuesOf(backend, bias), out, Int32Array.from(c.shape), Float64Array.from(c.sa), Float64Array.from(c.sb));
      }
      values = out;
    }
    if (activation === 'relu') native.unary(UNARY.relu, values, values, 0);
    return backend.makeTensorInfo(shape, 'float32', values);
  };
}

function softmaxKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { logits } = args.inputs as { logits: TensorInfo };
    const dim = (args.attrs as { dim: number }).dim;
    const rank = logits.shape.length;
    if (logits.dtype !== 'float32' || rank === 0 || (dim !== -1 && dim !== rank - 1)) return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const cols = logits.shape[rank - 1];
    const out = new Float32Array(size(logits.shape));
    if (out.length) addon().softmax(valuesOf(backend, logits), out, out.length / cols, cols, 1, null, 1, 1);
    return backend.makeTensorInfo(logits.shape, 'float32', out);
  };
}

function addNKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    if (inputs.some((t) => t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, inputs[0].shape))) return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const out = new Float32Array(size(inputs[0].shape));
    if (out.length) addon().addN(inputs.map((t) => valuesOf(backend, t)), out);
    return backend.makeTensorInfo(inputs[0].shape, 'float32', out);
  };
}

/** Kernel name → native implementation (given the cpu kernel for what it does not cover). */
const OVERRIDES: Record<string, (fallback: KernelFunc) => KernelFunc> = {
  BatchMatMul: batchMatMulKernel,
  _FusedMatMul: fusedMatMulKernel,
  Add: (f) => binaryKernel(BINARY.add, f),
  Sub: (f) => binaryKernel(BINARY.sub, f),
  Multiply: (f) => binaryKernel(BINARY.mul, f),
  RealDiv: (f) => binaryKernel(BINARY.div, f),
  Maximum: (f) => binaryKernel(BINARY.maximum, f),
  Minimum: (f) => binaryKernel(BINARY.minimum, f),
  SquaredDifference: (f) => binaryKernel(BINARY.squaredDifference, f),
  Neg: (f) => unaryKernel(UNARY.neg, f),
  Exp: (f) => unaryKernel(UNARY.exp, f),
  Log: (f) => unaryKernel(UNARY.log, f),
  Sqrt: (f) => unaryKernel(UNARY.sqrt, f),
  Rsqrt: (f) => unaryKernel(UNARY.rsqrt, f),
  Square: (f) => unaryKernel(UNARY.square, f),
  Abs: (f) => unaryKernel(UNARY.abs, f),
  Relu: (f) => unaryKernel(UNARY.relu, f),
  Tanh: (f) => unaryKernel(UNARY.tanh, f),
  Sigmoid: (f) => unaryKernel(UNARY.sigmoid, f),
  Erf: (f) => unaryKernel(UNARY.erf, f),
  Log1p: (f) => unaryKernel(UNARY.log1p, f),
  Reciprocal: (f) => unaryKernel(UNARY.reciprocal, f),
  Step: (f) => unaryKernel(UNARY.step, f, 'alpha'),
  Sum: (f) => reduceKernel(REDUCE.sum, f),
  Mean: (f) => reduceKernel(REDUCE.mean, f),
  Prod: (f) => reduceKernel(REDUCE.prod, f),
  Max: (f) => reduceKernel(REDUCE.max, f, 'reductionIndices'),
  Min: (f) => reduceKernel(REDUCE.min, f),
  Transpose: transposeKernel,
  Softmax: softmaxKernel,
  AddN: addNKernel,
};

/** Names of the kernels the native backend runs natively (the rest are the cpu backend's). */
export const NATIVE_KERNELS = Object.keys(OVERRIDES);

let registered = false;

/** Register the `native` backend and its kernels (once); the addon must load. */
export function registerNativeBackend(): void {
  if (registered) return;
  addon();
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0);
  for (const k of tf.getKernelsForBackend('cpu')) {
    const make = OVERRIDES[k.kernelName];
    tf.registerKernel({ ...k, backendName: NATIVE_BACKEND, kernelFunc: make ? make(k.kernelFunc) : k.kernelFunc });
  }
  registered = true;
}
