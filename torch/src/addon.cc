// N-API bindings of the `torch` TensorFlow.js backend (lib/torch/): tensors are at::Tensor handles on
// one device (CPU or CUDA), kernels are ATen calls, and the fused ops of lib/models/ops.ts run their
// forward pass under autograd so that their backward is ATen's own (one call each way).
//
// JavaScript sees a tensor as an external value wrapping a Holder. Every function checks its
// arguments and turns a C++ or ATen error into a JavaScript exception naming the function.
#include <node_api.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>
#include <ATen/core/PhiloxRNGEngine.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/cuda.h>
#include <torch/version.h>

#if defined(DNABERT_CUDA_STATS)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "../../native/src/adamw.h"

#if TORCH_VERSION_MAJOR >= 2
#define DNABERT_HAS_SDPA 1
#else
#define DNABERT_HAS_SDPA 0
#endif

namespace {

/** A tensor as JavaScript holds it. `t` never requires grad; a fused op recorded for a gradient
 * also keeps its graph output and the leaves its backward differentiates with respect to. */
struct Holder {
  at::Tensor t;
  at::Tensor graphOut;
  std::vector<at::Tensor> leaves;
};

struct State {
  c10::Device device{c10::kCPU};
  bool bf16 = false;
  /** CPU tensors come from the caching allocator (CpuCache below). */
  bool cpuCache = false;
  int64_t live = 0;
} state;

[[noreturn]] void fail(const std::string& fn, const std::string& msg) { throw std::invalid_argument(fn + ": " + msg); }

/** Fails on the first index check deferred since the last read (indexIds below), if any failed. */
void settleIdChecks();

/** A float32 tensor that is the whole of a storage no other tensor shares, so it can be updated in place
 * with nothing else seeing the change (running statistics, gradient sums, parameters and their moments). */
bool ownsStorage(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat && t.is_contiguous() && t.storage().use_count() == 1 && t.storage_offset() == 0 &&
         t.numel() == static_cast<int64_t>(t.storage().nbytes() / sizeof(float));
}

void finalize(napi_env, void* data, void*) {
  auto* h = static_cast<Holder*>(data);
  if (h->t.defined()) state.live--;
  delete h;
}

/** A JavaScript handle owning `h` (freed with it, or earlier by `free`). */
napi_value wrapHolder(napi_env env, Holder* h) {
  state.live++;
  napi_value out;
  napi_create_external(env, h, finalize, nullptr, &out);
  return out;
}

napi_value wrap(napi_env env, at::Tensor t) {
  // JavaScript's dtypes: float32, int32, bool
  if (t.scalar_type() == at::kLong) t = t.to(at::kInt);
  else if (t.scalar_type() == at::kDouble || t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
  return wrapHolder(env, new Holder{std::move(t), {}, {}});
}

at::ScalarType dtypeOf(const std::string& fn, const std::string& d) {
  if (d == "float32") return at::kFloat;
  if (d == "int32") return at::kInt;
  if (d == "bool") return at::kBool;
  fail(fn, "dtype '" + d + "' is not supported (float32, int32 or bool)");
}

const char* dtypeName(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return "float32";
    case at::kInt: return "int32";
    case at::kBool: return "bool";
    default: return "unsupported";
  }
}

struct Call {
  napi_env env;
  std::string fn;
  napi_value v[40];
  size_t n = 40;

  Call(napi_env e, napi_callback_info info, const char* name) : env(e), fn(name) { napi_get_cb_info(e, info, &n, v, nullptr, nullptr); }

  [[noreturn]] void bad(size_t i, const std::string& what) const { fail(fn, "argument " + std::to_string(i) + " " + what); }
  void need(size_t i) const {
    if (i >= n) fail(fn, "expected at least " + std::to_string(i + 1) + " arguments, got " + std::to_string(n));
  }
  napi_valuetype type(size_t i) const {
    if (i >= n) return napi_undefined;
    napi_valuetype t;
    napi_typeof(env, v[i], &t);
    return t;
  }
  bool isNull(size_t i) const { auto t = type(i); return t == napi_null || t == napi_undefined; }
  Holder* holder(size_t i) const {
    need(i);
    if (type(i) != napi_external) bad(i, "must be a tensor handle");
    void* p;
    napi_get_value_external(env, v[i], &p);
    auto* h = static_cast<Holder*>(p);
    if (!h->t.defined()) bad(i, "is a disposed tensor");
    return h;
  }
  at::Tensor T(size_t i) const { return holder(i)->t; }
  at::Tensor optT(size_t i) const { return isNull(i) ? at::Tensor() : T(i); }
  double D(size_t i) const {
    need(i);
    double d;
    if (napi_get_value_double(env, v[i], &d) != napi_ok) bad(i, "must be a number");
    return d;
  }
  int64_t I(size_t i) const { return static_cast<int64_t>(D(i)); }
  bool B(size_t i) const {
    need(i);
    bool b;
    if (napi_get_value_bool(env, v[i], &b) != napi_ok) bad(i, "must be a boolean");
    return b;
  }
  std::string S(size_t i) const {
    need(i);
    size_t len;
    if (napi_get_value_string_utf8(env, v[i], nullptr, 0, &len) != napi_ok) bad(i, "must be a string");
    std::string s(len, '\0');
    napi_get_value_string_utf8(env, v[i], s.data(), len + 1, &len);
    return s;
  }
  uint32_t length(size_t i) const {
    need(i);
    bool is;
    napi_is_array(env, v[i], &is);
    if (!is) bad(i, "must be an array");
    uint32_t len;
    napi_get_array_length(env, v[i], &len);
    return len;
  }
  std::vector<int64_t> ints(size_t i) const {
    uint32_t len = length(i);
    std::vector<int64_t> out(len);
    for (uint32_t k = 0; k < len; k++) {
      napi_value e;
      napi_get_element(env, v[i], k, &e);
      double d;
      if (napi_get_value_double(env, e, &d) != napi_ok) bad(i, "must be an array of numbers");
      out[k] = static_cast<int64_t>(d);
    }
    return out;
  }
  std::vector<at::Tensor> tensors(size_t i) const {
    uint32_t len = length(i);
    std::vector<at::Tensor> out;
    out.reserve(len);
    for (uint32_t k = 0; k < len; k++) {
      napi_value e;
      napi_get_element(env, v[i], k, &e);
      napi_valuetype t;
      napi_typeof(env, e, &t);
      if (t != napi_external) bad(i, "must be an array of tensor handles");
      void* p;
      napi_get_value_external(env, e, &p);
      auto* h = static_cast<Holder*>(p);
      if (!h->t.defined()) bad(i, "holds a disposed tensor");
      out.push_back(h->t);
    }
    return out;
  }
};

napi_value array(napi_env env, const std::vector<napi_value>& xs) {
  napi_value out;
  napi_create_array_with_length(env, xs.size(), &out);
  for (size_t i = 0; i < xs.size(); i++) napi_set_element(env, out, i, xs[i]);
  return out;
}

napi_value undefinedValue(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

at::TensorOptions opts(at::ScalarType s = at::kFloat) { return at::TensorOptions().dtype(s).device(state.device); }

/** Run `body`, turning exceptions into a JavaScript error named after the function. */
napi_value guarded(napi_env env, napi_callback_info info, const char* name, const std::function<napi_value(Call&)>& body) {
  try {
    Call c(env, info, name);
    return body(c);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    napi_throw_error(env, nullptr, (std::string(name) + ": " + msg.substr(0, 600)).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Tensors in and out

napi_value Create(napi_env env, napi_callback_info info) {
  return guarded(env, info, "create", [](Call& c) {
    c.need(2);
    bool is;
    napi_is_typedarray(c.env, c.v[0], &is);
    if (!is) c.bad(0, "must be a typed array");
    napi_typedarray_type type;
    size_t len;
    void* data;
    napi_get_typedarray_info(c.env, c.v[0], &type, &len, &data, nullptr, nullptr);
    auto shape = c.ints(1);
    at::ScalarType s = dtypeOf(c.fn, c.S(2));
    int64_t numel = 1;
    for (auto d : shape) numel *= d;
    if (static_cast<int64_t>(len) != numel) c.bad(0, "has " + std::to_string(len) + " elements, the shape " + std::to_string(numel));
    const bool ok = (s == at::kFloat && type == napi_float32_array) || (s == at::kInt && type == napi_int32_array) ||
                    (s == at::kBool && (type == napi_uint8_array || type == napi_int8_array));
    if (!ok) c.bad(0, std::string("has the wrong element type for ") + dtypeName(s));
    at::Tensor cpu = numel == 0 ? at::empty(shape, at::TensorOptions().dtype(s)) : at::from_blob(data, shape, at::TensorOptions().dtype(s)).clone();
    return wrap(c.env, state.device.is_cpu() ? cpu : cpu.to(state.device));
  });
}

napi_value Read(napi_env env, napi_callback_info info) {
  return guarded(env, info, "read", [](Call& c) {
    at::Tensor t = c.T(0).to(at::kCPU).contiguous();
    settleIdChecks();
    size_t n = t.numel();
    napi_value buffer, out;
    void* data;
    size_t bytes = n * t.element_size();
    napi_create_arraybuffer(c.env, bytes, &data, &buffer);
    if (bytes) std::memcpy(data, t.data_ptr(), bytes);
    napi_typedarray_type type = t.scalar_type() == at::kFloat ? napi_float32_array : t.scalar_type() == at::kInt ? napi_int32_array : napi_uint8_array;
    if (t.scalar_type() != at::kFloat && t.scalar_type() != at::kInt && t.scalar_type() != at::kBool) fail(c.fn, std::string("cannot read dtype ") + std::string(c10::toString(t.scalar_type())));
    napi_create_typedarray(c.env, type, n, buffer, 0, &out);
    return out;
  });
}

/** [dtype, ...dims] of a handle. */
napi_value Meta(napi_env env, napi_callback_info info) {
  return guarded(env, info, "meta", [](Call& c) {
    at::Tensor t = c.T(0);
    std::vector<napi_value> xs;
    napi_value s;
    napi_create_string_utf8(c.env, dtypeName(t.scalar_type()), NAPI_AUTO_LENGTH, &s);
    xs.push_back(s);
    for (auto d : t.sizes()) {
      napi_value x;
      napi_create_int64(c.env, d, &x);
      xs.push_back(x);
    }
    return array(c.env, xs);
  });
}

napi_value Free(napi_env env, napi_callback_info info) {
  return guarded(env, info, "free", [](Call& c) {
    c.need(0);
    if (c.type(0) != napi_external) c.bad(0, "must be a tensor handle");
    void* p;
    napi_get_value_external(c.env, c.v[0], &p);
    auto* h = static_cast<Holder*>(p);
    if (h->t.defined()) state.live--;
    h->t.reset();
    h->graphOut.reset();
    h->leaves.clear();
    return undefinedValue(c.env);
  });
}

// ---------------------------------------------------------------------------------------------
// Kernels (TensorFlow.js kernel names)

using Unary = std::function<at::Tensor(const at::Tensor&, double)>;
using Binary = std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>;

const std::unordered_map<std::string, Unary>& unaries() {
  static const std::unordered_map<std::string, Unary> m = {
      {"Abs", [](const at::Tensor& x, double) { return at::abs(x); }},
      {"Neg", [](const at::Tensor& x, double) { return at::neg(x); }},
      {"Exp", [](const at::Tensor& x, double) { return at::exp(x); }},
      {"Expm1", [](const at::Tensor& x, double) { return at::expm1(x); }},
      {"Log", [](const at::Tensor& x, double) { return at::log(x); }},
      {"Log1p", [](const at::Tensor& x, double) { return at::log1p(x); }},
      {"Sqrt", [](const at::Tensor& x, double) { return at::sqrt(x); }},
      {"Rsqrt", [](const at::Tensor& x, double) { return at::rsqrt(x); }},
      {"Square", [](const at::Tensor& x, double) { return at::mul(x, x); }},
      {"Relu", [](const at::Tensor& x, double) { return at::relu(x); }},
      {"Relu6", [](const at::Tensor& x, double) { return at::clamp(x, 0, 6); }},
      {"Elu", [](const at::Tensor& x, double) { return at::elu(x); }},
      {"LeakyRelu", [](const at::Tensor& x, double a) { return at::where(x > 0, x, x * a); }},
      {"Softplus", [](const at::Tensor& x, double) { return at::softplus(x); }},
      {"Tanh", [](const at::Tensor& x, double) { return at::tanh(x); }},
      {"Sigmoid", [](const at::Tensor& x, double) { return at::sigmoid(x); }},
      {"Erf", [](const at::Tensor& x, double) { return at::erf(x); }},
      {"Reciprocal", [](const at::Tensor& x, double) { return at::reciprocal(x); }},
      {"Sign", [](const at::Tensor& x, double) { return at::sign(x); }},
      {"Floor", [](const at::Tensor& x, double) { return at::floor(x); }},
      {"Ceil", [](const at::Tensor& x, double) { return at::ceil(x); }},
      {"Round", [](const at::Tensor& x, double) { return at::round(x); }},
      {"Sin", [](const at::Tensor& x, double) { return at::sin(x); }},
      {"Cos", [](const at::Tensor& x, double) { return at::cos(x); }},
      {"IsNan", [](const at::Tensor& x, double) { return at::isnan(x); }},
      {"IsInf", [](const at::Tensor& x, double) { return at::isinf(x); }},
      {"IsFinite", [](const at::Tensor& x, double) { return at::isfinite(x); }},
      {"LogicalNot", [](const at::Tensor& x, double) { return at::logical_not(x); }},
      // TensorFlow.js: NaN stays NaN, x > 0 → 1, else alpha
      {"Step", [](const at::Tensor& x, double a) {
         auto f = x.to(at::kFloat);
         return at::where(at::isnan(f), f, at::where(f > 0, at::ones_like(f), at::full_like(f, a)));
       }},
  };
  return m;
}

const std::unordered_map<std::string, Binary>& binaries() {
  static const std::unordered_map<std::string, Binary> m = {
      {"Add", [](const at::Tensor& a, const at::Tensor& b) { return at::add(a, b); }},
      {"Sub", [](const at::Tensor& a, const at::Tensor& b) { return at::sub(a, b); }},
      {"Multiply", [](const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); }},
      {"RealDiv", [](const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); }},
      {"FloorDiv", [](const at::Tensor& a, const at::Tensor& b) { return at::div(a, b, "floor"); }},
      {"Mod", [](const at::Tensor& a, const at::Tensor& b) { return at::remainder(a, b); }},
      {"Maximum", [](const at::Tensor& a, const at::Tensor& b) { return at::maximum(a, b); }},
      {"Minimum", [](const at::Tensor& a, const at::Tensor& b) { return at::minimum(a, b); }},
      {"Pow", [](const at::Tensor& a, const at::Tensor& b) { return at::pow(a, b); }},
      {"SquaredDifference", [](const at::Tensor& a, const at::Tensor& b) { auto d = at::sub(a, b); return at::mul(d, d); }},
      {"Atan2", [](const at::Tensor& a, const at::Tensor& b) { return at::atan2(a, b); }},
      {"Equal", [](const at::Tensor& a, const at::Tensor& b) { return at::eq(a, b); }},
      {"NotEqual", [](const at::Tensor& a, const at::Tensor& b) { return at::ne(a, b); }},
      {"Less", [](const at::Tensor& a, const at::Tensor& b) { return at::lt(a, b); }},
      {"LessEqual", [](const at::Tensor& a, const at::Tensor& b) { return at::le(a, b); }},
      {"Greater", [](const at::Tensor& a, const at::Tensor& b) { return at::gt(a, b); }},
      {"GreaterEqual", [](const at::Tensor& a, const at::Tensor& b) { return at::ge(a, b); }},
      {"LogicalAnd", [](const at::Tensor& a, const at::Tensor& b) { return at::logical_and(a, b); }},
      {"LogicalOr", [](const at::Tensor& a, const at::Tensor& b) { return at::logical_or(a, b); }},
  };
  return m;
}

/** Matrix product in the configured precision: float32 (TF32 where enabled), or bf16 operands. */
at::Tensor product(const at::Tensor& a, const at::Tensor& b) {
  if (state.bf16 && a.scalar_type() == at::kFloat) return at::matmul(a.to(at::kBFloat16), b.to(at::kBFloat16)).to(at::kFloat);
  return at::matmul(a, b);
}

at::Tensor productPlus(const at::Tensor& bias, const at::Tensor& x, const at::Tensor& w) {
  if (state.bf16) return at::addmm(bias.to(at::kBFloat16), x.to(at::kBFloat16), w.to(at::kBFloat16)).to(at::kFloat);
  return at::addmm(bias, x, w);
}

at::Tensor reduce(const std::string& fn, const std::string& op, at::Tensor x, std::vector<int64_t> axes, bool keep) {
  if (axes.empty()) {
    if (op == "Mean") return x.to(at::kFloat);
    if (op == "Any" || op == "All") return x.to(at::kBool);
    return x.clone();
  }
  int64_t n = 1;
  for (auto a : axes) n *= x.size(a);
  if (n == 0 || x.numel() == 0) {
    std::vector<int64_t> shape;
    for (int64_t d = 0; d < x.dim(); d++) {
      bool r = std::find(axes.begin(), axes.end(), d) != axes.end();
      if (!r) shape.push_back(x.size(d));
      else if (keep) shape.push_back(1);
    }
    const double inf = std::numeric_limits<double>::infinity();
    double init = op == "Sum" ? 0 : op == "Prod" ? 1 : op == "Max" ? -inf : op == "Min" ? inf : op == "All" ? 1 : op == "Any" ? 0 : NAN;
    auto s = op == "Any" || op == "All" ? at::kBool : op == "Mean" ? at::kFloat : x.scalar_type();
    return at::full(shape, init, opts(s));
  }
  if (op == "Sum") return at::sum(x, axes, keep);
  if (op == "Mean") return at::mean(x.to(at::kFloat), axes, keep);
  if (op == "Max") return at::amax(x, axes, keep);
  if (op == "Min") return at::amin(x, axes, keep);
  std::sort(axes.begin(), axes.end());
  at::Tensor y = x;
  for (auto it = axes.rbegin(); it != axes.rend(); ++it) {
    if (op == "Prod") y = at::prod(y, *it, keep);
    else if (op == "Any") y = at::any(y, *it, keep);
    else if (op == "All") y = at::all(y, *it, keep);
    else fail(fn, "unknown reduction " + op);
  }
  return y;
}

/** Check that int ids index a table of `rows` rows (an out-of-range index would abort a CUDA kernel). */
void checkIds(const std::string& fn, const at::Tensor& ids, int64_t rows, const std::string& when = "") {
  if (ids.numel() == 0) return;
  auto mm = at::aminmax(ids);
  int64_t lo = std::get<0>(mm).item<int64_t>(), hi = std::get<1>(mm).item<int64_t>();
  if (lo < 0 || hi >= rows) fail(fn, "index " + std::to_string(lo < 0 ? lo : hi) + " is outside [0, " + std::to_string(rows) + ")" + when);
}

/** Index checks that wait for no device work. On a GPU, reading the ids' range back (checkIds) waits for
 * every kernel queued before it: a host synchronisation in every forward pass. There the kernel gets the ids
 * clamped into range instead (so none aborts it), a flag on the device records whether any was outside, and
 * the next read, which waits for the device anyway, looks at the flags and fails with the call that had the
 * bad index. deferIdChecks(true) takes the same path on the CPU (the tests do). */
struct PendingIds {
  std::string fn;
  at::Tensor ids, bad;
  int64_t rows;
};
std::vector<PendingIds> pendingIds;
bool deferIdChecks = false;

/** Look at the flags of the deferred checks (after a read or a sync: no further wait), and fail on the first. */
void settleIdChecks() {
  if (pendingIds.empty()) return;
  std::vector<PendingIds> pending;
  pending.swap(pendingIds);
  std::vector<at::Tensor> flags;
  for (const auto& p : pending) flags.push_back(p.bad);
  at::Tensor bad = at::stack(flags).to(at::kCPU);
  const bool* b = bad.data_ptr<bool>();
  for (size_t i = 0; i < pending.size(); i++)
    if (b[i]) checkIds(pending[i].fn, pending[i].ids, pending[i].rows, " (checked at the next read: on a GPU, indices are checked without waiting for the device)");
}

/** `ids` as int64 indices into `rows` rows: checked now on the CPU; on a GPU, checked at the next read. */
at::Tensor indexIds(const std::string& fn, const at::Tensor& ids, int64_t rows) {
  at::Tensor l = ids.to(at::kLong);
  if (ids.numel() == 0 || !(ids.is_cuda() || deferIdChecks)) {
    checkIds(fn, ids, rows);
    return l;
  }
  if (pendingIds.size() >= 1024) settleIdChecks();  // code that never reads: wait once every 1024 checks
  at::Tensor safe = l.clamp(0, rows - 1);
  pendingIds.push_back({fn, ids, safe.ne(l).any(), rows});
  return safe;
}

/** Running sum or product along `axis`; exclusive: each element leaves itself out; reverse: from the end. */
at::Tensor cumulative(at::Tensor x, int64_t axis, bool exclusive, bool reverse, bool product) {
  if (reverse) x = x.flip({axis});
  int64_t n = x.size(axis);
  if (exclusive && n > 0) {
    std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
    shape[axis] = 1;
    x = at::cat({at::full(shape, product ? 1 : 0, x.options()), x.narrow(axis, 0, n - 1)}, axis);
  }
  at::Tensor y = product ? at::cumprod(x, axis) : at::cumsum(x, axis);
  if (y.scalar_type() != x.scalar_type()) y = y.to(x.scalar_type());
  return reverse ? y.flip({axis}) : y;
}

using Kernel = std::function<napi_value(Call&)>;

const std::unordered_map<std::string, Kernel>& kernels() {
  static const std::unordered_map<std::string, Kernel> m = {
      {"Reshape", [](Call& c) { return wrap(c.env, c.T(1).reshape(c.ints(2))); }},
      {"Cast", [](Call& c) { return wrap(c.env, c.T(1).to(dtypeOf(c.fn, c.S(2)))); }},
      {"Fill", [](Call& c) { return wrap(c.env, at::full(c.ints(1), c.D(2), opts(dtypeOf(c.fn, c.S(3))))); }},
      {"Transpose", [](Call& c) { return wrap(c.env, c.T(1).permute(c.ints(2)).contiguous()); }},
      {"Slice", [](Call& c) {
         at::Tensor x = c.T(1);
         auto begin = c.ints(2), size = c.ints(3);
         for (int64_t d = 0; d < x.dim(); d++) {
           int64_t s = size[d] < 0 ? x.size(d) - begin[d] : size[d];
           x = x.narrow(d, begin[d], s);
         }
         return wrap(c.env, x);
       }},
      {"StridedSlice", [](Call& c) {
         at::Tensor x = c.T(1);
         auto begin = c.ints(2), end = c.ints(3), strides = c.ints(4);
         for (int64_t d = 0; d < x.dim() && d < static_cast<int64_t>(begin.size()); d++) x = x.slice(d, begin[d], end[d], strides[d]);
         return wrap(c.env, x.contiguous());
       }},
      {"Concat", [](Call& c) { return wrap(c.env, at::cat(c.tensors(1), c.I(2))); }},
      {"Pack", [](Call& c) { return wrap(c.env, at::stack(c.tensors(1), c.I(2))); }},
      {"Unpack", [](Call& c) {
         std::vector<napi_value> out;
         for (auto& t : at::unbind(c.T(1), c.I(2))) out.push_back(wrap(c.env, t));
         return array(c.env, out);
       }},
      {"Tile", [](Call& c) { return wrap(c.env, c.T(1).repeat(c.ints(2))); }},
      {"PadV2", [](Call& c) {
         auto p = c.ints(2);  // [before0, after0, before1, after1, ...]
         std::vector<int64_t> pads;
         for (int64_t d = static_cast<int64_t>(p.size()) / 2 - 1; d >= 0; d--) {
           pads.push_back(p[2 * d]);
           pads.push_back(p[2 * d + 1]);
         }
         return wrap(c.env, at::constant_pad_nd(c.T(1), pads, c.D(3)));
       }},
      {"GatherV2", [](Call& c) {
         at::Tensor x = c.T(1), ids = c.T(2);
         int64_t axis = c.I(3);
         std::vector<int64_t> shape(x.sizes().begin(), x.sizes().begin() + axis);
         for (auto d : ids.sizes()) shape.push_back(d);
         for (int64_t d = axis + 1; d < x.dim(); d++) shape.push_back(x.size(d));
         return wrap(c.env, at::index_select(x, axis, indexIds(c.fn, ids, x.size(axis)).reshape({-1})).reshape(shape));
       }},
      {"UnsortedSegmentSum", [](Call& c) {
         at::Tensor x = c.T(1), ids = c.T(2);
         int64_t num = c.I(3);
         at::Tensor index = indexIds(c.fn, ids, num).reshape({-1});
         std::vector<int64_t> rest(x.sizes().begin() + ids.dim(), x.sizes().end());
         std::vector<int64_t> shape{num};
         shape.insert(shape.end(), rest.begin(), rest.end());
         std::vector<int64_t> flat{ids.numel()};
         flat.insert(flat.end(), rest.begin(), rest.end());
         return wrap(c.env, at::zeros(shape, opts(x.scalar_type())).index_add_(0, index, x.reshape(flat)));
       }},
      {"ScatterNd", [](Call& c) {
         at::Tensor idx = c.T(1).to(at::kLong), upd = c.T(2);
         auto shape = c.ints(3);
         at::Tensor out = at::zeros(shape, opts(upd.scalar_type()));
         int64_t k = idx.size(-1);
         auto flat = idx.reshape({-1, k});
         c10::List<c10::optional<at::Tensor>> index;
         for (int64_t j = 0; j < k; j++) index.push_back(flat.select(1, j));
         std::vector<int64_t> rest(shape.begin() + k, shape.end());
         std::vector<int64_t> ushape{flat.size(0)};
         ushape.insert(ushape.end(), rest.begin(), rest.end());
         out.index_put_(index, upd.reshape(ushape), true);
         return wrap(c.env, out);
       }},
      {"Select", [](Call& c) {
         at::Tensor cond = c.T(1), a = c.T(2), b = c.T(3);
         if (cond.dim() == 1 && a.dim() > 1) {
           std::vector<int64_t> shape(a.dim(), 1);
           shape[0] = cond.size(0);
           cond = cond.reshape(shape);
         }
         return wrap(c.env, at::where(cond.to(at::kBool), a, b));
       }},
      {"ClipByValue", [](Call& c) { return wrap(c.env, at::clamp(c.T(1), c.D(2), c.D(3))); }},
      {"Softmax", [](Call& c) { return wrap(c.env, at::softmax(c.T(1), c.I(2))); }},
      {"AddN", [](Call& c) {
         auto xs = c.tensors(1);
         if (xs.empty()) fail(c.fn, "needs at least one tensor");
         at::Tensor y = xs[0].clone();
         for (size_t i = 1; i < xs.size(); i++) y.add_(xs[i]);
         return wrap(c.env, y);
       }},
      {"OneHot", [](Call& c) {
         at::Tensor idx = c.T(1).to(at::kLong);
         int64_t depth = c.I(2);
         auto hot = idx.unsqueeze(-1) == at::arange(depth, opts(at::kLong));
         auto s = dtypeOf(c.fn, c.S(5));
         return wrap(c.env, at::where(hot, at::scalar_tensor(c.D(3), opts(s)), at::scalar_tensor(c.D(4), opts(s))));
       }},
      {"BatchMatMul", [](Call& c) {
         at::Tensor a = c.T(1), b = c.T(2);
         if (c.B(3)) a = a.transpose(-2, -1);
         if (c.B(4)) b = b.transpose(-2, -1);
         return wrap(c.env, product(a, b));
       }},
      {"_FusedMatMul", [](Call& c) {
         at::Tensor a = c.T(1), b = c.T(2), bias = c.optT(3);
         if (c.B(4)) a = a.transpose(-2, -1);
         if (c.B(5)) b = b.transpose(-2, -1);
         at::Tensor y = product(a, b);
         if (bias.defined()) y = y + bias;
         std::string act = c.S(6);
         if (act == "relu") y = at::relu(y);
         else if (act == "relu6") y = at::clamp(y, 0, 6);
         else if (act == "elu") y = at::elu(y);
         else if (act == "sigmoid") y = at::sigmoid(y);
         else if (act == "leakyrelu") y = at::where(y > 0, y, y * c.D(7));
         else if (act != "linear" && !act.empty()) fail(c.fn, "activation '" + act + "' is not supported");
         return wrap(c.env, y);
       }},
      // Cumsum / Cumprod (x, axis, exclusive, reverse)
      {"Cumsum", [](Call& c) { return wrap(c.env, cumulative(c.T(1), c.I(2), c.B(3), c.B(4), false)); }},
      {"Cumprod", [](Call& c) { return wrap(c.env, cumulative(c.T(1), c.I(2), c.B(3), c.B(4), true)); }},
      {"ArgMax", [](Call& c) { return wrap(c.env, at::argmax(c.T(1), c.I(2))); }},
      {"ArgMin", [](Call& c) { return wrap(c.env, at::argmin(c.T(1), c.I(2))); }},
  };
  return m;
}

/** op(kernelName, ...args): one TensorFlow.js kernel. Unary: (x, alpha); binary: (a, b);
 * reductions: (x, axes, keepDims); others as in kernels(). */
napi_value Op(napi_env env, napi_callback_info info) {
  return guarded(env, info, "op", [](Call& c) {
    std::string name = c.S(0);
    c.fn = name;
    at::NoGradGuard noGrad;
    if (auto u = unaries().find(name); u != unaries().end()) return wrap(c.env, u->second(c.T(1), c.isNull(2) ? 0.0 : c.D(2)));
    if (auto b = binaries().find(name); b != binaries().end()) {
      at::Tensor x = c.T(1), y = c.T(2);
      return wrap(c.env, b->second(x, y));
    }
    if (name == "Sum" || name == "Mean" || name == "Prod" || name == "Max" || name == "Min" || name == "Any" || name == "All")
      return wrap(c.env, reduce(c.fn, name, c.T(1), c.ints(2), c.B(3)));
    auto k = kernels().find(name);
    if (k == kernels().end()) fail(name, "no such kernel in the torch addon");
    return k->second(c);
  });
}

// ---------------------------------------------------------------------------------------------
// Fused ops: the forward under autograd (when a gradient is wanted), the backward by autograd.

struct Recorder {
  bool grad;
  Holder* h = new Holder();
  explicit Recorder(bool g) : grad(g) {}
  /** A float input the backward differentiates with respect to. */
  at::Tensor leaf(const at::Tensor& t) {
    if (!grad) return t;
    at::Tensor l = t.detach().requires_grad_(true);
    h->leaves.push_back(l);
    return l;
  }
  napi_value finish(napi_env env, const at::Tensor& out) {
    h->t = out.detach();
    if (grad) h->graphOut = out;
    else h->leaves.clear();
    return wrapHolder(env, h);
  }
};

/** Set the device's default generator to `seed` (dropout masks reproducible from the seed). */
void seedDefault(double seed) {
  auto gen = at::globalContext().defaultGenerator(state.device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(static_cast<uint64_t>(seed));
}

/**
 * Inverted dropout's mask for x: 1/(1 − rate) with probability 1 − rate, else 0, drawn from the seed alone.
 * On the CPU one pass of Philox (at::philox_engine, the counter-based generator of CUDA's dropout), one
 * subsequence per fixed chunk of elements, so the mask is the same at any thread count; ATen's CPU
 * bernoulli_ would draw a 64-bit Mersenne-Twister number per element and take a second pass to scale. On a
 * GPU: bernoulli_ under the default generator set to the seed.
 */
at::Tensor dropoutMask(const at::Tensor& x, double rate, double seed) {
  if (!x.device().is_cpu()) {
    seedDefault(seed);
    return at::empty_like(x).bernoulli_(1.0 - rate).div_(1.0 - rate);
  }
  at::Tensor mask = at::empty(x.sizes(), x.options().dtype(at::kFloat));
  float* out = mask.data_ptr<float>();
  const int64_t n = mask.numel();
  const float scale = 1.0f / static_cast<float>(1.0 - rate);
  const uint64_t threshold = static_cast<uint64_t>(std::llround((1.0 - rate) * 4294967296.0));
  const uint64_t key = static_cast<uint64_t>(seed);
  // threads only from ATen's own grain size on (smaller masks are not worth waking the pool for)
  constexpr int64_t kChunk = 1 << 14, kGrain = (at::internal::GRAIN_SIZE + kChunk - 1) / kChunk;
  at::parallel_for(0, (n + kChunk - 1) / kChunk, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; c++) {
      at::philox_engine draw(key, static_cast<uint64_t>(c));
      for (int64_t i = c * kChunk, last = std::min(n, i + kChunk); i < last; i++) out[i] = draw() < threshold ? scale : 0.0f;
    }
  });
  return mask;
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask, int64_t heads, double rate, double seed) {
  int64_t B = q.size(0), L = q.size(1), HD = q.size(2), D = HD / heads;
  auto split = [&](const at::Tensor& x) { return x.view({B, L, heads, D}).transpose(1, 2); };
  at::Tensor qh = split(q), kh = split(k), vh = split(v);
  at::Tensor ctx;
  if (rate > 0) seedDefault(seed);
#if DNABERT_HAS_SDPA
  if (state.bf16) {
    ctx = at::scaled_dot_product_attention(qh.to(at::kBFloat16), kh.to(at::kBFloat16), vh.to(at::kBFloat16), mask.defined() ? c10::optional<at::Tensor>(mask.to(at::kBFloat16)) : c10::nullopt, rate).to(at::kFloat);
  } else {
    ctx = at::scaled_dot_product_attention(qh, kh, vh, mask.defined() ? c10::optional<at::Tensor>(mask) : c10::nullopt, rate);
  }
#else
  at::Tensor scores = product(qh, kh.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(D)));
  if (mask.defined()) scores = scores + mask;
  at::Tensor probs = at::softmax(scores, -1);
  if (rate > 0) probs = probs * dropoutMask(probs, rate, seed);
  ctx = product(probs, vh);
#endif
  return ctx.transpose(1, 2).reshape({B, L, HD});
}

/** x [..., in] · w [in, out] (+ b [out]): the leading axes flattened into one addmm and restored. */
at::Tensor linearNd(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  at::Tensor x2 = x.dim() == 2 ? x : x.reshape({-1, shape.back()});
  at::Tensor out = !b.defined() ? (state.bf16 ? at::mm(x2.to(at::kBFloat16), w.to(at::kBFloat16)).to(at::kFloat) : at::mm(x2, w)) : productPlus(b, x2, w);
  if (x.dim() == 2) return out;
  shape.back() = w.size(1);
  return out.reshape(shape);
}

/** Inverted dropout of x with the mask dropoutMask draws (nothing when rate is 0). */
at::Tensor dropped(const at::Tensor& x, double rate, double seed) {
  if (rate <= 0) return x;
  at::Tensor keep;
  {
    at::NoGradGuard ng;
    keep = dropoutMask(x, rate, seed);
  }
  return x * keep;
}

/**
 * One BERT encoder layer (post-LayerNorm, as Hugging Face's BertLayer) on h [B, L, H], with the same
 * ops and dropout masks as lib/models/dnabert.ts composes from the single fused ops. p: query W, b;
 * key W, b; value W, b; attention output W, b; its LayerNorm γ, β; intermediate W, b; output W, b;
 * its LayerNorm γ, β (weights [in, out]).
 */
at::Tensor encoderLayer(const at::Tensor& h, const std::vector<at::Tensor>& p, const at::Tensor& mask, int64_t heads, double attnRate, double hiddenRate, double eps, double seedAttn, double seedAttnOut, double seedOut) {
  int64_t H = h.size(-1);
  at::Tensor ctx = attention(linearNd(h, p[0], p[1]), linearNd(h, p[2], p[3]), linearNd(h, p[4], p[5]), mask, heads, attnRate, seedAttn);
  at::Tensor attn = at::layer_norm(dropped(linearNd(ctx, p[6], p[7]), hiddenRate, seedAttnOut) + h, {H}, p[8], p[9], eps);
  at::Tensor inter = at::gelu(linearNd(attn, p[10], p[11]));
  return at::layer_norm(dropped(linearNd(inter, p[12], p[13]), hiddenRate, seedOut) + attn, {H}, p[14], p[15], eps);
}

/** conv1d of channels-first x [B, C, L] with w [K·C, O] (row k·C + c is PyTorch's weight[o, c, k]) and
 * b [O], in PyTorch's own layout: the result is [B, O, L−K+1]. */
at::Tensor conv1dOfChannelsFirst(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, int64_t K) {
  int64_t C = x.size(1), O = w.size(1);
  // made contiguous: the CNN step took 36–39 ms against 38–44 ms with the strided view (bench/calls.ts cnn, 5 runs each)
  at::Tensor weight = w.view({K, C, O}).permute({2, 1, 0}).contiguous();
  if (state.bf16) return at::conv1d(x.to(at::kBFloat16), weight.to(at::kBFloat16), b.to(at::kBFloat16)).to(at::kFloat);
  return at::conv1d(x, weight, b);
}

/** conv1d of x [B, L, C] → [B, L−K+1, O] (see conv1dOfChannelsFirst). */
at::Tensor conv1d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, int64_t K) {
  return conv1dOfChannelsFirst(x.transpose(1, 2), w, b, K).transpose(1, 2).contiguous();
}

napi_value Fused(napi_env env, napi_callback_info info) {
  return guarded(env, info, "fused", [](Call& c) {
    std::string name = c.S(0);
    c.fn = name;
    Recorder r(c.B(1));
    std::unique_ptr<Holder> own(r.h);
    at::Tensor out;
    std::vector<napi_value> extra;
    {
      c10::AutoGradMode mode(r.grad);
      if (name == "linear") {
        // x [..., in]: the leading axes are flattened and restored here, inside the recorded graph, so a
        // [B, L, H] activation costs no reshape calls of its own (forward or backward)
        at::Tensor x = r.leaf(c.T(2)), w = r.leaf(c.T(3));
        if (x.dim() < 2) fail(c.fn, "linear: the input needs at least 2 axes");
        out = linearNd(x, w, c.isNull(4) ? at::Tensor() : r.leaf(c.T(4)));
      } else if (name == "layerNorm") {
        at::Tensor x = r.leaf(c.T(2)), g = r.leaf(c.T(3)), b = r.leaf(c.T(4));
        out = at::layer_norm(x, {x.size(-1)}, g, b, c.D(5));
      } else if (name == "gelu") {
        out = at::gelu(r.leaf(c.T(2)));
      } else if (name == "maskedSoftmax") {
        at::Tensor s = r.leaf(c.T(2)) * c.D(3);
        at::Tensor mask = c.optT(4);
        out = at::softmax(mask.defined() ? s + mask : s, -1);
      } else if (name == "dropout") {
        out = dropped(r.leaf(c.T(2)), c.D(3), c.D(4));
      } else if (name == "attention") {
        at::Tensor q = r.leaf(c.T(2)), k = r.leaf(c.T(3)), v = r.leaf(c.T(4));
        out = attention(q, k, v, c.optT(5), c.I(6), c.D(7), c.D(8));
      } else if (name == "encoderLayer") {
        // h, then the layer's 16 parameters in encoderLayerParams' order (lib/torch/ops.ts)
        at::Tensor h = r.leaf(c.T(2));
        std::vector<at::Tensor> p;
        for (size_t i = 0; i < 16; i++) p.push_back(r.leaf(c.T(3 + i)));
        out = encoderLayer(h, p, c.optT(19), c.I(20), c.D(21), c.D(22), c.D(23), c.D(24), c.D(25), c.D(26));
      } else if (name == "embedding") {
        at::Tensor table = r.leaf(c.T(2)), ids = c.T(3);
        out = at::embedding(table, indexIds(c.fn, ids, table.size(0)));
      } else if (name == "conv1d") {
        at::Tensor x = r.leaf(c.T(2)), w = r.leaf(c.T(3)), b = r.leaf(c.T(4));
        out = conv1d(x, w, b, c.I(5));
      } else if (name == "embeddingConv1d") {
        at::Tensor ids = c.T(2), table = r.leaf(c.T(3)), w = r.leaf(c.T(4)), b = r.leaf(c.T(5));
        out = conv1d(at::embedding(table, indexIds(c.fn, ids, table.size(0))), w, b, c.I(6));
      } else if (name == "maxPool1d") {
        at::Tensor x = r.leaf(c.T(2));
        int64_t size = c.I(3);
        out = at::max_pool1d(x.transpose(1, 2), {size}, {size}).transpose(1, 2).contiguous();
      } else if (name == "convStack") {
        // the CNN's stack (lib/models/ops.ts convStack): ids, table, then w, b, γ, β per layer; K, pool, eps,
        // momentum, training, in place; then each layer's running mean and variance
        if (c.n < 16 || (c.n - 10) % 6 != 0) fail(c.fn, "convStack: expected 10 + 6 per layer arguments, got " + std::to_string(c.n));
        size_t layers = (c.n - 10) / 6, s = 4 + 4 * layers;
        at::Tensor table = r.leaf(c.T(3)), ids = indexIds(c.fn, c.T(2), table.size(0));
        int64_t K = c.I(s), pool = c.I(s + 1);
        double eps = c.D(s + 2), momentum = c.D(s + 3);
        bool training = c.D(s + 4) != 0;
        std::vector<at::Tensor> stats;
        for (size_t i = 0; i < 2 * layers; i++) stats.push_back(c.T(s + 6 + i));
        bool inPlace = c.D(s + 5) != 0 && std::all_of(stats.begin(), stats.end(), ownsStorage);
        // channels first from the embedding on: PyTorch's own layout, so no transposed copies between the
        // blocks, and the flatten is a view
        at::Tensor x = at::embedding(table, ids).transpose(1, 2);
        for (size_t i = 0; i < layers; i++) {
          at::Tensor w = r.leaf(c.T(4 + 4 * i)), b = r.leaf(c.T(5 + 4 * i)), g = r.leaf(c.T(6 + 4 * i)), beta = r.leaf(c.T(7 + 4 * i));
          at::Tensor rm = stats[2 * i], rv = stats[2 * i + 1];
          at::Tensor conv = conv1dOfChannelsFirst(x, w, b, K), y;
          if (training && inPlace) {
            // as BatchNorm1d in training: batch_norm itself moves the running statistics (unbiased
            // variance), in place, from the batch statistics it computes anyway
            y = at::batch_norm(conv, g, beta, rm, rv, /*training=*/true, momentum, eps, /*cudnn_enabled=*/true);
          } else if (training) {
            {
              at::NoGradGuard ng;
              auto vm = at::var_mean(conv.detach(), at::IntArrayRef{0, 2}, /*unbiased=*/false);
              extra.push_back(wrap(c.env, std::get<1>(vm)));
              extra.push_back(wrap(c.env, std::get<0>(vm)));
            }
            y = at::batch_norm(conv, g, beta, {}, {}, /*training=*/true, 0.0, eps, /*cudnn_enabled=*/true);
          } else {
            y = at::batch_norm(conv, g, beta, rm, rv, /*training=*/false, 0.0, eps, /*cudnn_enabled=*/true);
          }
          x = at::max_pool1d(at::relu(y), {pool}, {pool});
        }
        out = x.reshape({x.size(0), -1});
      } else if (name == "softmaxCrossEntropy") {
        // mean over rows of −log softmax(logits)[label]; labels of any dtype (class indices)
        at::Tensor logits = r.leaf(c.T(2));
        out = at::cross_entropy_loss(logits, c.T(3).to(at::kLong));
      } else if (name == "sigmoidCrossEntropy") {
        // mean of BCE with logits against float targets in [0, 1]
        at::Tensor z = r.leaf(c.T(2));
        out = at::binary_cross_entropy_with_logits(z, c.T(3).to(at::kFloat));
      } else if (name == "batchNormTraining") {
        at::Tensor x = r.leaf(c.T(2)), g = r.leaf(c.T(3)), b = r.leaf(c.T(4));
        int64_t C = x.size(-1);
        at::Tensor x2 = x.reshape({-1, C});
        {
          at::NoGradGuard ng;
          auto vm = at::var_mean(x2.detach(), {0}, /*unbiased=*/false);
          extra.push_back(wrap(c.env, std::get<1>(vm)));
          extra.push_back(wrap(c.env, std::get<0>(vm)));
        }
        out = at::batch_norm(x2, g, b, {}, {}, /*training=*/true, 0.0, c.D(5), /*cudnn_enabled=*/true).view(x.sizes());
      } else {
        fail(name, "no such fused op in the torch addon");
      }
    }
    std::vector<napi_value> result{r.finish(c.env, out)};
    own.release();
    result.insert(result.end(), extra.begin(), extra.end());
    return array(c.env, result);
  });
}

/** backward(out, dy): the gradients of a recorded fused op with respect to its leaves, in order. */
napi_value Backward(napi_env env, napi_callback_info info) {
  return guarded(env, info, "backward", [](Call& c) {
    Holder* h = c.holder(0);
    if (!h->graphOut.defined()) fail(c.fn, "the op was not recorded for a gradient (or its gradient was taken already)");
    at::Tensor dy = c.T(1);
    std::vector<at::Tensor> grads = torch::autograd::grad({h->graphOut}, h->leaves, {dy}, /*retain_graph=*/false, /*create_graph=*/false, /*allow_unused=*/true);
    std::vector<napi_value> out;
    for (size_t i = 0; i < grads.size(); i++) out.push_back(wrap(c.env, grads[i].defined() ? grads[i] : at::zeros_like(h->leaves[i].detach())));
    h->graphOut.reset();
    h->leaves.clear();
    return array(c.env, out);
  });
}

// ---------------------------------------------------------------------------------------------
// AdamW, in place, over all parameters at once (on the CPU one pass per parameter, on a GPU multi-tensor kernels).

/** accumulate(sums, grads): sums[i] += grads[i] (gradient accumulation over micro-batches) with one
 * multi-tensor kernel over the sums that own their storage; a sum that shares its storage with another
 * tensor (autograd may return a bias gradient as a view) gets a new tensor for its handle instead. The
 * caller makes sure no other JavaScript tensor holds a sum's handle. */
napi_value Accumulate(napi_env env, napi_callback_info info) {
  return guarded(env, info, "accumulate", [](Call& c) {
    uint32_t n = c.length(0);
    auto g = c.tensors(1);
    if (g.size() != n) fail(c.fn, "the lists differ in length");
    std::vector<at::Tensor> own, add;
    at::NoGradGuard ng;
    for (uint32_t i = 0; i < n; i++) {
      napi_value e;
      napi_get_element(c.env, c.v[0], i, &e);
      void* ptr;
      if (napi_get_value_external(c.env, e, &ptr) != napi_ok) c.bad(0, "must be an array of tensor handles");
      auto* h = static_cast<Holder*>(ptr);
      if (!h->t.defined()) c.bad(0, "holds a disposed tensor");
      at::Tensor& a = h->t;
      if (a.sizes() != g[i].sizes() || a.scalar_type() != at::kFloat || g[i].scalar_type() != at::kFloat) fail(c.fn, "sum " + std::to_string(i) + " and its gradient differ in shape or are not float32");
      if (ownsStorage(a)) {
        own.push_back(a);
        add.push_back(g[i]);
      } else {
        a = a + g[i];
      }
    }
    if (!own.empty()) at::_foreach_add_(own, add);
    return undefinedValue(c.env);
  });
}

/** adamw(params, grads, ms, vs, decays, lr, b1, b2, eps, bc1, bc2[, maxNorm]): the gradients clipped to a
 * global L2 norm of maxNorm first (when given and > 0); false (nothing changed) when a
 * parameter or state tensor shares its storage with another tensor, so cannot be updated in place. */
napi_value AdamW(napi_env env, napi_callback_info info) {
  return guarded(env, info, "adamw", [](Call& c) {
    auto p = c.tensors(0), g = c.tensors(1), m = c.tensors(2), v = c.tensors(3);
    auto decays = c.ints(4);  // weight decay × 1e12, per parameter (0 = none)
    double lr = c.D(5), b1 = c.D(6), b2 = c.D(7), eps = c.D(8), bc1 = c.D(9), bc2 = c.D(10);
    if (g.size() != p.size() || m.size() != p.size() || v.size() != p.size() || decays.size() != p.size()) fail(c.fn, "the lists differ in length");
    napi_value no;
    napi_get_boolean(c.env, false, &no);
    for (size_t i = 0; i < p.size(); i++) {
      for (auto* t : {&p[i], &m[i], &v[i]}) {
        if (!ownsStorage(*t)) return no;
      }
    }
    at::NoGradGuard ng;
    bool clip = !c.isNull(11) && c.D(11) > 0;
    if (p.empty() || p[0].device().is_cpu()) {
      // on the CPU one pass per parameter (native/src/adamw.h) instead of eight multi-tensor passes, which
      // ATen runs there as a loop of per-tensor kernels: the same arithmetic, a third of the memory traffic,
      // and no square-root buffers; the clipping factor is read back (a CPU reads it for free)
      double scale = 1.0;
      if (clip) {
        float total = at::stack(at::_foreach_norm(g, 2)).norm(2).item<float>();
        scale = std::min(1.0f, static_cast<float>(c.D(11)) / (total + 1e-6f));
      }
      for (size_t i = 0; i < p.size(); i++) {
        at::Tensor gi = g[i].to(at::kFloat).contiguous();
        if (gi.sizes() != p[i].sizes() || m[i].numel() != p[i].numel() || v[i].numel() != p[i].numel()) fail(c.fn, "parameter " + std::to_string(i) + ", its gradient and its moments differ in shape");
        const dn::AdamWScalars s(lr, b1, b2, eps, bc1, bc2, decays[i] / 1e12, scale);
        float *pp = p[i].data_ptr<float>(), *mp = m[i].data_ptr<float>(), *vp = v[i].data_ptr<float>();
        const float* gp = gi.data_ptr<float>();
        at::parallel_for(0, p[i].numel(), 1 << 15, [&](int64_t b, int64_t e) { dn::adamwRange(pp, gp, mp, vp, b, e, s); });
      }
      napi_value yes;
      napi_get_boolean(c.env, true, &yes);
      return yes;
    }
    if (clip) {
      // clip_grad_norm_'s arithmetic, on the device (no host synchronisation): the gradients are scaled
      // by min(1, max_norm / (‖g‖₂ + 1e-6)), ‖g‖₂ over all of them
      at::Tensor total = at::stack(at::_foreach_norm(g, 2)).norm(2);
      at::Tensor coef = at::clamp_max(c.D(11) / (total + 1e-6), 1.0);
      for (auto& t : g) t = t * coef;
    }
    for (size_t i = 0; i < p.size(); i++) {
      double wd = decays[i] / 1e12;
      if (wd > 0) p[i].mul_(1 - lr * wd);
    }
    at::_foreach_mul_(m, b1);
    at::_foreach_add_(m, g, 1 - b1);
    at::_foreach_mul_(v, b2);
    at::_foreach_addcmul_(v, g, g, 1 - b2);
    auto denom = at::_foreach_sqrt(v);
    at::_foreach_div_(denom, std::sqrt(bc2));
    at::_foreach_add_(denom, eps);
    at::_foreach_addcdiv_(p, m, denom, -lr / bc1);
    napi_value yes;
    napi_get_boolean(c.env, true, &yes);
    return yes;
  });
}

// ---------------------------------------------------------------------------------------------
// Configuration and information

napi_value SetString(napi_env env, napi_value obj, const char* key, const std::string& value) {
  napi_value s;
  napi_create_string_utf8(env, value.c_str(), value.size(), &s);
  napi_set_named_property(env, obj, key, s);
  return obj;
}

/** configure(device "cpu"|"cuda", tf32, bf16, threads (0: libtorch's default)) */
napi_value Configure(napi_env env, napi_callback_info info) {
  return guarded(env, info, "configure", [](Call& c) {
    std::string dev = c.S(0);
    if (dev == "cuda") {
      if (!torch::cuda::is_available()) fail(c.fn, "CUDA is not available to this libtorch (a CPU build, or no GPU or driver)");
      state.device = c10::Device(c10::kCUDA, 0);
    } else if (dev == "cpu") {
      state.device = c10::Device(c10::kCPU);
    } else {
      fail(c.fn, "device must be cpu or cuda, got '" + dev + "'");
    }
    at::globalContext().setAllowTF32CuBLAS(c.B(1));
    at::globalContext().setAllowTF32CuDNN(c.B(1));
    state.bf16 = c.B(2);
    int64_t threads = c.I(3);
    if (threads > 0) at::set_num_threads(static_cast<int>(threads));
    return undefinedValue(c.env);
  });
}

napi_value Info(napi_env env, napi_callback_info info) {
  return guarded(env, info, "info", [](Call& c) {
    napi_value o;
    napi_create_object(c.env, &o);
    SetString(c.env, o, "version", TORCH_VERSION);
    SetString(c.env, o, "device", state.device.str());
    SetString(c.env, o, "config", at::show_config());
    napi_value x;
    napi_create_int64(c.env, torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0, &x);
    napi_set_named_property(c.env, o, "cudaDevices", x);
    napi_create_int64(c.env, at::get_num_threads(), &x);
    napi_set_named_property(c.env, o, "threads", x);
    napi_get_boolean(c.env, DNABERT_HAS_SDPA, &x);
    napi_set_named_property(c.env, o, "sdpa", x);
    napi_get_boolean(c.env, state.cpuCache, &x);
    napi_set_named_property(c.env, o, "cpuCache", x);
    napi_get_boolean(c.env, state.bf16, &x);
    napi_set_named_property(c.env, o, "bf16", x);
    napi_get_boolean(c.env, at::globalContext().allowTF32CuBLAS(), &x);
    napi_set_named_property(c.env, o, "tf32", x);
#if defined(DNABERT_CUDA_STATS)
    napi_get_boolean(c.env, true, &x);
#else
    napi_get_boolean(c.env, false, &x);
#endif
    napi_set_named_property(c.env, o, "cudaMemoryStats", x);
    return o;
  });
}

/** memory(resetPeak): live handles, and on CUDA the allocator's current and peak bytes. */
napi_value Memory(napi_env env, napi_callback_info info) {
  return guarded(env, info, "memory", [](Call& c) {
    napi_value o, x;
    napi_create_object(c.env, &o);
    napi_create_int64(c.env, state.live, &x);
    napi_set_named_property(c.env, o, "live", x);
#if defined(DNABERT_CUDA_STATS)
    if (state.device.is_cuda()) {
      auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(state.device.index());
      napi_create_int64(c.env, stats.allocated_bytes[0].current, &x);
      napi_set_named_property(c.env, o, "allocatedBytes", x);
      napi_create_int64(c.env, stats.allocated_bytes[0].peak, &x);
      napi_set_named_property(c.env, o, "peakBytes", x);
      if (!c.isNull(0) && c.B(0)) c10::cuda::CUDACachingAllocator::resetPeakStats(state.device.index());
    }
#endif
    return o;
  });
}

/** deferIdChecks(on): check indices as on a GPU (at the next read) on the CPU too; for the tests. */
napi_value DeferIdChecks(napi_env env, napi_callback_info info) {
  return guarded(env, info, "deferIdChecks", [](Call& c) {
    deferIdChecks = c.B(0);
    return undefinedValue(c.env);
  });
}

/** Wait for the device's queued work (timing); a no-op on the CPU. */
napi_value Sync(napi_env env, napi_callback_info info) {
  return guarded(env, info, "sync", [](Call& c) {
    if (state.device.is_cuda()) at::zeros({1}, opts()).to(at::kCPU);
    settleIdChecks();
    return undefinedValue(c.env);
  });
}

// ---------------------------------------------------------------------------------------------
// A caching allocator for CPU tensors. A training step allocates and frees the same few hundred buffer
// sizes every step; through malloc each one pays for bin searches, chunk consolidation and, for large
// ones, fresh zeroed pages from the kernel (together about 8 % of a step of the host-bound workload here).
// Freed blocks are kept by exact size and handed out again, as the CUDA caching allocator does on a GPU.
// At most kCpuCacheBytes are held free; DNABERT_TORCH_CPU_CACHE=0 keeps malloc. Built against libtorch 1.x,
// whose Allocator interface this implements (2.x changed it; there the default allocator stays).

#if TORCH_VERSION_MAJOR < 2
constexpr size_t kCpuAlignment = 64, kCpuCacheBytes = size_t(1) << 30;

struct CpuCache final : public c10::Allocator {
  // never destroyed: tensors may still be freed while the process exits
  static std::mutex& mutex() {
    static auto* m = new std::mutex();
    return *m;
  }
  static std::unordered_map<size_t, std::vector<void*>>& blocks() {
    static auto* b = new std::unordered_map<size_t, std::vector<void*>>();
    return *b;
  }
  static size_t& held() {
    static auto* bytes = new size_t(0);
    return *bytes;
  }
  c10::DataPtr allocate(size_t n) const override {
    // the block's size sits in a header one alignment before the data
    const size_t bytes = (std::max<size_t>(n, 1) + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
    void* base = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex());
      auto it = blocks().find(bytes);
      if (it != blocks().end() && !it->second.empty()) {
        base = it->second.back();
        it->second.pop_back();
        held() -= bytes;
      }
    }
    if (!base) {
      if (posix_memalign(&base, kCpuAlignment, bytes + kCpuAlignment) != 0) throw std::bad_alloc();
      *static_cast<size_t*>(base) = bytes;
    }
    void* data = static_cast<char*>(base) + kCpuAlignment;
    return {data, data, &CpuCache::release, c10::Device(c10::kCPU)};
  }
  // ATen also allocates raw buffers (raw_allocate), which needs the data pointer to be the context
  c10::DeleterFnPtr raw_deleter() const override { return &CpuCache::release; }
  static void release(void* data) {
    void* base = static_cast<char*>(data) - kCpuAlignment;
    const size_t bytes = *static_cast<size_t*>(base);
    {
      std::lock_guard<std::mutex> lock(mutex());
      if (held() + bytes <= kCpuCacheBytes) {
        blocks()[bytes].push_back(base);
        held() += bytes;
        return;
      }
    }
    std::free(base);
  }
};

bool installCpuCache() {
  const char* env = std::getenv("DNABERT_TORCH_CPU_CACHE");
  if (env && std::string(env) == "0") return false;
  static auto* cache = new CpuCache();
  c10::SetCPUAllocator(cache, /* priority */ 1);
  return true;
}
#else
bool installCpuCache() { return false; }
#endif

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"read", nullptr, Read, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"meta", nullptr, Meta, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"free", nullptr, Free, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"op", nullptr, Op, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fused", nullptr, Fused, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"backward", nullptr, Backward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"accumulate", nullptr, Accumulate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"configure", nullptr, Configure, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"memory", nullptr, Memory, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sync", nullptr, Sync, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"deferIdChecks", nullptr, DeferIdChecks, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns);
  state.cpuCache = installCpuCache();
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
