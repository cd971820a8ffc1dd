// One AdamW step over a parameter's elements in one pass (p, m and v read once and written once), with
// torch.optim.AdamW's arithmetic: decoupled weight decay, bias-corrected moments, eps outside the square
// root. Header-only, so the native addon (nn.cc) and the torch addon's CPU path run the same loop; each
// splits a parameter across its own threads (OpenMP, at::parallel_for).
#pragma once

#include <cmath>
#include <cstdint>

namespace dn {

/** The per-step scalars: lr, betas, eps, the bias corrections 1 − βᵗ, the weight decay, and a factor on
 * the gradient (gradient clipping's min(1, max_norm / ‖g‖); 1 for none). */
struct AdamWScalars {
  float shrink, b1, b2, eps, sqrtBc2, stepSize, gradScale;
  AdamWScalars(double lr, double beta1, double beta2, double epsilon, double bc1, double bc2, double decay, double scale = 1.0)
      : shrink(static_cast<float>(1.0 - lr * decay)), b1(static_cast<float>(beta1)), b2(static_cast<float>(beta2)),
        eps(static_cast<float>(epsilon)), sqrtBc2(static_cast<float>(std::sqrt(bc2))), stepSize(static_cast<float>(lr / bc1)),
        gradScale(static_cast<float>(scale)) {}
};

/** Elements [begin, end) of one parameter p with its gradient g and moments m, v, in place. */
inline void adamwRange(float* p, const float* g, float* m, float* v, int64_t begin, int64_t end, const AdamWScalars& s) {
  const float c1 = 1.0f - s.b1, c2 = 1.0f - s.b2;
  for (int64_t i = begin; i < end; i++) {
    const float gi = g[i] * s.gradScale;
    const float mi = m[i] * s.b1 + gi * c1;
    const float vi = v[i] * s.b2 + gi * gi * c2;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * s.shrink - (mi / (std::sqrt(vi) / s.sqrtBc2 + s.eps)) * s.stepSize;
  }
}

}  // namespace dn
