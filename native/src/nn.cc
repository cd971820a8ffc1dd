// Fused neural-network kernels: each replaces a chain of element-wise ops (and their gradients) with
// one pass over memory. The composed versions in lib/ops.ts compute the same functions.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "adamw.h"
#include "kernels.h"

namespace dn {

static constexpr int64_t kParallel = 1 << 15;

void softmaxRow(const float* x, float* y, int64_t cols, float scale, const float* mask, float* logSumExp) {
  float mx = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < cols; j++) {
    const float v = mask ? x[j] * scale + mask[j] : x[j] * scale;
    y[j] = v;
    mx = v > mx ? v : mx;
  }
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < cols; j++) {
    const float e = expApprox(y[j] - mx);
    y[j] = e;
    sum += e;
  }
  const float inv = static_cast<float>(1.0 / sum);
#pragma omp simd
  for (int64_t j = 0; j < cols; j++) y[j] *= inv;
  if (logSumExp) *logSumExp = static_cast<float>(std::log(sum) + mx);
}

void softmax(const float* x, float* y, int64_t rows, int64_t cols, float scale, const float* mask, int64_t maskPeriod,
             int64_t maskRows) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++) {
    softmaxRow(x + r * cols, y + r * cols, cols, scale, mask ? mask + ((r / maskPeriod) % maskRows) * cols : nullptr);
  }
}

void softmaxGrad(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, float scale) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++) {
    const float* py = y + r * cols;
    const float* pd = dy + r * cols;
    float* px = dx + r * cols;
    double dot = 0;
    for (int64_t j = 0; j < cols; j++) dot += static_cast<double>(py[j]) * pd[j];
    const float d = static_cast<float>(dot);
    for (int64_t j = 0; j < cols; j++) px[j] = scale * py[j] * (pd[j] - d);
  }
}

void softmaxCrossEntropy(const float* logits, const int32_t* labels, float* loss, float* probs, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++)
    if (labels[r] < 0 || labels[r] >= cols)
      throw std::invalid_argument("label " + std::to_string(labels[r]) + " of row " + std::to_string(r) + " is outside [0, " + std::to_string(cols) + ")");
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++) {
    const float* z = logits + r * cols;
    float lse;
    softmaxRow(z, probs + r * cols, cols, 1.0f, nullptr, &lse);
    loss[r] = lse - z[labels[r]];
  }
}

void softmaxCrossEntropyGrad(const float* probs, const int32_t* labels, float scale, float* dx, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++) {
    const float* p = probs + r * cols;
    float* d = dx + r * cols;
    for (int64_t j = 0; j < cols; j++) d[j] = p[j] * scale;
    d[labels[r]] -= scale;
  }
}

void layerNorm(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd, int64_t rows,
               int64_t cols, float eps) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++) {
    const float* px = x + r * cols;
    float* py = y + r * cols;
    double s = 0;
    for (int64_t j = 0; j < cols; j++) s += px[j];
    const float mu = static_cast<float>(s / cols);
    double ss = 0;
    for (int64_t j = 0; j < cols; j++) {
      const double c = px[j] - mu;
      ss += c * c;
    }
    const float rs = static_cast<float>(1.0 / std::sqrt(ss / cols + eps));
    for (int64_t j = 0; j < cols; j++) py[j] = (px[j] - mu) * rs * gamma[j] + beta[j];
    mean[r] = mu;
    rstd[r] = rs;
  }
}

void layerNormGrad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, float* dx,
                   float* dgamma, float* dbeta, int64_t rows, int64_t cols) {
  // dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)) with g = dy · gamma, x̂ = (x − mean) · rstd
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++) {
    const float* pd = dy + r * cols;
    const float* px = x + r * cols;
    float* po = dx + r * cols;
    const float mu = mean[r], rs = rstd[r];
    double sg = 0, sgx = 0;
    for (int64_t j = 0; j < cols; j++) {
      const double g = static_cast<double>(pd[j]) * gamma[j];
      sg += g;
      sgx += g * ((px[j] - mu) * rs);
    }
    const float mg = static_cast<float>(sg / cols), mgx = static_cast<float>(sgx / cols);
    for (int64_t j = 0; j < cols; j++) {
      const float xh = (px[j] - mu) * rs;
      po[j] = rs * (pd[j] * gamma[j] - mg - xh * mgx);
    }
  }
  // Parameter gradients: column sums, split over columns.
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t j0 = 0; j0 < cols; j0 += 64) {
    const int64_t j1 = j0 + 64 < cols ? j0 + 64 : cols;
    double sgm[64] = {0}, sb[64] = {0};
    for (int64_t r = 0; r < rows; r++) {
      const float* pd = dy + r * cols;
      const float* px = x + r * cols;
      const float mu = mean[r], rs = rstd[r];
      for (int64_t j = j0; j < j1; j++) {
        sgm[j - j0] += pd[j] * ((px[j] - mu) * rs);
        sb[j - j0] += pd[j];
      }
    }
    for (int64_t j = j0; j < j1; j++) {
      dgamma[j] = static_cast<float>(sgm[j - j0]);
      dbeta[j] = static_cast<float>(sb[j - j0]);
    }
  }
}

void batchNormForward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                      float* rstd, int64_t rows, int64_t cols, float eps) {
  std::vector<double> s(cols, 0.0), ss(cols, 0.0);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) s[c] += x[r * cols + c];
  for (int64_t c = 0; c < cols; c++) mean[c] = static_cast<float>(s[c] / rows);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) {
      const double d = x[r * cols + c] - mean[c];
      ss[c] += d * d;
    }
  for (int64_t c = 0; c < cols; c++) {
    var[c] = static_cast<float>(ss[c] / rows);
    rstd[c] = static_cast<float>(1.0 / std::sqrt(ss[c] / rows + eps));
  }
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) y[r * cols + c] = (x[r * cols + c] - mean[c]) * rstd[c] * gamma[c] + beta[c];
}

void batchNormBackward(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                       float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t cols) {
  std::vector<double> sb(cols, 0.0), sg(cols, 0.0);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) {
      const float d = dy[r * cols + c];
      sb[c] += d;
      sg[c] += d * ((x[r * cols + c] - mean[c]) * rstd[c]);
    }
  for (int64_t c = 0; c < cols; c++) {
    dbeta[c] = static_cast<float>(sb[c]);
    dgamma[c] = static_cast<float>(sg[c]);
  }
  // dx = γ·σ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂))
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) {
      const float xh = (x[r * cols + c] - mean[c]) * rstd[c];
      dx[r * cols + c] = gamma[c] * rstd[c] *
                         (dy[r * cols + c] - static_cast<float>(sb[c] / rows) - xh * static_cast<float>(sg[c] / rows));
    }
}


void gelu(const float* x, float* y, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallel)
  for (int64_t i = 0; i < n; i++) y[i] = geluAt(x[i]);
}

void geluGrad(const float* x, const float* dy, float* dx, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallel)
  for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * geluGradAt(x[i]);
}

// Inverted dropout; the mask is kept as one byte per element for the backward pass.
void dropoutMask(const float* x, float* y, uint8_t* keep, int64_t n, float rate, uint64_t seed) {
  const float scale = 1.0f / (1.0f - rate);
  const uint64_t base = dropoutBase(seed);
#pragma omp parallel for schedule(static) if (n >= kParallel)
  for (int64_t i = 0; i < n; i++) {
    keep[i] = dropoutKeep(base, static_cast<uint64_t>(i), rate);
    y[i] = keep[i] ? x[i] * scale : 0.0f;
  }
}

void dropoutGrad(const float* dy, const uint8_t* keep, float* dx, int64_t n, float rate) {
  const float scale = 1.0f / (1.0f - rate);
#pragma omp parallel for schedule(static) if (n >= kParallel)
  for (int64_t i = 0; i < n; i++) dx[i] = keep[i] ? dy[i] * scale : 0.0f;
}

void gatherRows(const float* table, const int32_t* ids, float* out, int64_t count, int64_t dim, int64_t rows) {
#pragma omp parallel for schedule(static) if (count * dim >= kParallel)
  for (int64_t i = 0; i < count; i++) {
    const int64_t id = ids[i];
    if (id < 0 || id >= rows) {
      std::memset(out + i * dim, 0, dim * sizeof(float));
    } else {
      std::memcpy(out + i * dim, table + id * dim, dim * sizeof(float));
    }
  }
}

void scatterAddRows(const float* dy, const int32_t* ids, float* out, int64_t count, int64_t dim, int64_t rows) {
  // Rows may repeat: split the columns, not the ids, across threads.
#pragma omp parallel for schedule(static) if (count * dim >= kParallel)
  for (int64_t j0 = 0; j0 < dim; j0 += 64) {
    const int64_t j1 = j0 + 64 < dim ? j0 + 64 : dim;
    for (int64_t i = 0; i < count; i++) {
      const int64_t id = ids[i];
      if (id < 0 || id >= rows) continue;
      float* po = out + id * dim;
      const float* pd = dy + i * dim;
      for (int64_t j = j0; j < j1; j++) po[j] += pd[j];
    }
  }
}

void biasRows(float* out, const float* bias, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallel)
  for (int64_t r = 0; r < rows; r++) std::memcpy(out + r * cols, bias, cols * sizeof(float));
}

void maxPool(const float* x, float* y, int32_t* argmax, int64_t B, int64_t L, int64_t C, int64_t size) {
  const int64_t n = L / size;
#pragma omp parallel for schedule(static) if (B * L * C >= kParallel)
  for (int64_t r = 0; r < B * n; r++) {
    const int64_t b = r / n, i = r % n;
    for (int64_t c = 0; c < C; c++) {
      int64_t best = (b * L + i * size) * C + c;
      float bv = x[best];
      for (int64_t s = 1; s < size; s++) {
        const int64_t at = (b * L + i * size + s) * C + c;
        if (x[at] > bv || std::isnan(x[at])) {
          bv = x[at];
          best = at;
        }
      }
      y[r * C + c] = bv;
      argmax[r * C + c] = static_cast<int32_t>(best);
    }
  }
}

void maxPoolGrad(const float* dy, const int32_t* argmax, float* dx, int64_t count) {
  // Windows do not overlap, so every input position receives from at most one output.
  for (int64_t i = 0; i < count; i++) dx[argmax[i]] += dy[i];
}

void adamw(float* p, const float* g, float* m, float* v, int64_t n, float lr, float b1, float b2, float eps, float bc1,
           float bc2, float decay) {
  const AdamWScalars s(lr, b1, b2, eps, bc1, bc2, decay);
  constexpr int64_t kChunk = 1 << 14;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n >= kParallel)
  for (int64_t c = 0; c < chunks; c++) adamwRange(p, g, m, v, c * kChunk, std::min(n, (c + 1) * kChunk), s);
}

}  // namespace dn
