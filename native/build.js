// Builds the native CPU kernels (native/binding.gyp) with node-gyp. Run by `npm install` / `npm ci`
// and `make setup`. A failed build never fails the install: it writes native/build/status.json with
// the reason, which the backend module shows, and the other TensorFlow.js backends remain.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const statusFile = join(here, 'build', 'status.json');

/** node-gyp as npm ships it: npm's lifecycle variable, then beside npm, then on PATH. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return [process.execPath, process.env.npm_config_node_gyp];
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((c) => existsSync(c));
  return found ? [process.execPath, found] : ['node-gyp'];
}

/** Node's own headers (npm sets nodedir; otherwise the prefix of this node), so nothing is downloaded. */
function nodeDir() {
  const dirs = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..')].filter(Boolean);
  return dirs.find((d) => existsSync(join(d, 'include', 'node', 'node_api.h')));
}

/** The OpenBLAS include folder binding.gyp will use (native/blas.js decides). */
function blasInclude() {
  const r = spawnSync(process.execPath, [join(here, 'blas.js'), 'include'], { encoding: 'utf8' });
  return (r.stdout ?? '').trim();
}

function writeStatus(status) {
  mkdirSync(dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, JSON.stringify(status, null, 2) + '\n');
}

if (process.env.DNABERT_NATIVE === 'off') {
  writeStatus({ ok: false, reason: 'the build was skipped (DNABERT_NATIVE=off)' });
  console.log('native kernels: skipped (DNABERT_NATIVE=off)');
} else if (![blasInclude(), '/usr/include', '/usr/include/x86_64-linux-gnu'].some((d) => existsSync(join(d, 'cblas.h')))) {
  writeStatus({ ok: false, reason: 'OpenBLAS headers are missing: install Debian libopenblas-openmp-dev (make setup does), then run make native' });
  console.log('native kernels: not built (no OpenBLAS headers; `apt-get install libopenblas-openmp-dev`, then `make native`)');
} else {
  const [cmd, ...pre] = nodeGyp();
  console.log('native kernels: building with node-gyp (OpenBLAS + OpenMP)…');
  const dir = nodeDir();
  const r = spawnSync(cmd, [...pre, 'rebuild', `--directory=${here}`, ...(dir ? [`--nodedir=${dir}`] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const built = join(here, 'build', 'Release', 'dnabert_native.node');
  if (r.status === 0 && existsSync(built)) {
    writeStatus({ ok: true, reason: '', builtAt: new Date().toISOString() });
    console.log('native kernels: built', built);
  } else {
    const log = `${r.stdout ?? ''}\n${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`.trim().split('\n');
    const firstError = log.find((l) => /\berror:/.test(l)) ?? log.find((l) => /ERR! stack \w*Error/.test(l)) ?? log.find((l) => /error/i.test(l)) ?? log[log.length - 1] ?? 'unknown error';
    writeStatus({ ok: false, reason: `node-gyp failed: ${firstError.trim().slice(0, 300)}`, log: log.slice(-40) });
    console.log(`native kernels: build failed (${firstError.trim().slice(0, 200)}); the wasm and cpu backends remain. Details: ${statusFile}`);
  }
}
