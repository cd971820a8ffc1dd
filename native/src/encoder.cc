// One post-LayerNorm BERT encoder layer, forward and backward, each as one call:
//   a = LayerNorm(dropout(ctx · Wo + bo) + h),  ctx = selfAttention(h · Wq + bq, h · Wk + bk, h · Wv + bv)
//   y = LayerNorm(dropout(GELU(a · Wi + bi) · Wo2 + bo2) + a)
// The products are OpenBLAS sgemms over all B·L rows; bias, dropout, residual and layer norm run as
// one pass per row after them, and bias with GELU as one pass after the intermediate product, so each
// activation crosses memory once each way instead of once per op. Dropout masks are those of
// dropoutMask and attentionForward with the same seeds, so the layer equals the one composed from the
// single fused ops (lib/models/ops.ts composedEncoderLayer), mask for mask.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace dn {

namespace {

constexpr int64_t kParallel = 1 << 15;

// Parameter order (EncoderLayerWeights): wq bq wk bk wv bv wo bo g1 be1 wi bi wo2 bo2 g2 be2.
enum { WQ, BQ, WK, BK, WV, BV, WO, BO, G1, BE1, WI, BI, WO2, BO2, G2, BE2 };

// Offsets of the saved tensors inside `save`.
struct Layout {
  int64_t q, k, v, probs, ctx, s1, a, u, g, s2, mean1, rstd1, mean2, rstd2, total;
  int64_t attnKeep, keep1, keep2, bytes;
  explicit Layout(const EncoderDims& d) {
    const int64_t N = d.B * d.L, NW = N * d.W, NF = N * d.F, P = d.B * d.heads * d.L * d.L;
    int64_t o = 0;
    auto take = [&o](int64_t n) {
      const int64_t at = o;
      o += n;
      return at;
    };
    q = take(NW), k = take(NW), v = take(NW), probs = take(P), ctx = take(NW), s1 = take(NW), a = take(NW);
    u = take(NF), g = take(NF), s2 = take(NW), mean1 = take(N), rstd1 = take(N), mean2 = take(N), rstd2 = take(N);
    total = o;
    int64_t b = 0;
    attnKeep = b, b += d.attnRate > 0 ? P : 0;
    keep1 = b, b += d.hiddenRate > 0 ? NW : 0;
    keep2 = b, b += d.hiddenRate > 0 ? NW : 0;
    bytes = b;
  }
};

// sgemm on dense matrices (leading dimensions their row lengths).
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return;
  sgemm(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, beta, c, n);
}

// out [rows, cols] = x · w + bias (x [rows, in], w [in, cols]).
void linear(const float* x, const float* w, const float* bias, float* out, int64_t rows, int64_t in, int64_t cols) {
  biasRows(out, bias, rows, cols);
  gemm(false, false, rows, cols, in, x, w, 1.0f, out);
}

// Column sums of [rows, cols] into out.
void colSum(const float* x, float* out, int64_t rows, int64_t cols) { reduce(SUM, x, out, 1, rows, cols); }

// In place on t [rows, cols] (a product plus its bias): s = dropout(t) + residual, then y = LayerNorm(s)
// with its mean and 1/σ per row; keep is written when rate > 0.
void dropoutResidualNorm(float* s, const float* residual, const float* gamma, const float* beta, float* y, float* mean,
                         float* rstd, uint8_t* keep, int64_t rows, int64_t cols, float rate, uint64_t seed, float eps) {
  const float keepScale = rate > 0 ? 1.0f / (1.0f - rate) : 1.0f;
  const uint64_t base = dropoutBase(seed);
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++) {
    float* ps = s + r * cols;
    const float* pr = residual + r * cols;
    if (rate > 0) {
      uint8_t* kr = keep + r * cols;
      const uint64_t first = static_cast<uint64_t>(r * cols);
      for (int64_t j = 0; j < cols; j++) {
        kr[j] = dropoutKeep(base, first + static_cast<uint64_t>(j), rate);
        ps[j] = (kr[j] ? ps[j] * keepScale : 0.0f) + pr[j];
      }
    } else {
      for (int64_t j = 0; j < cols; j++) ps[j] += pr[j];
    }
  }
  layerNorm(s, gamma, beta, y, mean, rstd, rows, cols, eps);
}

// Backward of y = LayerNorm(s), s = dropout(x · w + b) + residual (N rows of width W, x of width `in`):
// ds (the residual's gradient), and the gradients of γ, β, w, b and x (dx). dt: scratch of N·W floats.
void denseDropoutNormBack(const float* dy, const float* s, const float* mean, const float* rstd, const float* gamma,
                          const uint8_t* keep, float rate, const float* x, const float* w, float* ds, float* dt,
                          float* dgamma, float* dbeta, float* dw, float* db, float* dx, int64_t N, int64_t in, int64_t W) {
  layerNormGrad(dy, s, gamma, mean, rstd, ds, dgamma, dbeta, N, W);
  const float* dprod = ds;
  if (rate > 0) {
    dropoutGrad(ds, keep, dt, N * W, rate);
    dprod = dt;
  }
  colSum(dprod, db, N, W);
  gemm(true, false, in, W, N, x, dprod, 0.0f, dw);
  gemm(false, true, N, in, W, dprod, w, 0.0f, dx);
}

// A grown-only scratch buffer (the backward pass's temporaries), so steps after the first reuse pages.
float* scratch(std::vector<float>& buf, int64_t n) {
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

}  // namespace

int64_t encoderSaveFloats(const EncoderDims& d) { return Layout(d).total; }
int64_t encoderSaveBytes(const EncoderDims& d) { return Layout(d).bytes; }

void encoderForward(const EncoderDims& d, const float* h, const float* const* p, const float* mask, float* y, float* save,
                    uint8_t* keep, uint64_t seedAttn, uint64_t seedAttnOut, uint64_t seedOut) {
  const Layout o(d);
  const int64_t N = d.B * d.L, W = d.W, F = d.F, D = W / d.heads;
  float *q = save + o.q, *k = save + o.k, *v = save + o.v, *ctx = save + o.ctx, *s1 = save + o.s1, *a = save + o.a;
  float *u = save + o.u, *g = save + o.g, *s2 = save + o.s2;
  linear(h, p[WQ], p[BQ], q, N, W, W);
  linear(h, p[WK], p[BK], k, N, W, W);
  linear(h, p[WV], p[BV], v, N, W, W);
  attentionForward(q, k, v, mask, ctx, save + o.probs, keep + o.attnKeep, d.B, d.L, d.heads, D,
                   1.0f / std::sqrt(static_cast<float>(D)), d.attnRate, seedAttn);
  linear(ctx, p[WO], p[BO], s1, N, W, W);
  dropoutResidualNorm(s1, h, p[G1], p[BE1], a, save + o.mean1, save + o.rstd1, keep + o.keep1, N, W, d.hiddenRate,
                      seedAttnOut, d.eps);
  linear(a, p[WI], p[BI], u, N, W, F);
#pragma omp parallel for simd schedule(static) if (N * F >= kParallel)
  for (int64_t i = 0; i < N * F; i++) g[i] = geluAt(u[i]);
  linear(g, p[WO2], p[BO2], s2, N, F, W);
  dropoutResidualNorm(s2, a, p[G2], p[BE2], y, save + o.mean2, save + o.rstd2, keep + o.keep2, N, W, d.hiddenRate,
                      seedOut, d.eps);
}

void encoderBackward(const EncoderDims& d, const float* h, const float* const* p, const float* dy, const float* save,
                     const uint8_t* keep, float* dh, float* const* gr) {
  static std::vector<float> bufW1, bufW2, bufW3, bufW4, bufF;
  const Layout o(d);
  const int64_t N = d.B * d.L, W = d.W, F = d.F, NW = N * W, D = W / d.heads;
  const float *q = save + o.q, *k = save + o.k, *v = save + o.v, *ctx = save + o.ctx, *a = save + o.a;
  const float *u = save + o.u, *g = save + o.g;
  float* ds2 = scratch(bufW1, NW);  // then da
  float* dt = scratch(bufW2, NW);   // dropout's gradient
  float* ds1 = scratch(bufW3, NW);
  float* dgelu = scratch(bufF, N * F);
  // y = LayerNorm(s2), s2 = dropout(g · Wo2 + bo2) + a
  denseDropoutNormBack(dy, save + o.s2, save + o.mean2, save + o.rstd2, p[G2], keep + o.keep2, d.hiddenRate, g, p[WO2],
                       ds2, dt, gr[G2], gr[BE2], gr[WO2], gr[BO2], dgelu, N, F, W);
  // g = GELU(u), u = a · Wi + bi
#pragma omp parallel for simd schedule(static) if (N * F >= kParallel)
  for (int64_t i = 0; i < N * F; i++) dgelu[i] *= geluGradAt(u[i]);
  colSum(dgelu, gr[BI], N, F);
  gemm(true, false, W, F, N, a, dgelu, 0.0f, gr[WI]);
  float* da = ds2;  // residual path + FFN path
  gemm(false, true, N, W, F, dgelu, p[WI], 1.0f, da);
  // a = LayerNorm(s1), s1 = dropout(ctx · Wo + bo) + h
  float* dctx = scratch(bufW4, NW);
  denseDropoutNormBack(da, save + o.s1, save + o.mean1, save + o.rstd1, p[G1], keep + o.keep1, d.hiddenRate, ctx, p[WO],
                       ds1, dt, gr[G1], gr[BE1], gr[WO], gr[BO], dctx, N, W, W);
  // the projections' gradients go to the parameter buffers' neighbours: dq, dk, dv reuse the scratch
  float* dq = ds2;
  float* dk = dt;
  float* dv = dgelu;  // N·F ≥ N·W floats (FFN at least as wide as the layer), else its own buffer
  std::vector<float> dvOwn;
  if (F < W) dvOwn.resize(static_cast<size_t>(NW)), dv = dvOwn.data();
  attentionBackward(q, k, v, save + o.probs, keep + o.attnKeep, dctx, dq, dk, dv, d.B, d.L, d.heads, D,
                    1.0f / std::sqrt(static_cast<float>(D)), d.attnRate);
  // h feeds the residual and the three projections
  std::memcpy(dh, ds1, static_cast<size_t>(NW) * sizeof(float));
  const float* dproj[3] = {dq, dk, dv};
  for (int i = 0; i < 3; i++) {
    colSum(dproj[i], gr[BQ + 2 * i], N, W);
    gemm(true, false, W, W, N, h, dproj[i], 0.0f, gr[WQ + 2 * i]);
    gemm(false, true, N, W, W, dproj[i], p[WQ + 2 * i], 1.0f, dh);
  }
}

}  // namespace dn
