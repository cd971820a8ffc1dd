/**
 * The native addon's interface: its operation codes (shared with native/src/kernels.h) and functions.
 * No Node APIs, so the modules that use the addon still bundle for the browser (web/), where
 * lib/native/addon.ts is replaced by a stand-in without native kernels.
 */
/** Element-wise operation codes shared with native/src/kernels.h. */
export const UNARY = { neg: 0, exp: 1, log: 2, sqrt: 3, rsqrt: 4, square: 5, abs: 6, relu: 7, tanh: 8, sigmoid: 9, erf: 10, log1p: 11, reciprocal: 12, step: 13 } as const;
export const BINARY = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, squaredDifference: 6 } as const;
export const REDUCE = { sum: 0, max: 1, min: 2, mean: 3, prod: 4 } as const;

/** The addon's functions: typed-array inputs, preallocated outputs, numbers; see native/src/addon.cc. */
export interface NativeAddon {
  gemmBatched(a: Float32Array, b: Float32Array, c: Float32Array, aIdx: Int32Array, bIdx: Int32Array, m: number, n: number, k: number, transA: boolean, transB: boolean, alpha: number, beta: number): void;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, shape: Int32Array, aStrides: Float64Array, bStrides: Float64Array): void;
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void;
  transpose(x: Float32Array | Int32Array, out: Float32Array | Int32Array, shape: Int32Array, perm: Int32Array): void;
  addN(xs: Float32Array[], out: Float32Array): void;
  softmax(x: Float32Array, y: Float32Array, rows: number, cols: number, scale: number, mask: Float32Array | null, maskPeriod: number, maskRows: number): void;
  softmaxGrad(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number, scale: number): void;
  layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number): void;
  layerNormGrad(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, cols: number): void;
  batchNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number): void;
  batchNormBackward(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, cols: number): void;
  gelu(x: Float32Array, y: Float32Array): void;
  geluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  dropoutMask(x: Float32Array, y: Float32Array, keep: Uint8Array, rate: number, seed: number): void;
  dropoutGrad(dy: Float32Array, keep: Uint8Array, dx: Float32Array, rate: number): void;
  /** One BERT encoder layer (native/src/encoder.cc); dims [B, L, width, heads, FFN width]; save and keep sized by `encoderSaveSizes`. */
  encoderForward?(h: Float32Array, params: Float32Array[], mask: Float32Array | null, y: Float32Array, save: Float32Array, keep: Uint8Array, dims: Int32Array, attnRate: number, hiddenRate: number, eps: number, seedAttn: number, seedAttnOut: number, seedOut: number): void;
  encoderBackward?(h: Float32Array, params: Float32Array[], dy: Float32Array, save: Float32Array, keep: Uint8Array, dh: Float32Array, grads: Float32Array[], dims: Int32Array, attnRate: number, hiddenRate: number, eps: number): void;
  /** Per-row softmax cross-entropy and the softmax kept for the gradient (native/src/nn.cc). */
  softmaxCrossEntropy?(logits: Float32Array, labels: Int32Array, loss: Float32Array, probs: Float32Array): void;
  softmaxCrossEntropyGrad?(probs: Float32Array, labels: Int32Array, scale: number, dx: Float32Array): void;
  attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, ctx: Float32Array, probs: Float32Array, keep: Uint8Array, B: number, L: number, H: number, D: number, scale: number, rate: number, seed: number): void;
  attentionBackward(q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, keep: Uint8Array, dctx: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array, B: number, L: number, H: number, D: number, scale: number, rate: number): void;
  gatherRows(table: Float32Array, ids: Int32Array, out: Float32Array, dim: number): void;
  scatterAddRows(dy: Float32Array, ids: Int32Array, out: Float32Array, dim: number): void;
  biasRows(out: Float32Array, bias: Float32Array, rows: number, cols: number): void;
  conv1dForward(x: Float32Array, w: Float32Array, bias: Float32Array, y: Float32Array, B: number, L: number, C: number, K: number, O: number): void;
  conv1dBackward(x: Float32Array, w: Float32Array, dy: Float32Array, dx: Float32Array, dw: Float32Array, db: Float32Array, B: number, L: number, C: number, K: number, O: number): void;
  embedConv1dForward(ids: Int32Array, e: Float32Array, w: Float32Array, bias: Float32Array, y: Float32Array, B: number, L: number, V: number, D: number, K: number, O: number): void;
  embedConv1dBackward(ids: Int32Array, e: Float32Array, w: Float32Array, dy: Float32Array, de: Float32Array, dw: Float32Array, db: Float32Array, B: number, L: number, V: number, D: number, K: number, O: number): void;
  maxPool(x: Float32Array, y: Float32Array, argmax: Int32Array, B: number, L: number, C: number, size: number): void;
  maxPoolGrad(dy: Float32Array, argmax: Int32Array, dx: Float32Array): void;
  adamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, decay: number): void;
  info(): { threads: number; blas: string };
}
