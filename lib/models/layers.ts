/**
 * The shapes the layers' operations share: a layer's parameters (dense, layer norm, a BERT encoder layer,
 * a CNN block) and what a backend's fused kernels provide, with two conventions they share (an encoder
 * layer's parameter order, a dropout seed where none is given). The composed operations (lib/models/ops.ts) and
 * each backend's fused ones (lib/native/ops.ts, lib/torch/ops.ts) both take these, so they live below all three.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BatchNormState } from './batch-norm.js';

/** What a backend's fused kernels provide (a null result: that case is composed from ordinary ops). */
export interface FusedKernels {
  linear2d(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D;
  /** Optional: `linear2d` over any leading axes in one call (no reshapes around it). */
  linear?(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor;
  layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor;
  gelu(x: tf.Tensor): tf.Tensor;
  maskedSoftmax(scores: tf.Tensor, scale: number, additiveMask?: tf.Tensor): tf.Tensor | null;
  dropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor;
  selfAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, additiveMask: tf.Tensor | undefined, heads: number, rate: number, seed?: number): tf.Tensor3D | null;
  embeddingRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor;
  conv1d(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, kernel: number): tf.Tensor3D;
  embeddingConv1d(ids: tf.Tensor2D, table: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, kernel: number): tf.Tensor3D;
  maxPool1d(x: tf.Tensor3D, size: number): tf.Tensor3D;
  batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D };
  /** Optional: the mean losses (see `softmaxCrossEntropy`, `sigmoidCrossEntropy`) as one call each way. */
  softmaxCrossEntropy?(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar | null;
  sigmoidCrossEntropy?(logits: tf.Tensor1D, targets: tf.Tensor1D): tf.Scalar;
  /** Optional: the CNN's whole stack of blocks and its flatten (see `convStack`) as one call forward and one back. */
  convStack?(ids: tf.Tensor2D, table: tf.Tensor2D, layers: readonly ConvLayer[], kernel: number, pool: number, training: boolean, eps: number, momentum: number): tf.Tensor2D;
  /** Optional: a whole encoder layer (see `encoderLayer`) as one call forward and one back; null: that case is composed. */
  encoderLayer?(h: tf.Tensor3D, w: EncoderLayerWeights, additiveMask: tf.Tensor | undefined, heads: number, attentionRate: number, hiddenRate: number, eps: number, seeds: EncoderLayerSeeds): tf.Tensor3D | null;
}

/** A dense layer's weight [in, out] and bias [out]. */
export interface Dense {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** A layer norm's scale and shift. */
export interface Norm {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

/** The parameters of one BERT encoder layer (Hugging Face's BertLayer). */
export interface EncoderLayerWeights {
  query: Dense;
  key: Dense;
  value: Dense;
  attentionOutput: Dense;
  attentionNorm: Norm;
  intermediate: Dense;
  output: Dense;
  outputNorm: Norm;
}

/** The seeds of an encoder layer's three dropout sites: attention probabilities, attention output, FFN output. */
export type EncoderLayerSeeds = [number | undefined, number | undefined, number | undefined];

/** An encoder layer's 16 parameters in the order the fused kernels take them (query W, b; key; value; attention output; its norm γ, β; intermediate; output; its norm). */
export function encoderLayerParams(w: EncoderLayerWeights): tf.Tensor[] {
  return [
    ...[w.query, w.key, w.value, w.attentionOutput].flatMap((d): tf.Tensor[] => [d.w, d.b]),
    w.attentionNorm.gamma, w.attentionNorm.beta, w.intermediate.w, w.intermediate.b, w.output.w, w.output.b, w.outputNorm.gamma, w.outputNorm.beta,
  ];
}

/** A dropout mask's seed: the one given, else a fresh random one (a fused kernel always takes a seed). */
export function dropoutSeed(seed: number | undefined): number {
  return seed ?? Math.floor(Math.random() * 2 ** 52);
}

/** A CNN block: convolution weight [kernel · in, out] and bias, and its batch norm. */
export interface ConvLayer {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
  bn: BatchNormState;
}
