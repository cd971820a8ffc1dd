/**
 * Fused versions of lib/models/ops.ts for the `torch` backend: each op is one addon call forward, whose
 * backward is ATen's own (the forward runs under libtorch's autograd when a gradient is being taken:
 * addmm, layer_norm, gelu, softmax, scaled_dot_product_attention, embedding, conv1d, max_pool1d,
 * batch_norm; a whole encoder layer; the CNN's whole stack of blocks), and one call back. lib/models/ops.ts calls these when the torch backend is active;
 * test/torch.test.ts checks each against the composed version on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { Handle } from './addon.js';
import type { TorchBackend } from './backend.js';
import { updateRunningStats } from '../models/batch-norm.js';
import { dropoutSeed, encoderLayerParams, type ConvLayer, type EncoderLayerSeeds, type EncoderLayerWeights } from '../models/layers.js';

type Grad = Parameters<typeof tf.customGrad>[0];

const backend = () => tf.backend() as TorchBackend;
const handle = (t: tf.Tensor) => backend().handle(t);
const tensor = (hd: Handle) => tf.engine().makeTensorFromTensorInfo(backend().info(hd), backend());
/** A float32 tensor whose shape is known here: no `meta` call into the addon. */
const floatTensor = (hd: Handle, shape: number[]) => tf.engine().makeTensorFromTensorInfo(backend().infoKnown(hd, shape, 'float32'), backend());

/** Whether a gradient is being taken (tf.grads / variableGrads are running their forward pass). */
function recording(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
}

/**
 * A customGrad op over `inputs` whose forward is the addon's fused op `name` (extra arguments after the
 * tensors) and whose gradient is the addon's backward for its recorded graph. `differentiable` marks
 * which inputs the addon treats as leaves (in order); the others (ids) get zero gradients.
 */
function fusedOp(name: string, inputs: tf.Tensor[], differentiable: boolean[], extra: unknown[], outShape?: number[]): { y: tf.Tensor; extras: tf.Tensor[] } {
  // extra outputs become tensors after the op returns: tensors made inside a kernel are released with its scope
  let more: Handle[] = [];
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const grad = recording();
    const [out, ...rest] = backend().addon.fused(name, grad, ...xs.map(handle), ...extra);
    const value = outShape ? floatTensor(out, outShape) : tensor(out);
    more = rest;
    save([value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
        // autograd's gradient of a float32 leaf has the leaf's shape and dtype: known here
        const shapes = xs.filter((_, i) => differentiable[i]).map((x) => x.shape);
        const grads = backend().addon.backward(handle(saved), handle(dy)).map((g, k) => floatTensor(g, shapes[k]));
        let k = 0;
        return xs.map((x, i) => (differentiable[i] ? grads[k++] : tf.zerosLike(x)));
      },
    };
  }) as unknown as Grad) as (...xs: tf.Tensor[]) => tf.Tensor;
  const y = op(...inputs);
  return { y, extras: more.map(tensor) };
}

/** x [N, in] · W [in, out] + b [out] as one addmm; gradients by autograd's mm backward. */
export function linear2d(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  if (x.shape[1] !== w.shape[0]) throw new Error(`linear: input width ${x.shape[1]} does not match weight rows ${w.shape[0]}`);
  const inputs = b ? [x, w, b] : [x, w];
  return fusedOp('linear', inputs, inputs.map(() => true), b ? [] : [null]).y as tf.Tensor2D;
}

/** x [..., in] · W [in, out] + b: the leading axes are flattened inside the addon (no reshape calls around it). */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  if (x.rank < 2 || x.shape[x.rank - 1] !== w.shape[0]) throw new Error(`linear: input [${x.shape}] does not match weight rows ${w.shape[0]}`);
  const inputs = b ? [x, w, b] : [x, w];
  return fusedOp('linear', inputs, inputs.map(() => true), b ? [] : [null], [...x.shape.slice(0, -1), w.shape[1]]).y;
}

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  return fusedOp('layerNorm', [x, gamma, beta], [true, true, true], [eps], x.shape).y;
}

export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedOp('gelu', [x], [true], [], x.shape).y;
}

/** softmax(scores · scale + mask) over the last axis; the mask broadcasts as in ATen (any layout). */
export function maskedSoftmax(scores: tf.Tensor, scale: number, additiveMask?: tf.Tensor): tf.Tensor {
  return fusedOp('maskedSoftmax', [scores], [true], [scale, additiveMask ? handle(additiveMask) : null]).y;
}

/** Inverted dropout with a mask drawn from the device's generator seeded with `seed`. */
export function dropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  return fusedOp('dropout', [x], [true], [rate, dropoutSeed(seed)], x.shape).y;
}

/**
 * Multi-head self-attention on projections q, k, v [B, L, H·D]: scaled_dot_product_attention (libtorch ≥ 2:
 * flash or memory-efficient kernels on GPU) or the composed form (libtorch 1.x), with an additive mask
 * [B, 1, 1, L] and attention dropout.
 */
export function selfAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, additiveMask: tf.Tensor | undefined, heads: number, rate: number, seed?: number): tf.Tensor3D {
  const HD = q.shape[2];
  if (!Number.isInteger(HD / heads)) throw new Error(`attention: width ${HD} is not divisible by ${heads} heads`);
  return fusedOp('attention', [q, k, v], [true, true, true], [additiveMask ? handle(additiveMask) : null, heads, rate, dropoutSeed(seed)]).y as tf.Tensor3D;
}

/**
 * One BERT encoder layer as one addon call (torch/src/addon.cc encoderLayer): the same ATen ops and
 * dropout masks as the composed layer, recorded in one libtorch graph, with one backward call for the
 * gradients of h and all 16 parameters.
 */
export function encoderLayer(h: tf.Tensor3D, w: EncoderLayerWeights, additiveMask: tf.Tensor | undefined, heads: number, attentionRate: number, hiddenRate: number, eps: number, seeds: EncoderLayerSeeds): tf.Tensor3D {
  if (!Number.isInteger(h.shape[2] / heads)) throw new Error(`encoder layer: width ${h.shape[2]} is not divisible by ${heads} heads`);
  const params = encoderLayerParams(w);
  const inputs = [h, ...params];
  return fusedOp('encoderLayer', inputs, inputs.map(() => true), [additiveMask ? handle(additiveMask) : null, heads, attentionRate, hiddenRate, eps, ...seeds.map(dropoutSeed)], h.shape).y as tf.Tensor3D;
}

/**
 * The CNN's stack of blocks (embedding → [conv1d → batch norm → ReLU → max pooling] per layer → channel-major
 * flatten) as one addon call each way, channels first throughout. In training the running statistics are
 * updated inside the call, in place, when nothing else holds them; otherwise every layer's batch mean and
 * variance come back and are folded in here with ordinary ops.
 */
export function convStack(ids: tf.Tensor2D, table: tf.Tensor2D, layers: readonly ConvLayer[], kernel: number, pool: number, training: boolean, eps: number, momentum: number): tf.Tensor2D {
  const be = backend();
  const [B, L0] = ids.shape;
  let [L, C] = [L0, table.shape[1]];
  const counts: number[] = [];
  for (const [i, l] of layers.entries()) {
    if (L - kernel + 1 < 1) throw new Error(`conv stack: layer ${i + 1}'s input length ${L} is shorter than the kernel (${kernel})`);
    if (l.w.shape[0] !== kernel * C) throw new Error(`conv stack: layer ${i + 1}'s weight rows ${l.w.shape[0]} ≠ kernel ${kernel} × channels ${C}`);
    counts.push(B * (L - kernel + 1));
    [L, C] = [Math.floor((L - kernel + 1) / pool), l.w.shape[1]];
    if (L < 1) throw new Error(`conv stack: layer ${i + 1}'s pooled length is 0 (pool ${pool})`);
  }
  const stats = layers.flatMap((l) => [l.bn.runningMean, l.bn.runningVar]);
  const inPlace = stats.every((t) => t.dtype === 'float32' && be.refCount(t.dataId) === 1);
  const inputs = [ids, table, ...layers.flatMap((l) => [l.w, l.b, l.bn.gamma, l.bn.beta])];
  const { y, extras } = fusedOp('convStack', inputs, inputs.map((_, i) => i > 0), [kernel, pool, eps, momentum, training ? 1 : 0, inPlace ? 1 : 0, ...stats.map(handle)], [B, C * L]);
  if (extras.length) {
    layers.forEach((l, i) => updateRunningStats(l.bn, extras[2 * i], extras[2 * i + 1], counts[i], momentum));
    tf.dispose(extras);
  }
  return y as tf.Tensor2D;
}

/** Mean softmax cross-entropy of logits [N, C] against class indices [N] (ATen's cross_entropy). */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return fusedOp('softmaxCrossEntropy', [logits, labels], [true, false], [], []).y as tf.Scalar;
}

/** Mean binary cross-entropy of logits [N] against targets [N] in [0, 1] (ATen's binary_cross_entropy_with_logits). */
export function sigmoidCrossEntropy(logits: tf.Tensor1D, targets: tf.Tensor1D): tf.Scalar {
  return fusedOp('sigmoidCrossEntropy', [logits, targets], [true, false], [], []).y as tf.Scalar;
}

/** Rows of `table` at flat int32 `ids` → [n, dim]; the gradient is embedding's dense backward. */
export function embeddingRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  return fusedOp('embedding', [table, ids], [true, false], []).y;
}

export function conv1d(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, kernel: number): tf.Tensor3D {
  const [, L, C] = x.shape;
  if (L - kernel + 1 < 1) throw new Error(`conv1d: input length ${L} is shorter than the kernel (${kernel})`);
  if (w.shape[0] !== kernel * C) throw new Error(`conv1d: weight rows ${w.shape[0]} ≠ kernel ${kernel} × channels ${C}`);
  return fusedOp('conv1d', [x, w, b], [true, true, true], [kernel]).y as tf.Tensor3D;
}

export function embeddingConv1d(ids: tf.Tensor2D, table: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, kernel: number): tf.Tensor3D {
  const L = ids.shape[1], D = table.shape[1];
  if (L - kernel + 1 < 1) throw new Error(`conv1d: input length ${L} is shorter than the kernel (${kernel})`);
  if (w.shape[0] !== kernel * D) throw new Error(`conv1d: weight rows ${w.shape[0]} ≠ kernel ${kernel} × embedding width ${D}`);
  return fusedOp('embeddingConv1d', [ids, table, w, b], [false, true, true, true], [kernel]).y as tf.Tensor3D;
}

export function maxPool1d(x: tf.Tensor3D, size: number): tf.Tensor3D {
  return fusedOp('maxPool1d', [x], [true], [size]).y as tf.Tensor3D;
}

/** Batch normalisation in training mode over all but the last axis, with the batch mean and biased variance. */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const { y, extras } = fusedOp('batchNormTraining', [x, gamma, beta], [true, true, true], [eps]);
  return { y, mean: extras[0] as tf.Tensor1D, variance: extras[1] as tf.Tensor1D };
}

/**
 * One AdamW step for all parameters at once, in place, with multi-tensor ATen kernels; with `maxNorm`,
 * the gradients are first clipped to that global L2 norm on the device (PyTorch's clip_grad_norm_). Returns
 * false (nothing changed; the caller composes ops) when a tensor shares its storage and cannot be updated in place.
 */
export function adamwAll(p: tf.Variable[], g: tf.Tensor[], m: tf.Variable[], v: tf.Variable[], decays: number[], lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, maxNorm?: number): boolean {
  const b = backend();
  if ([...p, ...m, ...v].some((t) => t.dtype !== 'float32' || b.refCount(t.dataId) !== 1)) return false;
  const gs = g.map((t) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
  return b.addon.adamw(p.map(handle), gs.map(handle), m.map(handle), v.map(handle), decays.map((d) => Math.round(d * 1e12)), lr, b1, b2, eps, bc1, bc2, maxNorm ?? null);
}

/**
 * Gradient accumulation: sums[i] += grads[i] in one addon call (in place where a sum owns its storage).
 * Returns false (nothing changed; the caller adds with ordinary ops) when a sum is held by another
 * tensor here too, or is not float32.
 */
export function accumulateAll(sums: tf.Tensor[], grads: tf.Tensor[]): boolean {
  const b = backend();
  if ([...sums, ...grads].some((t) => t.dtype !== 'float32') || sums.some((t) => b.refCount(t.dataId) !== 1)) return false;
  b.addon.accumulate(sums.map(handle), grads.map(handle));
  return true;
}
