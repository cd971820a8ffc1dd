# The project's native CPU kernels for TensorFlow.js (lib/native/): an N-API addon over OpenBLAS
# (Debian: libopenblas-openmp-dev; see blas.js) with OpenMP for the element-wise kernels. Built by `node native/build.js`,
# which `npm install` / `make setup` run; a failed build leaves the other backends in place.
{
  "targets": [
    {
      "target_name": "dnabert_native",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/elementwise.cc", "src/nn.cc", "src/attention.cc", "src/encoder.cc"],
      "include_dirs": ["<!@(node blas.js include)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      # -fno-trapping-math: without it GCC keeps expApprox's float-to-int conversion scalar (it might trap), so
      # softmax and GELU ran one element at a time; no value changes (floating-point traps are never enabled).
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-ffp-contract=off", "-fno-trapping-math", "-fopenmp"],
      "ldflags": ["-fopenmp"],
      "libraries": ["<!@(node blas.js libs)"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
