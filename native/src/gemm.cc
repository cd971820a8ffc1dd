// Matrix products through OpenBLAS sgemm; transposes are sgemm flags, never copies.
#include <cblas.h>

#include "kernels.h"

namespace dn {

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

int threads() { return openblas_get_num_threads(); }

const char* blasConfig() { return openblas_get_config(); }

}  // namespace dn
