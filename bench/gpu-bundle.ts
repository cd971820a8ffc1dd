/**
 * `make gpu-bundle`: what bench/gpu.sh needs on a GPU machine that has PyTorch, a compiler and CMake but
 * no Node and no network, in build/gpu/, and what the working tree and the bundle weigh together (such a
 * machine may accept 64 MiB; the committed checkpoints then stay behind, see the message):
 *   node.xz          this machine's Node binary, xz-compressed
 *   node-include/    Node's N-API headers (to build the torch addon there)
 *   tests.mjs        one esbuild bundle of the torch backend's tests and the PyTorch parity tests
 *   bench.mjs        the bundle of bench/gpu.ts (parity figures, throughput, bench-gpu.md)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const out = join('build', 'gpu');
/** The upload a lent GPU machine accepts: the working tree and build/gpu together. */
const UPLOAD_LIMIT = 64 * 2 ** 20;
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
let bundle = 0;
for (const f of readdirSync(out)) {
  const s = statSync(join(out, f));
  if (!s.isFile()) continue;
  console.log(`gpu-bundle: ${join(out, f)} ${(s.size / 2 ** 20).toFixed(1)} MiB`);
  bundle += s.size;
}

// What a copy of the working tree with build/gpu weighs (machines that take an upload of limited size):
// the files git tracks or would track that are on disk, symbolic links as links.
const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
if (listed.status === 0) {
  let tree = 0;
  for (const f of listed.stdout.split('\0').filter(Boolean)) {
    try {
      const s = lstatSync(f);
      if (s.isFile()) tree += s.size;
    } catch {
      // not on disk (left out by a sparse checkout, or deleted): it does not travel
    }
  }
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  console.log(`gpu-bundle: the working tree ${mib(tree)} MiB + build/gpu ${mib(bundle)} MiB = ${mib(tree + bundle)} MiB`);
  if (tree + bundle > UPLOAD_LIMIT) {
    console.log(`gpu-bundle: over ${mib(UPLOAD_LIMIT)} MiB. The committed checkpoints are not needed there; leave them out of the working tree for the call:`);
    console.log(`  git sparse-checkout set --no-cone '/*' '!/results/pretrained/' '!/results/models/'    (afterwards: git sparse-checkout disable)`);
  }
}
