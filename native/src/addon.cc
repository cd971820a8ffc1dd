// N-API bindings: argument checking and dispatch to the kernels in kernels.h. Every function takes
// typed arrays (inputs and preallocated outputs) and numbers, and returns undefined.
#include <node_api.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "kernels.h"

namespace {

struct Args {
  napi_env env;
  const char* fn;
  napi_value v[24];
  size_t n = 24;

  Args(napi_env e, napi_callback_info info, const char* name, size_t expected) : env(e), fn(name) {
    napi_get_cb_info(e, info, &n, v, nullptr, nullptr);
    if (n < expected) fail("expected " + std::to_string(expected) + " arguments, got " + std::to_string(n));
  }

  [[noreturn]] void fail(const std::string& msg) const { throw std::invalid_argument(std::string(fn) + ": " + msg); }

  bool isNull(size_t i) const {
    napi_valuetype t;
    napi_typeof(env, v[i], &t);
    return t == napi_null || t == napi_undefined;
  }

  void* array(size_t i, napi_typedarray_type want, size_t* length = nullptr) const {
    bool is = false;
    napi_is_typedarray(env, v[i], &is);
    if (!is) fail("argument " + std::to_string(i) + " must be a typed array");
    napi_typedarray_type type;
    size_t len;
    void* data;
    napi_get_typedarray_info(env, v[i], &type, &len, &data, nullptr, nullptr);
    const bool ok = type == want || (want == napi_uint32_array && (type == napi_float32_array || type == napi_int32_array));
    if (!ok) fail("argument " + std::to_string(i) + " has the wrong element type");
    if (length) *length = len;
    return data;
  }
  float* f32(size_t i, size_t* len = nullptr) const { return static_cast<float*>(array(i, napi_float32_array, len)); }
  // A float32 array of exactly n elements (the element-wise kernels' outputs and second inputs).
  float* f32n(size_t i, size_t n) const {
    size_t len;
    float* p = f32(i, &len);
    if (len != n) fail("argument " + std::to_string(i) + " has " + std::to_string(len) + " elements, expected " + std::to_string(n));
    return p;
  }
  uint8_t* u8n(size_t i, size_t n) const {
    size_t len;
    uint8_t* p = u8(i, &len);
    if (len != n) fail("argument " + std::to_string(i) + " has " + std::to_string(len) + " elements, expected " + std::to_string(n));
    return p;
  }
  const float* f32OrNull(size_t i) const { return isNull(i) ? nullptr : f32(i); }
  uint8_t* u8(size_t i, size_t* len = nullptr) const { return static_cast<uint8_t*>(array(i, napi_uint8_array, len)); }
  int32_t* i32(size_t i, size_t* len = nullptr) const { return static_cast<int32_t*>(array(i, napi_int32_array, len)); }
  uint32_t* u32(size_t i) const { return static_cast<uint32_t*>(array(i, napi_uint32_array)); }

  // Argument i: an array of `want.size()` float32 arrays, element j of want[j] values.
  std::vector<float*> f32list(size_t i, const std::vector<int64_t>& want) const {
    bool is = false;
    napi_is_array(env, v[i], &is);
    uint32_t n = 0;
    if (is) napi_get_array_length(env, v[i], &n);
    if (!is || n != want.size()) fail("argument " + std::to_string(i) + " must be an array of " + std::to_string(want.size()) + " float32 arrays");
    std::vector<float*> out(n);
    for (uint32_t j = 0; j < n; j++) {
      napi_value e;
      napi_get_element(env, v[i], j, &e);
      bool typed = false;
      napi_is_typedarray(env, e, &typed);
      napi_typedarray_type type = napi_int8_array;
      size_t len = 0;
      void* data = nullptr;
      if (typed) napi_get_typedarray_info(env, e, &type, &len, &data, nullptr, nullptr);
      if (!typed || type != napi_float32_array) fail("argument " + std::to_string(i) + "[" + std::to_string(j) + "] must be a Float32Array");
      if (static_cast<int64_t>(len) != want[j])
        fail("argument " + std::to_string(i) + "[" + std::to_string(j) + "] has " + std::to_string(len) + " elements, expected " + std::to_string(want[j]));
      out[j] = static_cast<float*>(data);
    }
    return out;
  }

  double num(size_t i) const {
    double d;
    if (napi_get_value_double(env, v[i], &d) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return d;
  }
  int64_t int64(size_t i) const { return static_cast<int64_t>(num(i)); }
  bool flag(size_t i) const {
    bool b;
    if (napi_get_value_bool(env, v[i], &b) != napi_ok) fail("argument " + std::to_string(i) + " must be a boolean");
    return b;
  }
};

template <class F>
napi_value guard(napi_env env, F f) {
  try {
    f();
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

#define FN(name, nargs, ...)                                      \
  napi_value name(napi_env env, napi_callback_info info) {       \
    return guard(env, [&] {                                      \
      Args a(env, info, #name, nargs);                           \
      __VA_ARGS__;                                               \
    });                                                          \
  }

// gemmBatched(a, b, c, aIdx, bIdx, m, n, k, transA, transB, alpha, beta)
FN(gemmBatched, 12, {
  size_t batch, bBatch;
  const int32_t* ai = a.i32(3, &batch);
  const int32_t* bi = a.i32(4, &bBatch);
  if (batch != bBatch) a.fail("index arrays differ in length");
  dn::gemmBatched(a.f32(0), a.f32(1), a.f32(2), ai, bi, static_cast<int64_t>(batch), a.int64(5), a.int64(6), a.int64(7),
                  a.flag(8), a.flag(9), static_cast<float>(a.num(10)), static_cast<float>(a.num(11)));
})

// unary(op, x, y, alpha)
FN(unary, 4, {
  size_t n, ny;
  const float* x = a.f32(1, &n);
  float* y = a.f32(2, &ny);
  if (ny != n) a.fail("output length differs from input");
  dn::unary(static_cast<int>(a.num(0)), x, y, static_cast<int64_t>(n), static_cast<float>(a.num(3)));
})

// binary(op, a, b, out, shape: Int32Array, aStrides: Float64Array, bStrides: Float64Array)
FN(binary, 7, {
  size_t rank;
  const int32_t* shape = a.i32(4, &rank);
  if (rank > 8) a.fail("rank above 8");
  const double* sa = static_cast<double*>(a.array(5, napi_float64_array));
  const double* sb = static_cast<double*>(a.array(6, napi_float64_array));
  int64_t ia[8], ib[8];
  for (size_t d = 0; d < rank; d++) {
    ia[d] = static_cast<int64_t>(sa[d]);
    ib[d] = static_cast<int64_t>(sb[d]);
  }
  dn::binary(static_cast<int>(a.num(0)), a.f32(1), a.f32(2), a.f32(3), shape, ia, ib, static_cast<int>(rank));
})

// reduce(op, x, out, outer, n, inner)
FN(reduce, 6, {
  dn::reduce(static_cast<int>(a.num(0)), a.f32(1), a.f32(2), a.int64(3), a.int64(4), a.int64(5));
})

// transpose(x, out, shape, perm) — 4-byte elements (float32 or int32)
FN(transpose, 4, {
  size_t rank, prank;
  const int32_t* shape = a.i32(2, &rank);
  const int32_t* perm = a.i32(3, &prank);
  if (rank != prank || rank == 0 || rank > 8) a.fail("shape and perm must have the same rank, 1 to 8");
  dn::transpose(a.u32(0), a.u32(1), shape, perm, static_cast<int>(rank));
})

// addN(xs: Float32Array[], out)
FN(addN, 2, {
  uint32_t count;
  napi_get_array_length(env, a.v[0], &count);
  if (count == 0) a.fail("no inputs");
  size_t n;
  float* out = a.f32(1, &n);
  std::vector<const float*> xs(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value el;
    napi_get_element(env, a.v[0], i, &el);
    Args one = a;
    one.v[0] = el;
    size_t len;
    xs[i] = one.f32(0, &len);
    if (len != n) a.fail("inputs differ in length");
  }
  dn::addN(xs.data(), static_cast<int>(count), out, static_cast<int64_t>(n));
})

// softmax(x, y, rows, cols, scale, mask | null, maskPeriod, maskRows)
FN(softmax, 8, {
  dn::softmax(a.f32(0), a.f32(1), a.int64(2), a.int64(3), static_cast<float>(a.num(4)), a.f32OrNull(5), a.int64(6),
              a.int64(7));
})

// softmaxGrad(y, dy, dx, rows, cols, scale)
FN(softmaxGrad, 6, { dn::softmaxGrad(a.f32(0), a.f32(1), a.f32(2), a.int64(3), a.int64(4), static_cast<float>(a.num(5))); })

// softmaxCrossEntropy(logits, labels, loss, probs) and softmaxCrossEntropyGrad(probs, labels, scale, dx)
FN(softmaxCrossEntropy, 4, {
  size_t rows, n;
  const int32_t* labels = a.i32(1, &rows);
  const float* z = a.f32(0, &n);
  const int64_t cols = rows ? static_cast<int64_t>(n / rows) : 0;
  if (static_cast<int64_t>(rows) * cols != static_cast<int64_t>(n)) a.fail("logits are not rows × columns for the labels given");
  dn::softmaxCrossEntropy(z, labels, a.f32n(2, rows), a.f32n(3, n), static_cast<int64_t>(rows), cols);
})
FN(softmaxCrossEntropyGrad, 4, {
  size_t rows, n;
  const int32_t* labels = a.i32(1, &rows);
  const float* p = a.f32(0, &n);
  const int64_t cols = rows ? static_cast<int64_t>(n / rows) : 0;
  dn::softmaxCrossEntropyGrad(p, labels, static_cast<float>(a.num(2)), a.f32n(3, n), static_cast<int64_t>(rows), cols);
})

// layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, eps)
FN(layerNorm, 9, {
  dn::layerNorm(a.f32(0), a.f32(1), a.f32(2), a.f32(3), a.f32(4), a.f32(5), a.int64(6), a.int64(7),
                static_cast<float>(a.num(8)));
})

// layerNormGrad(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, cols)
FN(layerNormGrad, 10, {
  dn::layerNormGrad(a.f32(0), a.f32(1), a.f32(2), a.f32(3), a.f32(4), a.f32(5), a.f32(6), a.f32(7), a.int64(8), a.int64(9));
})

// batchNormForward(x, gamma, beta, y, mean, var, rstd, rows, cols, eps)
FN(batchNormForward, 10, {
  dn::batchNormForward(a.f32(0), a.f32(1), a.f32(2), a.f32(3), a.f32(4), a.f32(5), a.f32(6), a.int64(7), a.int64(8),
                       static_cast<float>(a.num(9)));
})
// batchNormBackward(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, cols)
FN(batchNormBackward, 10, {
  dn::batchNormBackward(a.f32(0), a.f32(1), a.f32(2), a.f32(3), a.f32(4), a.f32(5), a.f32(6), a.f32(7), a.int64(8),
                        a.int64(9));
})

// gelu(x, y)
FN(gelu, 2, {
  size_t n;
  const float* x = a.f32(0, &n);
  dn::gelu(x, a.f32n(1, n), static_cast<int64_t>(n));
})

// geluGrad(x, dy, dx)
FN(geluGrad, 3, {
  size_t n;
  const float* x = a.f32(0, &n);
  dn::geluGrad(x, a.f32n(1, n), a.f32n(2, n), static_cast<int64_t>(n));
})

// dropoutMask(x, y, keep: Uint8Array, rate, seed) and dropoutGrad(dy, keep, dx, rate)
FN(dropoutMask, 5, {
  size_t n;
  const float* x = a.f32(0, &n);
  dn::dropoutMask(x, a.f32n(1, n), a.u8n(2, n), static_cast<int64_t>(n), static_cast<float>(a.num(3)), static_cast<uint64_t>(a.num(4)));
})
FN(dropoutGrad, 4, {
  size_t n;
  const float* dy = a.f32(0, &n);
  dn::dropoutGrad(dy, a.u8n(1, n), a.f32n(2, n), static_cast<int64_t>(n), static_cast<float>(a.num(3)));
})

// attentionForward(q, k, v, mask | null, ctx, probs, keep, B, L, H, D, scale, rate, seed)
FN(attentionForward, 14, {
  dn::attentionForward(a.f32(0), a.f32(1), a.f32(2), a.f32OrNull(3), a.f32(4), a.f32(5), a.u8(6), a.int64(7), a.int64(8),
                       a.int64(9), a.int64(10), static_cast<float>(a.num(11)), static_cast<float>(a.num(12)),
                       static_cast<uint64_t>(a.num(13)));
})
// attentionBackward(q, k, v, probs, keep, dctx, dq, dk, dv, B, L, H, D, scale, rate)
FN(attentionBackward, 15, {
  dn::attentionBackward(a.f32(0), a.f32(1), a.f32(2), a.f32(3), a.u8(4), a.f32(5), a.f32(6), a.f32(7), a.f32(8), a.int64(9),
                        a.int64(10), a.int64(11), a.int64(12), static_cast<float>(a.num(13)), static_cast<float>(a.num(14)));
})

// The encoder layer's dimensions from [B, L, W, heads, F] (argument i) and the rates and eps after it.
dn::EncoderDims encoderDims(const Args& a, size_t i) {
  size_t n;
  const int32_t* s = a.i32(i, &n);
  if (n != 5) a.fail("dims must be [B, L, width, heads, FFN width]");
  dn::EncoderDims d{s[0], s[1], s[2], s[3], s[4], static_cast<float>(a.num(i + 1)), static_cast<float>(a.num(i + 2)), static_cast<float>(a.num(i + 3))};
  if (d.B < 0 || d.L < 0 || d.W < 1 || d.heads < 1 || d.F < 1 || d.W % d.heads != 0) a.fail("bad dims");
  return d;
}

std::vector<int64_t> encoderParamSizes(const dn::EncoderDims& d) {
  const int64_t W = d.W, F = d.F;
  return {W * W, W, W * W, W, W * W, W, W * W, W, W, W, W * F, F, F * W, W, W, W};
}

// encoderForward(h, params[16], mask | null, y, save, keep, dims, attnRate, hiddenRate, eps, seedAttn, seedAttnOut, seedOut)
FN(encoderForward, 13, {
  const dn::EncoderDims d = encoderDims(a, 6);
  const int64_t NW = d.B * d.L * d.W;
  const std::vector<float*> p = a.f32list(1, encoderParamSizes(d));
  const float* mask = nullptr;
  if (!a.isNull(2)) {
    size_t len;
    mask = a.f32(2, &len);
    if (static_cast<int64_t>(len) != d.B * d.L) a.fail("mask must hold B·L values");
  }
  dn::encoderForward(d, a.f32n(0, NW), p.data(), mask, a.f32n(3, NW), a.f32n(4, dn::encoderSaveFloats(d)),
                     a.u8n(5, dn::encoderSaveBytes(d)), static_cast<uint64_t>(a.num(10)), static_cast<uint64_t>(a.num(11)),
                     static_cast<uint64_t>(a.num(12)));
})
// encoderBackward(h, params[16], dy, save, keep, dh, grads[16], dims, attnRate, hiddenRate, eps)
FN(encoderBackward, 11, {
  const dn::EncoderDims d = encoderDims(a, 7);
  const int64_t NW = d.B * d.L * d.W;
  const std::vector<int64_t> sizes = encoderParamSizes(d);
  const std::vector<float*> p = a.f32list(1, sizes), g = a.f32list(6, sizes);
  dn::encoderBackward(d, a.f32n(0, NW), p.data(), a.f32n(2, NW), a.f32n(3, dn::encoderSaveFloats(d)),
                      a.u8n(4, dn::encoderSaveBytes(d)), a.f32n(5, NW), g.data());
})

// gatherRows(table, ids, out, dim) and scatterAddRows(dy, ids, out, dim)
FN(gatherRows, 4, {
  size_t tlen, count;
  const float* table = a.f32(0, &tlen);
  const int32_t* ids = a.i32(1, &count);
  const int64_t dim = a.int64(3);
  dn::gatherRows(table, ids, a.f32(2), static_cast<int64_t>(count), dim, dim ? static_cast<int64_t>(tlen) / dim : 0);
})
FN(scatterAddRows, 4, {
  size_t olen, count;
  const int32_t* ids = a.i32(1, &count);
  float* out = a.f32(2, &olen);
  const int64_t dim = a.int64(3);
  dn::scatterAddRows(a.f32(0), ids, out, static_cast<int64_t>(count), dim, dim ? static_cast<int64_t>(olen) / dim : 0);
})

// biasRows(out, bias, rows, cols)
FN(biasRows, 4, { dn::biasRows(a.f32(0), a.f32(1), a.int64(2), a.int64(3)); })

// conv1dForward(x, w, bias, y, B, L, C, K, O) and conv1dBackward(x, w, dy, dx, dw, db, B, L, C, K, O)
FN(conv1dForward, 9, {
  dn::conv1dForward(a.f32(0), a.f32(1), a.f32(2), a.f32(3), a.int64(4), a.int64(5), a.int64(6), a.int64(7), a.int64(8));
})
FN(conv1dBackward, 11, {
  dn::conv1dBackward(a.f32(0), a.f32(1), a.f32(2), a.f32(3), a.f32(4), a.f32(5), a.int64(6), a.int64(7), a.int64(8),
                     a.int64(9), a.int64(10));
})

// embedConv1dForward(ids, e, w, bias, y, B, L, V, D, K, O), embedConv1dBackward(ids, e, w, dy, de, dw, db, B, L, V, D, K, O)
FN(embedConv1dForward, 11, {
  dn::embedConv1dForward(a.i32(0), a.f32(1), a.f32(2), a.f32(3), a.f32(4), a.int64(5), a.int64(6), a.int64(7), a.int64(8),
                         a.int64(9), a.int64(10));
})
FN(embedConv1dBackward, 13, {
  dn::embedConv1dBackward(a.i32(0), a.f32(1), a.f32(2), a.f32(3), a.f32(4), a.f32(5), a.f32(6), a.int64(7), a.int64(8),
                          a.int64(9), a.int64(10), a.int64(11), a.int64(12));
})

// maxPool(x, y, argmax, B, L, C, size) and maxPoolGrad(dy, argmax, dx)
FN(maxPool, 7, { dn::maxPool(a.f32(0), a.f32(1), a.i32(2), a.int64(3), a.int64(4), a.int64(5), a.int64(6)); })
FN(maxPoolGrad, 3, {
  size_t count;
  const float* dy = a.f32(0, &count);
  dn::maxPoolGrad(dy, a.i32(1), a.f32(2), static_cast<int64_t>(count));
})

// adamw(p, g, m, v, lr, b1, b2, eps, bc1, bc2, decay) — updates p, m and v in place
FN(adamw, 11, {
  size_t n;
  float* p = a.f32(0, &n);
  dn::adamw(p, a.f32n(1, n), a.f32n(2, n), a.f32n(3, n), static_cast<int64_t>(n), static_cast<float>(a.num(4)),
            static_cast<float>(a.num(5)), static_cast<float>(a.num(6)), static_cast<float>(a.num(7)),
            static_cast<float>(a.num(8)), static_cast<float>(a.num(9)), static_cast<float>(a.num(10)));
})

napi_value info(napi_env env, napi_callback_info) {
  napi_value obj, threads, blas;
  napi_create_object(env, &obj);
  napi_create_int32(env, dn::threads(), &threads);
  napi_create_string_utf8(env, dn::blasConfig(), NAPI_AUTO_LENGTH, &blas);
  napi_set_named_property(env, obj, "threads", threads);
  napi_set_named_property(env, obj, "blas", blas);
  return obj;
}

// Enumerable and writable, so profilers (bench/profile.ts) can wrap them.
constexpr napi_property_attributes kMethod = static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable);

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
#define P(name) {#name, nullptr, name, nullptr, nullptr, nullptr, kMethod, nullptr}
      P(gemmBatched), P(unary),         P(binary),     P(reduce),     P(transpose), P(addN),
      P(softmax),     P(softmaxGrad),   P(layerNorm),  P(layerNormGrad), P(batchNormForward), P(batchNormBackward), P(gelu),   P(geluGrad),
      P(dropoutMask), P(dropoutGrad), P(attentionForward), P(attentionBackward), P(encoderForward), P(encoderBackward), P(softmaxCrossEntropy), P(softmaxCrossEntropyGrad), P(gatherRows),    P(scatterAddRows), P(biasRows),       P(conv1dForward), P(conv1dBackward), P(embedConv1dForward), P(embedConv1dBackward), P(maxPool), P(maxPoolGrad),   P(adamw),      P(info),
#undef P
  };
  napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
