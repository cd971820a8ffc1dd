/**
 * `make web` / `node --import tsx web/build.ts --out DIR [--model NAME=DIR …]`: the browser page that
 * scores DNA with a saved model. One esbuild bundle of web/predict/app.ts (the tokenizer, both models
 * and the scoring of lib/predict.ts, browser-safe; lib/native/addon.ts replaced by a stand-in without
 * native kernels), the page, plotly.js, TensorFlow.js's wasm binaries, and the given model folders
 * with a `models.json` index the page lists them from.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { build, transform, type Plugin } from 'esbuild';
import { projectRequire } from '../lib/resolve.js';
import { writeFileAtomic } from '../lib/atomic.js';
import { command, collect, examples, run } from '../lib/cli/command.js';
import { BUNDLED, bundledTablePath } from '../lib/data/bundled.js';
import { loadDataset } from '../lib/data/load.js';
import { decodeDna } from '../lib/data/dna.js';

const HERE = dirname(new URL(import.meta.url).pathname);

/** lib/native/addon.ts → web/predict/native-addon.ts: the one module of lib/ that needs Node. */
const nativeStandIn: Plugin = {
  name: 'native-stand-in',
  setup(b) {
    b.onResolve({ filter: /^\.\/addon\.js$/ }, (args) => (args.importer.endsWith(join('lib', 'native', 'ops.ts')) || args.importer.endsWith(join('lib', 'native', 'backend.ts')) ? { path: join(HERE, 'predict', 'native-addon.ts') } : undefined));
  },
};

export interface WebModel {
  /** Shown in the page's list. */
  name: string;
  dir: string;
}

/** A line naming a saved model from its config.json (what it was trained on, profile, seed). */
function describeModel(name: string, dir: string): string {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { model_type?: string; trained_on?: string; profile?: string; seed?: number; num_hidden_layers?: number; hidden_size?: number };
  const what = c.model_type === 'genomic-benchmarks-cnn' ? 'CNN' : `DNABERT ${c.num_hidden_layers} × ${c.hidden_size}`;
  const how = [c.trained_on, c.profile && `profile ${c.profile}`, c.seed !== undefined && `seed ${c.seed}`].filter(Boolean).join(', ');
  return `${name}: ${what}${how ? ` (${how})` : ''}`;
}

/**
 * Example input for the page: `n` sequences of each class of each bundled real table (the first rows of
 * its held-out test part; 251 and 500 bp), ids naming the dataset and the class.
 */
export function exampleFasta(n = 5): string {
  const out: string[] = [];
  for (const b of BUNDLED) {
    const ds = loadDataset(bundledTablePath(b), { testFraction: 0.3, holdoutSeed: 0 });
    for (const [c, name] of ds.classes.entries()) {
      const idx = ds.test.labels.reduce<number[]>((a, l, i) => (l === c && a.length < n ? [...a, i] : a), []);
      for (const [j, i] of idx.entries()) out.push(`>${b.dataset}_${name}_${j + 1} ${ds.name}, held-out test part\n${decodeDna(ds.test.seqs[i])}`);
    }
  }
  return out.join('\n') + '\n';
}

/** The page's plotly.js, minified; the supplement's pages load it from the page's folder. */
export const PLOTLY_FILE = 'plotly.min.js';

export async function buildPage(out: string, models: WebModel[] = []): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(HERE, 'predict', 'app.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    outfile: join(out, 'app.js'),
    plugins: [nativeStandIn],
  });
  copyFileSync(join(HERE, 'predict', 'index.html'), join(out, 'index.html'));
  // minified once here (10.8 MB → about 4.6 MB); the rendered notebook pages beside this folder load it too
  writeFileAtomic(join(out, PLOTLY_FILE), (await transform(readFileSync(projectRequire.resolve('plotly.js-dist'), 'utf8'), { minify: true, legalComments: 'eof' })).code);
  const wasmDir = join(dirname(projectRequire.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'dist');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copyFileSync(join(wasmDir, f), join(out, f));
  const index: { name: string; path: string; files: string[] }[] = [];
  for (const m of models) {
    if (!existsSync(join(m.dir, 'config.json'))) throw new Error(`${m.dir}: not a saved model (no config.json); save one with npm run experiment -- --save-model`);
    const files = ['config.json', 'vocab.txt', 'model.safetensors'].filter((f) => existsSync(join(m.dir, f)));
    const path = `models/${m.name}/`;
    mkdirSync(join(out, path), { recursive: true });
    for (const f of files) copyFileSync(join(m.dir, f), join(out, path, f));
    index.push({ name: describeModel(m.name, m.dir), path, files });
  }
  writeFileAtomic(join(out, 'models.json'), JSON.stringify(index, null, 1) + '\n');
  writeFileAtomic(join(out, 'example.fa'), exampleFasta());
}

function modelArg(v: string): WebModel {
  const eq = v.indexOf('=');
  const dir = resolve(eq > 0 ? v.slice(eq + 1) : v);
  return { name: eq > 0 ? v.slice(0, eq) : basename(dir), dir };
}

if (process.argv[1]?.endsWith('build.ts')) {
  const cmd = command('web', 'Build the browser page that scores DNA with a saved model (static files; serve the folder or open it from make html).')
    .option('--out <dir>', 'output folder', 'results/html/predict')
    .option('--model <name=dir>', 'a saved model folder to bundle with the page, repeatable', collect(modelArg), [] as WebModel[])
    .action(async (o: { out: string; model: WebModel[] }) => {
      await buildPage(o.out, o.model);
      console.log(`page: ${join(o.out, 'index.html')} (${o.model.length} bundled model(s)); serve the folder, e.g. python3 -m http.server -d ${o.out}`);
    });
  examples(cmd, ['node --import tsx web/build.ts --out results/html/predict --model cnn=results/models/human_nontata_promoters.test-split/quick/cnn/seed-1']);
  await run(cmd);
}
