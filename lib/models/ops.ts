/**
 * The small set of neural-network operations DNABERT and the CNN are built from.
 *
 * Each is written here once, composed from ordinary TensorFlow.js ops, so it runs and differentiates
 * on every backend. When the `native` or the `torch` backend is active, that backend's fused kernels
 * (lib/native/ops.ts: one native pass forward, one backward; lib/torch/ops.ts: one ATen call each way)
 * compute the same functions instead; test/native.test.ts and test/torch.test.ts check each fused op
 * and its gradient against the composed one here.
 */
import * as tf from '@tensorflow/tfjs';
import * as nativeOps from '../native/ops.js';
import * as torchOps from '../torch/ops.js';
import { updateRunningStats, type BatchNormState } from './batch-norm.js';
import type { ConvLayer, Dense, EncoderLayerSeeds, EncoderLayerWeights, FusedKernels, Norm } from './layers.js';

export type { BatchNormState } from './batch-norm.js';

const FUSED: Record<string, FusedKernels> = { native: nativeOps, torch: torchOps };

/** The active backend's fused kernels, or null where the ops are composed. */
export function fusedKernels(): FusedKernels | null {
  return FUSED[tf.getBackend()] ?? null;
}

/** Whether the fused native CPU kernels run (the `native` backend is active). */
export function usesNativeKernels(): boolean {
  return tf.getBackend() === 'native';
}

/** Swap the last two axes. */
export function transposeLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

/**
 * (Batched) matrix product a · b whose forward and backward passes only multiply untransposed
 * operands: the gradients dA = dY · Bᵀ and dB = Aᵀ · dY materialise the transposes first. The
 * result is the same as tf.matMul; the point is speed on backends whose transposed or batched
 * kernels are slow (the wasm backend runs those at a fraction of its plain-matMul speed).
 */
const matMulUntransposed = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy as tf.Tensor3D, transposeLast(sb) as tf.Tensor3D), tf.matMul(transposeLast(sa) as tf.Tensor3D, dy as tf.Tensor3D)];
    },
  };
}) as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** a · b; where products take transposed operands directly (native sgemm, ATen), tfjs's own gradient is used. */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return fusedKernels() ? tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D) : matMulUntransposed(a, b);
}

/** x[..., in] · W[in, out] + b[out]. Weights are kept in [in, out] layout (PyTorch's transposed). */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const nd = fusedKernels()?.linear;
  if (nd && x.rank > 2) return nd(x, w, b);
  return tf.tidy(() => {
    const shape = x.shape;
    const inDim = shape[shape.length - 1];
    const x2 = shape.length === 2 ? (x as tf.Tensor2D) : x.reshape([-1, inDim]) as tf.Tensor2D;
    let y: tf.Tensor;
    const fused = fusedKernels();
    if (fused) y = fused.linear2d(x2, w, b);
    else {
      y = matMul(x2, w);
      if (b) y = tf.add(y, b);
    }
    return shape.length === 2 ? y : y.reshape([...shape.slice(0, -1), w.shape[1]]);
  });
}

/** Layer normalisation over the last axis (biased variance, as PyTorch). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const fused = fusedKernels();
  if (fused) return fused.layerNorm(x, gamma, beta, eps);
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), axis, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
  });
}

/** Exact GELU, x · Φ(x) = 0.5 · x · (1 + erf(x / √2)) — Hugging Face's "gelu". */
export function gelu(x: tf.Tensor): tf.Tensor {
  const fused = fusedKernels();
  if (fused) return fused.gelu(x);
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** softmax(scores · scale + additiveMask) over the last axis. */
export function maskedSoftmax(scores: tf.Tensor, scale: number, additiveMask?: tf.Tensor): tf.Tensor {
  const y = fusedKernels()?.maskedSoftmax(scores, scale, additiveMask) ?? null;
  if (y) return y;
  return tf.tidy(() => {
    let s = tf.mul(scores, scale);
    if (additiveMask) s = tf.add(s, additiveMask);
    return tf.softmax(s);
  });
}

/** Inverted dropout; identity when not training or rate is 0. `seed` makes the mask reproducible. */
export function dropout(x: tf.Tensor, rate: number, training: boolean, seed?: number): tf.Tensor {
  if (!training || rate === 0) return x;
  const fused = fusedKernels();
  if (fused) return fused.dropout(x, rate, seed);
  return tf.dropout(x, rate, undefined, seed);
}

/**
 * Multi-head self-attention on the projections q, k, v [B, L, H·D] (H = `heads`):
 * dropout(softmax(Q·Kᵀ / √D + additiveMask)) · V per head, back in [B, L, H·D]. The mask is
 * [B, 1, 1, L] (see dnabert.additiveMask). On the native backend one fused op without head transposes.
 */
export function selfAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, additiveMask: tf.Tensor | undefined, heads: number, dropoutRate: number, training: boolean, seed?: number): tf.Tensor3D {
  const rate = training ? dropoutRate : 0;
  const fast = fusedKernels()?.selfAttention(q, k, v, additiveMask, heads, rate, seed) ?? null;
  if (fast) return fast;
  return tf.tidy(() => {
    const [B, L, HD] = q.shape;
    const D = HD / heads;
    const split = (x: tf.Tensor) => x.reshape([B, L, heads, D]).transpose([0, 2, 1, 3]);
    const scores = matMul(split(q), transposeLast(split(k)));
    const probs = dropout(maskedSoftmax(scores, 1 / Math.sqrt(D), additiveMask), rate, training, seed);
    return matMul(probs, split(v)).transpose([0, 2, 1, 3]).reshape([B, L, HD]) as tf.Tensor3D;
  });
}

/**
 * One post-LayerNorm BERT encoder layer on h [B, L, H]:
 *   a = LayerNorm(dropout(dense(selfAttention(q, k, v))) + h); out = LayerNorm(dropout(dense(GELU(dense(a)))) + a).
 * Where the backend has it (native, torch), one fused call each way with the same ops and dropout masks as the
 * composed layer (`composedEncoderLayer`), so that its graph lives in the backend, not on the tape.
 */
export function encoderLayer(h: tf.Tensor3D, w: EncoderLayerWeights, additiveMask: tf.Tensor | undefined, heads: number, attentionRate: number, hiddenRate: number, eps: number, training: boolean, seeds: EncoderLayerSeeds): tf.Tensor3D {
  const fused = fusedKernels()?.encoderLayer?.(h, w, additiveMask, heads, training ? attentionRate : 0, training ? hiddenRate : 0, eps, seeds) ?? null;
  if (fused) return fused;
  return composedEncoderLayer(h, w, additiveMask, heads, attentionRate, hiddenRate, eps, training, seeds);
}

/** `encoderLayer` from the single ops (each of them fused where the backend has it). */
export function composedEncoderLayer(h: tf.Tensor3D, w: EncoderLayerWeights, additiveMask: tf.Tensor | undefined, heads: number, attentionRate: number, hiddenRate: number, eps: number, training: boolean, seeds: EncoderLayerSeeds): tf.Tensor3D {
  return tf.tidy(() => {
    const lin = (x: tf.Tensor, d: Dense) => linear(x, d.w, d.b);
    const norm = (x: tf.Tensor, n: Norm) => layerNorm(x, n.gamma, n.beta, eps);
    const ctx = selfAttention(lin(h, w.query) as tf.Tensor3D, lin(h, w.key) as tf.Tensor3D, lin(h, w.value) as tf.Tensor3D, additiveMask, heads, attentionRate, training, seeds[0]);
    const attn = norm(tf.add(dropout(lin(ctx, w.attentionOutput), hiddenRate, training, seeds[1]), h), w.attentionNorm);
    const inter = gelu(lin(attn, w.intermediate));
    return norm(tf.add(dropout(lin(inter, w.output), hiddenRate, training, seeds[2]), attn), w.outputNorm) as tf.Tensor3D;
  });
}

/**
 * Rows of `table` at `ids` → [n, dim] for flat int32 ids [n]. The gradient is a scatter-add of the
 * incoming rows (ScatterNd), which every backend has; tfjs's own gather gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks.
 */
const embeddingRows = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, ids, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([ids]);
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedIds] = saved;
      const dTable = tf.scatterND(savedIds.reshape([-1, 1]), dy, table.shape);
      return [dTable, tf.zerosLike(savedIds)];
    },
  };
}) as Parameters<typeof tf.customGrad>[0]) as (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor;

/** Rows of `table` at `ids` (any shape) → [...ids.shape, dim]. */
export function embedding(ids: tf.Tensor, table: tf.Tensor2D): tf.Tensor {
  const rows = fusedKernels()?.embeddingRows ?? embeddingRows;
  return tf.tidy(() => rows(table, ids.flatten().toInt()).reshape([...ids.shape, table.shape[1]]));
}

/** Mean softmax cross-entropy of logits [n, c] against integer labels [n]. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const fused = fusedKernels()?.softmaxCrossEntropy?.(logits, labels) ?? null;
  if (fused) return fused;
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(labels.toInt(), logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), -1))) as tf.Scalar;
  });
}

/**
 * 1-D convolution, "valid" padding, stride 1, as one matrix product over shifted slices (im2col):
 * x [B, L, C] · W [K·C, O] + b → [B, L − K + 1, O]. Row k·C + c of W is PyTorch's weight[o, c, k].
 * Exact, and differentiable on every backend without the Conv2D backprop kernels.
 */
export function conv1d(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, kernel: number): tf.Tensor3D {
  const fused = fusedKernels();
  if (fused) return fused.conv1d(x, w, b, kernel);
  return tf.tidy(() => {
    const [B, L, C] = x.shape;
    const O = w.shape[1];
    const out = L - kernel + 1;
    if (out < 1) throw new Error(`conv1d: input length ${L} is shorter than the kernel (${kernel})`);
    // Σ_k x[:, k:k+out, :] · W[k·C:(k+1)·C, :] — the im2col product without materialising the
    // patches; its gradient is slices and pads only (concat's gradient is slow on some backends).
    let y: tf.Tensor = tf.reshape(b, [1, O]);
    for (let k = 0; k < kernel; k++) {
      const xs = tf.reshape(tf.slice(x, [0, k, 0], [B, out, C]), [B * out, C]);
      y = tf.add(y, matMul(xs, tf.slice(w, [k * C, 0], [C, O])));
    }
    return tf.reshape(y, [B, out, O]) as tf.Tensor3D;
  });
}

/**
 * conv1d(embedding(ids, table), w, b, kernel): the first layer of the CNN. On the native backend one
 * fused op that never materialises the embedded sequence (see lib/native/ops.ts).
 */
export function embeddingConv1d(ids: tf.Tensor2D, table: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, kernel: number): tf.Tensor3D {
  const fused = fusedKernels();
  if (fused) return fused.embeddingConv1d(ids, table, w, b, kernel);
  return tf.tidy(() => conv1d(embedding(ids, table) as tf.Tensor3D, w, b, kernel));
}

/** Max pooling over non-overlapping windows along the length axis of [B, L, C] (floor(L / size) outputs). */
export function maxPool1d(x: tf.Tensor3D, size: number): tf.Tensor3D {
  const fused = fusedKernels();
  if (fused) return fused.maxPool1d(x, size);
  return tf.tidy(() => {
    const [B, L, C] = x.shape;
    const n = Math.floor(L / size);
    return tf.max(tf.slice(x, [0, 0, 0], [B, n * size, C]).reshape([B, n, size, C]), 2) as tf.Tensor3D;
  });
}

/** A CNN block's input: activations [B, L, C], or token ids [B, L] and the embedding table they index. */
export type ConvBlockInput = { x: tf.Tensor3D } | { ids: tf.Tensor2D; table: tf.Tensor2D };

/**
 * One block of the CNN: conv1d (of the embedded ids, for the first block) → batch norm (batch statistics
 * and running-statistics update in training, running statistics otherwise) → ReLU → max pooling.
 */
export function convBlock(input: ConvBlockInput, w: tf.Tensor2D, b: tf.Tensor1D, bn: BatchNormState, kernel: number, pool: number, training: boolean, eps = 1e-5, momentum = 0.1): tf.Tensor3D {
  return tf.tidy(() => {
    const x = 'ids' in input ? embeddingConv1d(input.ids, input.table, w, b, kernel) : conv1d(input.x, w, b, kernel);
    return maxPool1d(tf.relu(batchNorm(x, bn, training, eps, momentum)) as tf.Tensor3D, pool);
  });
}

/** One CNN block's parameters: the convolution's weight [K·C, O] and bias [O], and its batch norm. */
/**
 * The CNN's feature extractor: token ids [B, L] → embedding rows of `table` → one `convBlock` per layer →
 * PyTorch's Flatten of the channels-first result (channel-major) → [B, C·L']. Where the backend has it
 * (torch), one fused call each way, channels first throughout (no transposed copies between blocks or
 * before the flatten), the running statistics updated in place.
 */
export function convStack(ids: tf.Tensor2D, table: tf.Tensor2D, layers: readonly ConvLayer[], kernel: number, pool: number, training: boolean, eps = 1e-5, momentum = 0.1): tf.Tensor2D {
  if (!layers.length) throw new Error('convStack: no layers');
  const fused = fusedKernels()?.convStack;
  if (fused) return fused(ids, table, layers, kernel, pool, training, eps, momentum);
  return tf.tidy(() => {
    let x = convBlock({ ids, table }, layers[0].w, layers[0].b, layers[0].bn, kernel, pool, training, eps, momentum);
    for (const l of layers.slice(1)) x = convBlock({ x }, l.w, l.b, l.bn, kernel, pool, training, eps, momentum);
    return tf.transpose(x, [0, 2, 1]).reshape([ids.shape[0], -1]) as tf.Tensor2D;
  });
}

/**
 * Batch normalisation over the channel (last) axis of [B, L, C], as PyTorch's BatchNorm1d: in training,
 * batch statistics (biased variance) normalise, and the running statistics move by `momentum` toward
 * the batch mean and the unbiased batch variance; in evaluation the running statistics normalise.
 */
export function batchNorm(x: tf.Tensor3D, s: BatchNormState, training: boolean, eps = 1e-5, momentum = 0.1): tf.Tensor3D {
  return tf.tidy(() => {
    if (!training) {
      return tf.add(tf.mul(tf.div(tf.sub(x, s.runningMean), tf.sqrt(tf.add(s.runningVar, eps))), s.gamma), s.beta) as tf.Tensor3D;
    }
    const n = x.shape[0] * x.shape[1];
    const fused = fusedKernels();
    if (fused) {
      const r = fused.batchNormTraining(x, s.gamma, s.beta, eps);
      updateRunningStats(s, r.mean, r.variance, n, momentum);
      return r.y as tf.Tensor3D;
    }
    const { mean, variance } = tf.moments(x, [0, 1]);
    updateRunningStats(s, mean, variance, n, momentum);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), s.gamma), s.beta) as tf.Tensor3D;
  });
}

/** Mean binary cross-entropy of logits [n] against 0/1 targets [n], computed stably. */
export function sigmoidCrossEntropy(logits: tf.Tensor1D, targets: tf.Tensor1D): tf.Scalar {
  const fused = fusedKernels()?.sigmoidCrossEntropy;
  if (fused) return fused(logits, targets);
  return tf.tidy(() => {
    // max(z, 0) − z·y + log(1 + e^(−|z|))
    const z = logits;
    return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as tf.Scalar;
  });
}
