// Kernels of the native CPU path. All tensors are dense, row-major float32 (ids int32); callers
// (lib/native/*.ts) allocate outputs and check shapes. Every kernel is synchronous and uses OpenMP
// threads for work large enough to pay for them; matrix products go to OpenBLAS.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dn {

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

// One row: y = softmax(x · scale + mask) (mask may be null; x and y may be the same array).
void softmaxRow(const float* x, float* y, int64_t cols, float scale, const float* mask);
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
void dropoutMask(const float* x, float* y, uint8_t* keep, int64_t n, float rate, uint64_t seed);
void dropoutGrad(const float* dy, const uint8_t* keep, float* dx, int64_t n, float rate);
void maxPool(const float* x, float* y, int32_t* argmax, int64_t B, int64_t L, int64_t C, int64_t size);
void maxPoolGrad(const float* dy, const int32_t* argmax, float* dx, int64_t count);
void adamw(float* p, const float* g, float* m, float* v, int64_t n, float lr, float b1, float b2, float eps, float bc1,
           float bc2, float decay);

int threads();
const char* blasConfig();

}  // namespace dn
