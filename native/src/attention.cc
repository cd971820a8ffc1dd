// Fused multi-head self-attention over the projections' own [B, L, H·D] layout: per (batch, head),
// sgemms on strided row views (leading dimension H·D) replace the head transposes, and softmax,
// mask, scale and dropout run in one pass while the head's L × L scores are in cache. The (batch,
// head) pairs are split over the OpenMP threads, each with its own scratch (OpenBLAS runs one thread
// per call inside a parallel region). Saved for the backward pass: the softmax output and a one-byte
// dropout mask, instead of scores, probabilities, a float mask and dropped probabilities.
#include <vector>

#include "kernels.h"

namespace dn {

void attentionForward(const float* q, const float* k, const float* v, const float* mask, float* ctx, float* probs,
                      uint8_t* keep, int64_t B, int64_t L, int64_t H, int64_t D, float scale, float rate, uint64_t seed) {
  const int64_t HD = H * D, LL = L * L;
  const float keepScale = rate > 0 ? 1.0f / (1.0f - rate) : 1.0f;
  const uint64_t base = dropoutBase(seed);
#pragma omp parallel if (B * H > 1)
  {
    std::vector<float> dropped(rate > 0 ? static_cast<size_t>(LL) : 0);
#pragma omp for schedule(static)
    for (int64_t bh = 0; bh < B * H; bh++) {
      const int64_t b = bh / H, h = bh % H;
      const int64_t off = b * L * HD + h * D;
      float* p = probs + bh * LL;
      sgemm(false, true, L, L, D, q + off, HD, k + off, HD, 0.0f, p, L);
      const float* mrow = mask ? mask + b * L : nullptr;
      for (int64_t i = 0; i < L; i++) {
        float* row = p + i * L;
        softmaxRow(row, row, L, scale, mrow);
        if (rate > 0) {
          uint8_t* kr = keep + bh * LL + i * L;
          float* dr = dropped.data() + i * L;
          const uint64_t first = static_cast<uint64_t>(bh * LL + i * L);
          for (int64_t j = 0; j < L; j++) {
            kr[j] = dropoutKeep(base, first + static_cast<uint64_t>(j), rate);
            dr[j] = kr[j] ? row[j] * keepScale : 0.0f;
          }
        }
      }
      sgemm(false, false, L, D, L, rate > 0 ? dropped.data() : p, L, v + off, HD, 0.0f, ctx + off, HD);
    }
  }
}

void attentionBackward(const float* q, const float* k, const float* v, const float* probs, const uint8_t* keep,
                       const float* dctx, float* dq, float* dk, float* dv, int64_t B, int64_t L, int64_t H, int64_t D,
                       float scale, float rate) {
  const int64_t HD = H * D, LL = L * L;
  const float keepScale = rate > 0 ? 1.0f / (1.0f - rate) : 1.0f;
#pragma omp parallel if (B * H > 1)
  {
    std::vector<float> dropped(rate > 0 ? static_cast<size_t>(LL) : 0), ds(static_cast<size_t>(LL));
#pragma omp for schedule(static)
    for (int64_t bh = 0; bh < B * H; bh++) {
      const int64_t b = bh / H, h = bh % H;
      const int64_t off = b * L * HD + h * D;
      const float* p = probs + bh * LL;
      const float* pd = p;
      if (rate > 0) {
        const uint8_t* kr = keep + bh * LL;
        for (int64_t i = 0; i < LL; i++) dropped[i] = kr[i] ? p[i] * keepScale : 0.0f;
        pd = dropped.data();
      }
      sgemm(true, false, L, D, L, pd, L, dctx + off, HD, 0.0f, dv + off, HD);       // dV = P'ᵀ · dC
      sgemm(false, true, L, L, D, dctx + off, HD, v + off, HD, 0.0f, ds.data(), L);  // dP' = dC · Vᵀ
      for (int64_t i = 0; i < L; i++) {
        float* row = ds.data() + i * L;
        const float* prow = p + i * L;
        if (rate > 0) {
          const uint8_t* kr = keep + bh * LL + i * L;
          for (int64_t j = 0; j < L; j++) row[j] = kr[j] ? row[j] * keepScale : 0.0f;
        }
        double dot = 0;
#pragma omp simd reduction(+ : dot)
        for (int64_t j = 0; j < L; j++) dot += static_cast<double>(prow[j]) * row[j];
        const float d = static_cast<float>(dot);
        for (int64_t j = 0; j < L; j++) row[j] = scale * prow[j] * (row[j] - d);
      }
      sgemm(false, false, L, D, L, ds.data(), L, k + off, HD, 0.0f, dq + off, HD);  // dQ = dS · K
      sgemm(true, false, L, D, L, ds.data(), L, q + off, HD, 0.0f, dk + off, HD);   // dK = dSᵀ · Q
    }
  }
}

}  // namespace dn
