// Builds the `torch` backend's addon (torch/src/addon.cc) against a libtorch: the folder named by
// DNABERT_LIBTORCH (an unpacked libtorch archive), else python3's `torch` package (pip or conda;
// DNABERT_PYTHON names the interpreter), else Debian's libtorch-dev. The C++ ABI, include and library
// paths and the C++ standard come from the library found. Run by `npm install` / `make setup` and
// `make torch`; a failed or skipped build never fails the install: torch/build/status.json says why,
// and `npm run backend` shows it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const buildDir = join(here, 'build');
const statusFile = join(buildDir, 'status.json');
const output = join(buildDir, 'dnabert_torch.node');

function writeStatus(status) {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(statusFile, JSON.stringify(status, null, 2) + '\n');
}

function run(cmd, args, cwd = undefined) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}`, err: `${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** A libtorch layout: include/ with ATen, lib/ with libtorch.so. */
function layout(include, lib, source) {
  if (!existsSync(join(include, 'ATen', 'ATen.h')) || !existsSync(join(lib, 'libtorch.so'))) return null;
  return { include, lib, source };
}

/** The libtorch to build against, or null with the candidates tried. */
function findLibtorch() {
  const tried = [];
  const env = process.env.DNABERT_LIBTORCH;
  if (env) {
    const found = layout(join(env, 'include'), join(env, 'lib'), `DNABERT_LIBTORCH=${env}`);
    if (found) return { found, tried };
    tried.push(`DNABERT_LIBTORCH=${env} has no include/ATen/ATen.h and lib/libtorch.so`);
    return { found: null, tried };
  }
  const python = process.env.DNABERT_PYTHON || 'python3';
  // asked from outside the repository, where torch/ (this folder) would import as an empty package
  const py = run(python, ['-c', 'import os, torch; print(torch.__version__); print(os.path.dirname(torch.__file__))'], tmpdir());
  if (py.ok) {
    const [ver, dir] = py.out.trim().split('\n').slice(-2);
    const found = layout(join(dir, 'include'), join(dir, 'lib'), `${python}'s torch package (${dir})`);
    if (found) return { found: { ...found, version: ver.split('+')[0] }, tried };
    tried.push(`${python}'s torch at ${dir} has no C++ headers`);
  } else tried.push(`${python} has no torch package`);
  const debian = layout('/usr/include', '/usr/lib/x86_64-linux-gnu', "Debian's libtorch-dev");
  if (debian) return { found: debian, tried };
  tried.push("Debian's libtorch-dev is not installed (apt-get install libtorch-dev)");
  return { found: null, tried };
}

/** libtorch's version from torch/version.h. */
function version(found) {
  if (found.version) {
    const [major, minor] = found.version.split('.').map(Number);
    return { text: found.version, major, minor };
  }
  const files = ['torch/csrc/api/include/torch/version.h', 'torch/version.h', 'torch/headeronly/version.h'].map((f) => join(found.include, f)).filter(existsSync);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const num = (k) => Number((text.match(new RegExp(`#define TORCH_VERSION_${k} (\\d+)`)) ?? [])[1] ?? NaN);
    if (Number.isFinite(num('MAJOR'))) return { text: `${num('MAJOR')}.${num('MINOR')}.${num('PATCH')}`, major: num('MAJOR'), minor: num('MINOR') };
  }
  return { text: 'unknown', major: 0, minor: 0 };
}

/** Whether libc10 was built with the C++11 string ABI (its exported symbols say). */
function cxx11Abi(lib) {
  const r = run('nm', ['-D', '--defined-only', join(lib, 'libc10.so')]);
  if (!r.ok) return 1;
  return r.out.includes('__cxx11') ? 1 : 0;
}

/** Node's own headers: beside this node (official builds, Debian), or DNABERT_NODE_HEADERS. */
function nodeInclude() {
  const dirs = [process.env.DNABERT_NODE_HEADERS, process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'), join(dirname(process.execPath), '..', 'include', 'node')].filter(Boolean);
  return dirs.find((d) => existsSync(join(d, 'node_api.h')));
}

/** CUDA's headers (for the allocator's memory statistics on GPU builds), if present. */
function cudaInclude() {
  const dirs = [process.env.CUDA_HOME && join(process.env.CUDA_HOME, 'include'), '/usr/local/cuda/include'].filter(Boolean);
  return dirs.find((d) => existsSync(join(d, 'cuda_runtime_api.h')));
}

function firstError(text) {
  const lines = text.split('\n');
  return (lines.find((l) => /\berror\b/.test(l)) ?? lines.find((l) => l.trim()) ?? 'unknown error').trim().slice(0, 400);
}

function build() {
  if (process.env.DNABERT_TORCH === 'off') {
    writeStatus({ ok: false, reason: 'the build was skipped (DNABERT_TORCH=off)' });
    console.log('torch backend: skipped (DNABERT_TORCH=off)');
    return;
  }
  const { found, tried } = findLibtorch();
  if (!found) {
    writeStatus({ ok: false, reason: `no libtorch found: ${tried.join('; ')}`, tried });
    console.log(`torch backend: not built (no libtorch: ${tried.join('; ')}); see environment.md`);
    return;
  }
  const node = nodeInclude();
  if (!node) {
    writeStatus({ ok: false, reason: "Node's headers (node_api.h) were not found beside node; set DNABERT_NODE_HEADERS" });
    console.log('torch backend: not built (no node_api.h)');
    return;
  }
  const v = version(found);
  const abi = cxx11Abi(found.lib);
  const libs = ['torch', 'torch_cpu', 'c10', 'torch_cuda', 'c10_cuda'].filter((l) => existsSync(join(found.lib, `lib${l}.so`)));
  const cuda = libs.includes('torch_cuda');
  const cudaHeaders = cuda ? cudaInclude() : undefined;
  const wantStd = v.major > 2 || (v.major === 2 && v.minor >= 12) ? 'c++20' : 'c++17';
  const attempts = [];
  for (const std of [wantStd, wantStd === 'c++20' ? 'c++17' : 'c++20']) {
    if (cudaHeaders) attempts.push({ std, stats: true });
    attempts.push({ std, stats: false });
  }
  console.log(`torch backend: building against libtorch ${v.text} from ${found.source}${cuda ? ' (CUDA)' : ''}…`);
  mkdirSync(buildDir, { recursive: true });
  const failures = [];
  for (const a of attempts) {
    const tmp = `${output}.tmp`;
    const args = [
      // -fno-math-errno: the square roots of the AdamW loop (native/src/adamw.h) vectorise; nothing reads errno
      `-std=${a.std}`, '-O2', '-fno-math-errno', '-fPIC', '-shared', '-w',
      `-D_GLIBCXX_USE_CXX11_ABI=${abi}`, '-DNODE_GYP_MODULE_NAME=dnabert_torch', '-DNAPI_VERSION=8',
      ...(a.stats ? ['-DDNABERT_CUDA_STATS', `-I${cudaHeaders}`] : []),
      `-I${node}`, `-I${found.include}`, `-I${join(found.include, 'torch', 'csrc', 'api', 'include')}`,
      join(here, 'src', 'addon.cc'), '-o', tmp,
      `-L${found.lib}`, `-Wl,-rpath,${found.lib}`, '-Wl,--no-as-needed', ...libs.map((l) => `-l${l}`), '-Wl,--as-needed',
    ];
    const r = run(process.env.CXX || 'g++', args);
    if (r.ok && existsSync(tmp)) {
      renameSync(tmp, output);
      const status = { ok: true, reason: '', builtAt: new Date().toISOString(), libtorch: v.text, source: found.source, lib: found.lib, cuda, cudaMemoryStats: a.stats, std: a.std, cxx11Abi: abi };
      writeStatus(status);
      console.log(`torch backend: built ${output} (libtorch ${v.text}, ${a.std}${a.stats ? ', CUDA memory statistics' : ''})`);
      return;
    }
    failures.push({ attempt: a, error: firstError(r.err), log: r.err.split('\n').filter((l) => /error/.test(l)).slice(0, 20) });
  }
  writeStatus({ ok: false, reason: `the compiler failed: ${failures[failures.length - 1].error}`, libtorch: v.text, source: found.source, failures });
  console.log(`torch backend: build failed (${failures[failures.length - 1].error}); the other backends remain. Details: ${statusFile}`);
}

build();
