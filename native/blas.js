// Prints compiler or linker flags for OpenBLAS to binding.gyp (`node blas.js include|libs`). The
// OpenMP build of OpenBLAS (Debian libopenblas-openmp-dev) is preferred: it shares one OpenMP thread
// pool with the element-wise kernels, where the pthread build's spinning threads would compete with
// OpenMP's for the same cores. The pthread build, then any cblas.h on the default paths, are fallbacks.
import { existsSync } from 'node:fs';

const multiarch = '/usr/include/x86_64-linux-gnu';
const libs = '/usr/lib/x86_64-linux-gnu';
const variants = ['openblas-openmp', 'openblas-pthread'].filter((v) => existsSync(`${multiarch}/${v}/cblas.h`) && existsSync(`${libs}/${v}/libopenblas.so`));
const what = process.argv[2];
if (what === 'include') {
  console.log(variants.length ? `${multiarch}/${variants[0]}` : '/usr/include/openblas');
} else if (what === 'libs') {
  console.log(variants.length ? `-L${libs}/${variants[0]} -Wl,-rpath,${libs}/${variants[0]} -lopenblas` : '-lopenblas');
} else {
  console.error('usage: node blas.js include|libs');
  process.exit(2);
}
