/**
 * `make gpu-bundle`: what bench/gpu.sh needs on a GPU machine that has PyTorch, a compiler and CMake but
 * no Node and no network, in build/gpu/, and what the working tree and the bundle weigh together (such a
 * machine may accept 64 MiB; `make gpu-untrack-checkpoints` then leaves the committed checkpoints behind):
 *   node.xz          this machine's Node binary, xz-compressed
 *   node-include/    Node's N-API headers (to build the torch addon there)
 *   tests.mjs        one esbuild bundle of the torch backend's tests and the PyTorch parity tests
 *   bench.mjs        the bundle of bench/gpu.ts (parity figures, throughput, bench-gpu.md)
 *   pretrain.mjs     the bundle of `npm run pretrain` (lib/cli/pretrain.ts): the ladder at a GPU's batch
 *   pretrain-report.mjs  its results file (bench/gpu-pretrain-report.ts)
 * The pretraining corpus travels beside them as a carried path (GPU_CORPUS in bench/gpu-tree.ts).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { CHECKPOINT_DIRS, checkpointsUntracked, GPU_CORPUS, requireCorpus, travellingFiles, UPLOAD_LIMIT } from './gpu-tree.js';

const out = join('build', 'gpu');
mkdirSync(join(out, 'node-include'), { recursive: true });

const xz = join(out, 'node.xz');
if (!existsSync(xz) || statSync(xz).mtimeMs < statSync(process.execPath).mtimeMs) {
  console.log(`gpu-bundle: compressing ${process.execPath} (xz)…`);
  const r = spawnSync('sh', ['-c', `xz -T0 -6 -c "${process.execPath}" > "${xz}.tmp" && mv "${xz}.tmp" "${xz}"`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('gpu-bundle: xz failed (apt-get install xz-utils)');
}

const headers = join(dirname(process.execPath), '..', 'include', 'node');
for (const f of readdirSync(headers)) if (/^(node_api|node_api_types|js_native_api|js_native_api_types)\.h$/.test(f)) copyFileSync(join(headers, f), join(out, 'node-include', f));

const entry = join(out, 'tests-entry.ts');
writeFileSync(entry, ["import '../../test/torch.test.ts';", "import '../../test/dnabert.test.ts';", "import '../../test/cnn.test.ts';", ''].join('\n'));
const common = {
  bundle: true,
  platform: 'node' as const,
  format: 'esm' as const,
  target: 'node20',
  minify: true,
  logLevel: 'warning' as const,
  // CommonJS dependencies call require(); an ES module bundle has none of its own
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  external: ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'esbuild'],
};
await build({ ...common, entryPoints: [entry], outfile: join(out, 'tests.mjs') });
await build({ ...common, entryPoints: ['bench/gpu.ts'], outfile: join(out, 'bench.mjs') });
await build({ ...common, entryPoints: ['lib/cli/pretrain.ts'], outfile: join(out, 'pretrain.mjs') });
await build({ ...common, entryPoints: ['bench/gpu-pretrain-report.ts'], outfile: join(out, 'pretrain-report.mjs') });
let bundle = 0;
for (const f of readdirSync(out)) {
  const s = statSync(join(out, f));
  if (!s.isFile()) continue;
  console.log(`gpu-bundle: ${join(out, f)} ${(s.size / 2 ** 20).toFixed(1)} MiB`);
  bundle += s.size;
}

// What a copy of the working tree with build/gpu and the corpus weighs (bench/gpu-tree.ts: what travels to such a machine).
requireCorpus('gpu-bundle');
const tree = travellingFiles().reduce((a, f) => a + f.bytes, 0) + statSync(GPU_CORPUS).size;
const mib = (n: number) => (n / 2 ** 20).toFixed(1);
console.log(`gpu-bundle: the working tree and the corpus ${mib(tree)} MiB + build/gpu ${mib(bundle)} MiB = ${mib(tree + bundle)} MiB; carry build/gpu and ${GPU_CORPUS}`);
if (checkpointsUntracked()) console.log('gpu-bundle: the committed checkpoints are out of the index for a GPU upload: make gpu-retrack-checkpoints afterwards, before any commit');
if (tree + bundle > UPLOAD_LIMIT) {
  console.log(`gpu-bundle: over ${mib(UPLOAD_LIMIT)} MiB. bench/gpu.sh needs none of the committed checkpoints; leave them out of what travels with`);
  console.log(`  make gpu-untrack-checkpoints    (${CHECKPOINT_DIRS.join(', ')} leave git's index, the files stay on disk; afterwards: make gpu-retrack-checkpoints)`);
}
