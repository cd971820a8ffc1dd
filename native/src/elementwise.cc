// Element-wise, broadcasting, reduction and layout kernels (the generic TensorFlow.js kernels of the
// native backend). Work below ~32k elements runs on the calling thread; OpenMP threads above.
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels.h"

namespace dn {

static constexpr int64_t kParallel = 1 << 15;

template <class F>
static void map1(const float* x, float* y, int64_t n, F f) {
#pragma omp parallel for schedule(static) if (n >= kParallel)
  for (int64_t i = 0; i < n; i++) y[i] = f(x[i]);
}

void unary(int op, const float* x, float* y, int64_t n, float alpha) {
  switch (op) {
    case NEG: return map1(x, y, n, [](float v) { return -v; });
    case EXP: return map1(x, y, n, [](float v) { return std::exp(v); });
    case LOG: return map1(x, y, n, [](float v) { return std::log(v); });
    case SQRT: return map1(x, y, n, [](float v) { return std::sqrt(v); });
    case RSQRT: return map1(x, y, n, [](float v) { return 1.0f / std::sqrt(v); });
    case SQUARE: return map1(x, y, n, [](float v) { return v * v; });
    case ABS: return map1(x, y, n, [](float v) { return std::fabs(v); });
    case RELU: return map1(x, y, n, [](float v) { return v > 0.0f ? v : (std::isnan(v) ? v : 0.0f); });
    case TANH: return map1(x, y, n, [](float v) { return std::tanh(v); });
    case SIGMOID: return map1(x, y, n, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    case ERF: return map1(x, y, n, [](float v) { return std::erf(v); });
    case LOG1P: return map1(x, y, n, [](float v) { return std::log1p(v); });
    case RECIPROCAL: return map1(x, y, n, [](float v) { return 1.0f / v; });
    case STEP: return map1(x, y, n, [alpha](float v) { return std::isnan(v) ? v : (v > 0.0f ? 1.0f : alpha); });
    default: return;
  }
}

template <class F>
static void binaryLoop(const float* a, const float* b, float* out, const int32_t* shape, const int64_t* sa,
                       const int64_t* sb, int rank, F f) {
  if (rank == 0) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const int64_t inner = shape[rank - 1];
  const int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  int64_t outer = 1;
  for (int d = 0; d < rank - 1; d++) outer *= shape[d];
  const bool par = outer * inner >= kParallel;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t o = 0; o < outer; o++) {
    int64_t offA = 0, offB = 0, rem = o;
    for (int d = rank - 2; d >= 0; d--) {
      const int64_t idx = rem % shape[d];
      rem /= shape[d];
      offA += idx * sa[d];
      offB += idx * sb[d];
    }
    const float* pa = a + offA;
    const float* pb = b + offB;
    float* po = out + o * inner;
    if (ia == 1 && ib == 1) {
      for (int64_t i = 0; i < inner; i++) po[i] = f(pa[i], pb[i]);
    } else if (ia == 1 && ib == 0) {
      const float bv = pb[0];
      for (int64_t i = 0; i < inner; i++) po[i] = f(pa[i], bv);
    } else if (ia == 0 && ib == 1) {
      const float av = pa[0];
      for (int64_t i = 0; i < inner; i++) po[i] = f(av, pb[i]);
    } else {
      for (int64_t i = 0; i < inner; i++) po[i] = f(pa[i * ia], pb[i * ib]);
    }
  }
}

void binary(int op, const float* a, const float* b, float* out, const int32_t* shape, const int64_t* sa,
            const int64_t* sb, int rank) {
  switch (op) {
    case ADD: return binaryLoop(a, b, out, shape, sa, sb, rank, [](float x, float y) { return x + y; });
    case SUB: return binaryLoop(a, b, out, shape, sa, sb, rank, [](float x, float y) { return x - y; });
    case MUL: return binaryLoop(a, b, out, shape, sa, sb, rank, [](float x, float y) { return x * y; });
    case DIV: return binaryLoop(a, b, out, shape, sa, sb, rank, [](float x, float y) { return x / y; });
    case MAXIMUM:
      return binaryLoop(a, b, out, shape, sa, sb, rank, [](float x, float y) { return (std::isnan(x) || x > y) ? x : y; });
    case MINIMUM:
      return binaryLoop(a, b, out, shape, sa, sb, rank, [](float x, float y) { return (std::isnan(x) || x < y) ? x : y; });
    case SQUARED_DIFFERENCE:
      return binaryLoop(a, b, out, shape, sa, sb, rank, [](float x, float y) { return (x - y) * (x - y); });
    default: return;
  }
}

template <class Init, class Acc, class Fin>
static void reduceLoop(const float* x, float* out, int64_t outer, int64_t n, int64_t inner, Init init, Acc acc, Fin fin) {
  if (inner == 1) {
#pragma omp parallel for schedule(static) if (outer * n >= kParallel && outer > 1)
    for (int64_t o = 0; o < outer; o++) {
      const float* px = x + o * n;
      double s = init();
      for (int64_t i = 0; i < n; i++) s = acc(s, px[i]);
      out[o] = static_cast<float>(fin(s));
    }
    return;
  }
  // Reduce a middle axis: accumulate rows of `inner` values, in column blocks of 256 per (outer, block).
  const int64_t blocks = (inner + 255) / 256;
#pragma omp parallel for schedule(static) if (outer * n * inner >= kParallel)
  for (int64_t w = 0; w < outer * blocks; w++) {
    const int64_t o = w / blocks;
    const int64_t j0 = (w % blocks) * 256;
    const int64_t j1 = (j0 + 256 < inner) ? j0 + 256 : inner;
    double s[256];
    for (int64_t j = j0; j < j1; j++) s[j - j0] = init();
    const float* base = x + o * n * inner;
    for (int64_t i = 0; i < n; i++) {
      const float* row = base + i * inner;
      for (int64_t j = j0; j < j1; j++) s[j - j0] = acc(s[j - j0], row[j]);
    }
    for (int64_t j = j0; j < j1; j++) out[o * inner + j] = static_cast<float>(fin(s[j - j0]));
  }
}

void reduce(int op, const float* x, float* out, int64_t outer, int64_t n, int64_t inner) {
  const double inf = std::numeric_limits<double>::infinity();
  auto id = [](double s) { return s; };
  switch (op) {
    case SUM: return reduceLoop(x, out, outer, n, inner, [] { return 0.0; }, [](double s, float v) { return s + v; }, id);
    case MEAN: {
      const double dn = static_cast<double>(n);
      return reduceLoop(x, out, outer, n, inner, [] { return 0.0; }, [](double s, float v) { return s + v; },
                        [dn](double s) { return s / dn; });
    }
    case PROD: return reduceLoop(x, out, outer, n, inner, [] { return 1.0; }, [](double s, float v) { return s * v; }, id);
    case MAX:
      return reduceLoop(x, out, outer, n, inner, [inf] { return -inf; },
                        [](double s, float v) { return (std::isnan(v) || v > s) ? static_cast<double>(v) : s; }, id);
    case MIN:
      return reduceLoop(x, out, outer, n, inner, [inf] { return inf; },
                        [](double s, float v) { return (std::isnan(v) || v < s) ? static_cast<double>(v) : s; }, id);
    default: return;
  }
}

void transpose(const uint32_t* x, uint32_t* out, const int32_t* shape, const int32_t* perm, int rank) {
  int64_t inStride[8], outShape[8], srcStride[8];
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    inStride[d] = s;
    s *= shape[d];
  }
  const int64_t total = s;
  for (int d = 0; d < rank; d++) {
    outShape[d] = shape[perm[d]];
    srcStride[d] = inStride[perm[d]];
  }
  if (total == 0) return;
  const int64_t inner = outShape[rank - 1];
  const int64_t step = srcStride[rank - 1];
  const int64_t outer = total / inner;
#pragma omp parallel for schedule(static) if (total >= kParallel)
  for (int64_t o = 0; o < outer; o++) {
    int64_t off = 0, rem = o;
    for (int d = rank - 2; d >= 0; d--) {
      off += (rem % outShape[d]) * srcStride[d];
      rem /= outShape[d];
    }
    uint32_t* po = out + o * inner;
    if (step == 1) {
      std::memcpy(po, x + off, inner * sizeof(uint32_t));
    } else {
      for (int64_t i = 0; i < inner; i++) po[i] = x[off + i * step];
    }
  }
}

void addN(const float* const* xs, int count, float* out, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallel)
  for (int64_t i = 0; i < n; i++) {
    float s = xs[0][i];
    for (int j = 1; j < count; j++) s += xs[j][i];
    out[i] = s;
  }
}

}  // namespace dn
