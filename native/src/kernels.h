// Kernels of the native CPU path. All tensors are dense, row-major float32 (ids int32); callers
// (lib/native/*.ts) allocate outputs and check shapes. Every kernel is synchronous and uses OpenMP
// threads for work large enough to pay for them; matrix products go to OpenBLAS.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dn {

// A counter-based generator (SplitMix64 finaliser): draw i depends only on (seed, i), so a dropout mask
// is the same whatever the thread count.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
inline uint64_t dropoutBase(uint64_t seed) { return mix64(seed + 0x9e3779b97f4a7c15ULL); }
// Whether element i of a mask drawn from `base` (dropoutBase(seed)) is kept at dropout `rate`.
inline bool dropoutKeep(uint64_t base, uint64_t i, float rate) {
  return static_cast<float>(mix64(base + i) >> 40) * (1.0f / 16777216.0f) >= rate;
}

// e^x (relative error < 2e-7; 0 below −87, e^88 above 88): 2^(x·log2 e) split into integer and
// fraction, the fraction's power a degree-6 polynomial. Branch-free, so loops over it vectorise (std::exp
// does not) where the float-to-int conversion may (-fno-trapping-math, binding.gyp).
inline float expApprox(float in) {
  const float x = in < -87.0f ? -87.0f : (in > 88.0f ? 88.0f : in);
  const float t = x * 1.44269504088896341f;
  const float fi = __builtin_floorf(t);
  const float f = t - fi;
  float p = 1.535336188319500e-4f;
  p = p * f + 1.339887440266574e-3f;
  p = p * f + 9.618437357674640e-3f;
  p = p * f + 5.550332471162809e-2f;
  p = p * f + 2.402264791363012e-1f;
  p = p * f + 6.931472028550421e-1f;
  p = p * f + 1.0f;
  const int32_t bits = (static_cast<int32_t>(fi) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return in < -87.0f ? 0.0f : p * scale;
}

// Exact GELU x·Φ(x) and its derivative Φ(x) + x·φ(x), with erf by Abramowitz & Stegun 7.1.26 (absolute
// error < 1.5e-7, the approximation TensorFlow.js's erf uses); e^(−x²/2) serves both Φ and φ.
inline void geluParts(float x, float& cdf, float& pdf) {
  const float z = x * 0.70710678118654752440f;
  const float az = z < 0 ? -z : z;
  const float t = 1.0f / (1.0f + 0.3275911f * az);
  const float e = expApprox(-z * z);
  const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float erfAbs = 1.0f - poly * e;
  cdf = 0.5f * (1.0f + (z < 0 ? -erfAbs : erfAbs));
  pdf = 0.39894228040143267794f * e;
}
inline float geluAt(float x) {
  float cdf, pdf;
  geluParts(x, cdf, pdf);
  return x * cdf;
}
inline float geluGradAt(float x) {
  float cdf, pdf;
  geluParts(x, cdf, pdf);
  return cdf + x * pdf;
}

// C = op(A) · op(B) + beta · C on row-major views with leading dimensions lda, ldb, ldc (strided rows,
// e.g. one head's columns of [L, H·D]); op = transpose when flagged.
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc);
// C[i] = alpha · op(A[aIdx[i]]) · op(B[bIdx[i]]) + beta · C[i] for i < batch; op = transpose when flagged.
// A batch of A holds m·k values, of B k·n, of C m·n.
void gemmBatched(const float* a, const float* b, float* c, const int32_t* aIdx, const int32_t* bIdx, int64_t batch,
                 int64_t m, int64_t n, int64_t k, bool transA, bool transB, float alpha, float beta);

enum Unary { NEG, EXP, LOG, SQRT, RSQRT, SQUARE, ABS, RELU, TANH, SIGMOID, ERF, LOG1P, RECIPROCAL, STEP, UNARY_COUNT };
enum Binary { ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, BINARY_COUNT };
enum Reduce { SUM, MAX, MIN, MEAN, PROD, REDUCE_COUNT };

void unary(int op, const float* x, float* y, int64_t n, float alpha);
// out[...] = a[...] op b[...] over `shape` (rank ≤ 8); strides are element strides, 0 where broadcast.
void binary(int op, const float* a, const float* b, float* out, const int32_t* shape, const int64_t* aStrides,
            const int64_t* bStrides, int rank);
// x viewed as [outer, n, inner] reduced over n → out [outer, inner].
void reduce(int op, const float* x, float* out, int64_t outer, int64_t n, int64_t inner);
// out = transpose(x, perm) for x of `shape` (rank ≤ 8), any element size of 4 bytes.
void transpose(const uint32_t* x, uint32_t* out, const int32_t* shape, const int32_t* perm, int rank);
void addN(const float* const* xs, int count, float* out, int64_t n);

// One row: y = softmax(x · scale + mask) (mask may be null; x and y may be the same array). With
// `logSumExp`, also log Σ exp(x · scale + mask), the row's normaliser (a cross-entropy's loss needs it).
void softmaxRow(const float* x, float* y, int64_t cols, float scale, const float* mask, float* logSumExp = nullptr);
// softmax(x · scale + mask) over rows of `cols`; mask row of row r = (r / maskPeriod) % maskRows (mask may be null).
void softmax(const float* x, float* y, int64_t rows, int64_t cols, float scale, const float* mask, int64_t maskPeriod, int64_t maskRows);
void softmaxGrad(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, float scale);
void layerNorm(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd, int64_t rows, int64_t cols, float eps);
void layerNormGrad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, float* dx,
                   float* dgamma, float* dbeta, int64_t rows, int64_t cols);
// Batch normalisation over rows of [rows, cols] (training): batch mean, biased variance and 1/σ per column.
void batchNormForward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                      float* rstd, int64_t rows, int64_t cols, float eps);
void batchNormBackward(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                       float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t cols);
// Softmax cross-entropy per row of logits [rows, cols] against integer labels: loss[r] = logsumexp(row) −
// row[label]; probs keeps the softmax for the gradient dx = (probs − onehot) · scale. Throws on a label
// outside [0, cols).
void softmaxCrossEntropy(const float* logits, const int32_t* labels, float* loss, float* probs, int64_t rows, int64_t cols);
void softmaxCrossEntropyGrad(const float* probs, const int32_t* labels, float scale, float* dx, int64_t rows, int64_t cols);
void gelu(const float* x, float* y, int64_t n);
void geluGrad(const float* x, const float* dy, float* dx, int64_t n);
void gatherRows(const float* table, const int32_t* ids, float* out, int64_t count, int64_t dim, int64_t rows);
void scatterAddRows(const float* dy, const int32_t* ids, float* out, int64_t count, int64_t dim, int64_t rows);
void biasRows(float* out, const float* bias, int64_t rows, int64_t cols);
// Valid 1-D convolution, stride 1: x [B, L, C], w [K·C, O] (row k·C + c), bias [O] → y [B, L − K + 1, O].
void conv1dForward(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t L, int64_t C,
                   int64_t K, int64_t O);
void conv1dBackward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int64_t B,
                    int64_t L, int64_t C, int64_t K, int64_t O);
// conv1dForward(embedding rows of ids) for ids [B, L] over a table E [V, D]; w [K·D, O].
void embedConv1dForward(const int32_t* ids, const float* e, const float* w, const float* bias, float* y, int64_t B,
                        int64_t L, int64_t V, int64_t D, int64_t K, int64_t O);
void embedConv1dBackward(const int32_t* ids, const float* e, const float* w, const float* dy, float* de, float* dw,
                         float* db, int64_t B, int64_t L, int64_t V, int64_t D, int64_t K, int64_t O);
// Multi-head self-attention on q, k, v [B, L, H·D]: ctx = dropout(softmax(Q·Kᵀ·scale + mask[b])) · V per
// head; mask [B, L] additive (or null). Saves probs [B, H, L, L] (before dropout) and keep [B, H, L, L].
void attentionForward(const float* q, const float* k, const float* v, const float* mask, float* ctx, float* probs,
                      uint8_t* keep, int64_t B, int64_t L, int64_t H, int64_t D, float scale, float rate, uint64_t seed);
void attentionBackward(const float* q, const float* k, const float* v, const float* probs, const uint8_t* keep,
                       const float* dctx, float* dq, float* dk, float* dv, int64_t B, int64_t L, int64_t H, int64_t D,
                       float scale, float rate);
// One post-LayerNorm BERT encoder layer (lib/models/ops.ts composedEncoderLayer) on h [B·L, W] with
// `heads` heads and FFN width F, forward and backward in one call each. p: the 16 parameters in
// EncoderLayerWeights' order (query W [W, W], b; key; value; attention output; its norm γ, β;
// intermediate W [W, F], b; output W [F, W], b; its norm γ, β). mask [B, L] additive or null.
// `save` holds what the backward pass reads (encoderSaveFloats), `keep` the dropout masks
// (encoderSaveBytes); the masks are those of attentionForward and dropoutMask with the same seeds.
struct EncoderDims {
  int64_t B, L, W, heads, F;
  float attnRate, hiddenRate, eps;
};
int64_t encoderSaveFloats(const EncoderDims& d);
int64_t encoderSaveBytes(const EncoderDims& d);
void encoderForward(const EncoderDims& d, const float* h, const float* const* p, const float* mask, float* y, float* save,
                    uint8_t* keep, uint64_t seedAttn, uint64_t seedAttnOut, uint64_t seedOut);
// dh and the 16 parameter gradients (g, in p's order) of Σ y · dy.
void encoderBackward(const EncoderDims& d, const float* h, const float* const* p, const float* dy, const float* save,
                     const uint8_t* keep, float* dh, float* const* g);
void dropoutMask(const float* x, float* y, uint8_t* keep, int64_t n, float rate, uint64_t seed);
void dropoutGrad(const float* dy, const uint8_t* keep, float* dx, int64_t n, float rate);
void maxPool(const float* x, float* y, int32_t* argmax, int64_t B, int64_t L, int64_t C, int64_t size);
void maxPoolGrad(const float* dy, const int32_t* argmax, float* dx, int64_t count);
void adamw(float* p, const float* g, float* m, float* v, int64_t n, float lr, float b1, float b2, float eps, float bc1,
           float bc2, float decay);

int threads();
const char* blasConfig();

}  // namespace dn
