// Matrix products through OpenBLAS sgemm; transposes are sgemm flags, never copies.
#include <cblas.h>

#include <cstring>
#include <vector>

#include "kernels.h"

namespace dn {

void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
              static_cast<int>(ldc));
}

void gemmBatched(const float* a, const float* b, float* c, const int32_t* aIdx, const int32_t* bIdx, int64_t batch,
                 int64_t m, int64_t n, int64_t k, bool transA, bool transB, float alpha, float beta) {
  const int lda = static_cast<int>(transA ? m : k);
  const int ldb = static_cast<int>(transB ? k : n);
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), alpha, a + static_cast<int64_t>(aIdx[i]) * m * k, lda,
                b + static_cast<int64_t>(bIdx[i]) * k * n, ldb, beta, c + i * m * n, static_cast<int>(n));
  }
}

// The batch is treated as one sequence of B·L positions: the product at every start position t is
// Σ_k x[t + k, :] · W[k] — K sgemms over row views of x with leading dimension C (no patch matrix).
// Rows whose window straddles two sequences (K − 1 per sequence) are computed and dropped.
void conv1dForward(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t L, int64_t C,
                   int64_t K, int64_t O) {
  const int64_t out = L - K + 1, full = B * L - K + 1;
  std::vector<float> yf(static_cast<size_t>(full * O));
  for (int64_t t = 0; t < full; t++) std::memcpy(yf.data() + t * O, bias, O * sizeof(float));
  for (int64_t k = 0; k < K; k++) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(full), static_cast<int>(O), static_cast<int>(C),
                1.0f, x + k * C, static_cast<int>(C), w + k * C * O, static_cast<int>(O), 1.0f, yf.data(), static_cast<int>(O));
  }
  for (int64_t b = 0; b < B; b++) std::memcpy(y + b * out * O, yf.data() + b * L * O, out * O * sizeof(float));
}

void conv1dBackward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int64_t B,
                    int64_t L, int64_t C, int64_t K, int64_t O) {
  const int64_t out = L - K + 1, full = B * L - K + 1;
  std::vector<float> dyf(static_cast<size_t>(full * O), 0.0f);
  for (int64_t b = 0; b < B; b++) std::memcpy(dyf.data() + b * L * O, dy + b * out * O, out * O * sizeof(float));
  std::memset(dx, 0, B * L * C * sizeof(float));
  for (int64_t k = 0; k < K; k++) {
    // dW[k] = X_kᵀ · dY and dX[t + k] += dY[t] · W[k]ᵀ
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(C), static_cast<int>(O), static_cast<int>(full),
                1.0f, x + k * C, static_cast<int>(C), dyf.data(), static_cast<int>(O), 0.0f, dw + k * C * O, static_cast<int>(O));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(full), static_cast<int>(C), static_cast<int>(O),
                1.0f, dyf.data(), static_cast<int>(O), w + k * C * O, static_cast<int>(O), 1.0f, dx + k * C, static_cast<int>(C));
  }
  for (int64_t o = 0; o < O; o++) db[o] = 0.0f;
  for (int64_t t = 0; t < B * out; t++)
    for (int64_t o = 0; o < O; o++) db[o] += dy[t * O + o];
}

// conv1d(embedding(ids)) with a small vocabulary: with P[k] = E · W[k] ([V, O]), the output at t is
// bias + Σ_k P[k][ids[t + k]] — a table lookup instead of a product over the embedding width.
void embedConv1dForward(const int32_t* ids, const float* e, const float* w, const float* bias, float* y, int64_t B,
                        int64_t L, int64_t V, int64_t D, int64_t K, int64_t O) {
  const int64_t out = L - K + 1;
  std::vector<float> p(static_cast<size_t>(K * V * O));
  for (int64_t k = 0; k < K; k++) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(V), static_cast<int>(O), static_cast<int>(D), 1.0f,
                e, static_cast<int>(D), w + k * D * O, static_cast<int>(O), 0.0f, p.data() + k * V * O, static_cast<int>(O));
  }
#pragma omp parallel for schedule(static) if (B * out * K * O >= (1 << 15))
  for (int64_t r = 0; r < B * out; r++) {
    const int64_t b = r / out, t = r % out;
    float* py = y + r * O;
    std::memcpy(py, bias, O * sizeof(float));
    for (int64_t k = 0; k < K; k++) {
      const float* row = p.data() + (k * V + ids[b * L + t + k]) * O;
      for (int64_t o = 0; o < O; o++) py[o] += row[o];
    }
  }
}

void embedConv1dBackward(const int32_t* ids, const float* e, const float* w, const float* dy, float* de, float* dw,
                         float* db, int64_t B, int64_t L, int64_t V, int64_t D, int64_t K, int64_t O) {
  const int64_t out = L - K + 1;
  // G[k][v] = Σ over positions whose k-th window element is token v of dy at that position
  std::vector<float> g(static_cast<size_t>(K * V * O), 0.0f);
  for (int64_t k = 0; k < K; k++) {
    float* gk = g.data() + k * V * O;
    for (int64_t b = 0; b < B; b++)
      for (int64_t t = 0; t < out; t++) {
        float* row = gk + static_cast<int64_t>(ids[b * L + t + k]) * O;
        const float* d = dy + (b * out + t) * O;
        for (int64_t o = 0; o < O; o++) row[o] += d[o];
      }
  }
  std::memset(de, 0, V * D * sizeof(float));
  for (int64_t k = 0; k < K; k++) {
    const float* gk = g.data() + k * V * O;
    // dW[k] = Eᵀ · G[k];  dE += G[k] · W[k]ᵀ
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(D), static_cast<int>(O), static_cast<int>(V), 1.0f,
                e, static_cast<int>(D), gk, static_cast<int>(O), 0.0f, dw + k * D * O, static_cast<int>(O));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(V), static_cast<int>(D), static_cast<int>(O), 1.0f,
                gk, static_cast<int>(O), w + k * D * O, static_cast<int>(O), 1.0f, de, static_cast<int>(D));
  }
  for (int64_t o = 0; o < O; o++) db[o] = 0.0f;
  for (int64_t t = 0; t < B * out; t++)
    for (int64_t o = 0; o < O; o++) db[o] += dy[t * O + o];
}

int threads() { return openblas_get_num_threads(); }

const char* blasConfig() { return openblas_get_config(); }

}  // namespace dn
