/**
 * `npm run notebooks`: write the numbered notebooks in notebooks/ from one template, so the five
 * dataset notebooks cannot drift apart. The notebooks are thin: every cell calls lib/ (reached through
 * the notebooks/lib link) and shows the result.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAPER_DATASETS } from '../data/registry.js';
import { bundledFor } from '../data/bundled.js';
import { datasetKey } from '../data/load.js';
import { command, examples, run } from './command.js';

type Cell = { cell_type: 'markdown' | 'code'; source: string; tags?: string[] };

function notebook(cells: Cell[]): string {
  return JSON.stringify(
    {
      cells: cells.map((c, i) => ({
        cell_type: c.cell_type,
        id: `c${String(i).padStart(2, '0')}`,
        metadata: c.tags ? { tags: c.tags } : {},
        source: c.source.trim().split('\n').map((l, j, a) => (j < a.length - 1 ? l + '\n' : l)),
        ...(c.cell_type === 'code' ? { execution_count: null, outputs: [] } : {}),
      })),
      metadata: {
        kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' },
        language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' },
      },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  ) + '\n';
}

const md = (source: string): Cell => ({ cell_type: 'markdown', source });
const code = (source: string, tags?: string[]): Cell => ({ cell_type: 'code', source, tags });

export function envName(dataset: string): string {
  return `DATA_${dataset.toUpperCase()}`;
}

function datasetNotebook(order: number, name: string): string {
  const bundled = bundledFor(name);
  const offline = bundled
    ? `Without the official dataset (offline, say), this notebook trains on real DNA shipped with the
project: the bundled ${bundled.what} (\`${bundled.path}\`), split into a seeded, stratified
train/test holdout. Its results are filed as \`${datasetKey(bundled.path)}\`, and every record and
Table 2 name the data and its checksum: they are not the paper's official-split numbers.`
    : `Without the official dataset (offline, say), this notebook says so and trains nothing.`;
  return notebook([
    md(`# ${String(order).padStart(2, '0')} · ${name}

Supplementary material for *Fine-Tuning Transformers For Genomic Tasks* (Martinek, Cechak, Gresova,
Alexiou, Simecek). This notebook looks at the \`${name}\` dataset of Genomic Benchmarks, trains the
paper's three models — the CNN baseline, DNABERT from random weights and DNABERT fine-tuned from its
pretrained weights — once per seed through the project's runner, and compares test F1 with the
paper's Table 2.

${offline}

Runs are resumable and recorded one JSON file each under \`results/runs/\`; rerunning the notebook
skips finished runs. Everything computed here comes from \`lib/\`; the notebook only shows it.`),
    code(`// Parameters. \`make reproduce\` sets them through the environment; edit them here when exploring.
const PROFILE = process.env.PROFILE ?? 'quick'; // paper | quick | smoke (see lib/config.ts)
const SEEDS = process.env.SEEDS ?? ''; // e.g. '1-5'; empty = the profile's seeds
const DATA = process.env.${envName(name)} ?? '${name}'; // registry name, or the path of a labelled table / dataset folder
const DOWNLOAD = (process.env.DNABERT_DOWNLOAD ?? '1') !== '0'; // fetch a missing official dataset from Genomic Benchmarks' Zenodo archive
const BACKEND = process.env.DNABERT_BACKEND ?? 'auto'; // auto | tensorflow-gpu | tensorflow | native | wasm | cpu
const RESULTS = process.env.RESULTS_DIR ?? '../results';`, ['parameters']),
    code(`import * as tslab from 'tslab';
import { selectBackend, describeBackend } from './lib/backend.js';
import { resolveProfile } from './lib/config.js';
import { resolveDataset } from './lib/data/load.js';
import { classStats, formatClassStats } from './lib/data/stats.js';
import { gcFraction } from './lib/data/dna.js';
import { parseSeeds, runMatrix, type RunRecord } from './lib/runner.js';
import { table2 } from './lib/aggregate.js';
import { runsFrame, frameHtml, table2Html, tokenizationExample } from './lib/report.js';
import { plotlyLoaderHtml, figureHtml, classBalanceFigure, histogramByClass, validationCurvesFigure, confusionFigure } from './lib/plots.js';

tslab.display.html(plotlyLoaderHtml());`),
    code(`const profile = resolveProfile(PROFILE, '${name}');
const seeds = SEEDS ? parseSeeds(SEEDS) : profile.seeds;
let records: RunRecord[] = [];
console.log(\`profile \${profile.name}: \${profile.description}; seeds \${seeds.join(', ')}\`);`),
    code(`// The compute backend every run of this notebook uses (recorded in each run record).
console.log(describeBackend(await selectBackend({ requested: BACKEND })));`),
    md(`## The data

Class index = position of the class name in sorted order; F1 is reported for class 1. A labelled table
given as \`DATA\` (for example the official test split alone) is split into a seeded, stratified
train/test holdout, and every run record says so.`),
    code(`const resolved = await resolveDataset(DATA, { download: DOWNLOAD, testFraction: profile.data.holdoutTestFraction, holdoutSeed: profile.data.holdoutSeed });
const ds = resolved.dataset;
for (const note of resolved.notes) tslab.display.markdown(\`**Data:** \${note}\`);
if (!ds) {
  tslab.display.markdown(\`**Data unavailable — nothing is trained for this dataset.** \${resolved.problem}\`);
} else {
  console.log(\`\${ds.name}: \${ds.source} (sha256 \${ds.sha256})\\nsplit: \${ds.split}\\nclasses: \${ds.classes.map((c, i) => \`\${i} = \${c}\`).join(', ')}\\n\`);
  console.log(formatClassStats(\`train (\${ds.train.seqs.length} sequences)\`, classStats(ds.train, ds.classes)) + '\\n');
  console.log(formatClassStats(\`test (\${ds.test.seqs.length} sequences)\`, classStats(ds.test, ds.classes)));
}`),
    code(`if (ds) {
  tslab.display.html(figureHtml(classBalanceFigure('Sequences per class', classStats(ds.train, ds.classes), classStats(ds.test, ds.classes)), 320));
  const byClass = (f: (s: Uint8Array) => number) => Object.fromEntries(ds.classes.map((c, i) => [c, ds.train.seqs.filter((_, j) => ds.train.labels[j] === i).map(f)]));
  tslab.display.html(figureHtml(histogramByClass('Sequence length (train)', 'length (bp)', byClass((s) => s.length)), 320));
  tslab.display.html(figureHtml(histogramByClass('GC content (train)', 'GC fraction of called bases', byClass(gcFraction)), 320));
}`),
    md(`How DNABERT reads a sequence: overlapping 6-mers (stride 1) between \`[CLS]\` and \`[SEP]\`, each an
id in the 4,101-token vocabulary; a 6-mer containing N is \`[UNK]\`.`),
    code(`if (ds) console.log(tokenizationExample(ds.train.seqs[0]));`),
    md(`## Training: 3 models × seeds

Each run is one record under \`results/runs/<dataset>/<profile>/<model>/seed-<n>.json\` with the full
configuration, data (portable path and sha256), split, backend and code commit. The runs go to a child
process (\`npm run experiment\`: the notebook kernel runs the native kernels at about half speed), which
first times a few training steps of each model and prints how long the runs will take at most. The pretrained model needs the \`armheb/DNA_bert_6\`
weights; without them its runs are recorded as *not run*, with the reason.`),
    code(`// Training runs in a child process (npm run experiment), at full speed; its lines appear here as they come.
// (explicit \`seeds: seeds\`: tslab does not resolve shorthand properties in cells with top-level await)
if (ds) records = await runMatrix({ dataset: resolved.data!, profile: PROFILE, seeds: seeds, resultsDir: RESULTS, backend: BACKEND });`),
    code(`if (records.length) tslab.display.html(frameHtml(runsFrame(records)));
for (const r of records) for (const w of r.warnings) console.warn(\`WARNING \${r.model} seed \${r.seed}: \${w}\`);`),
    md(`## Validation loss

Evaluated every few optimizer steps on the validation split (20 % of train); the weights of the lowest
validation loss are the ones tested (early stopping, as the authors' training code).`),
    code(`if (records.some((r) => r.training)) tslab.display.html(figureHtml(validationCurvesFigure('Validation loss per run', records)));`),
    md(`## Confusion matrices (test set, summed over seeds)`),
    code(`if (ds) for (const m of ['cnn', 'dnabert-random', 'dnabert-pretrained'] as const) {
  const rs = records.filter((r) => r.model === m && r.test);
  if (rs.length) tslab.display.html(figureHtml(confusionFigure(\`\${m}: \${rs.length} run(s)\`, ds.classes, rs), 320));
  else console.log(\`\${m}: no finished runs\`);
}`),
    md(`## This dataset's row of Table 2`),
    code(`if (records.length) tslab.display.html(table2Html(table2(records, seeds.length), seeds.length));
else tslab.display.markdown('No runs — see the data cell above.');`),
  ]);
}

function summaryNotebook(): string {
  return notebook([
    md(`# 06 · Summary: Table 2

Every run record of the chosen profile, aggregated: test F1 (class 1, %) as mean ± sample std over
seeds, ours beside the paper's, with accuracy, run times and backends. Missing runs are shown as
missing, with the reason — never filled in. A row named after a dataset with a suffix (such as
\`human_nontata_promoters.test-split\`) stands in for that dataset where its official data was
unavailable: real DNA in a seeded holdout, not the official split (the notes under the table say which
data, with its checksum); the paper's numbers are shown beside it for orientation only.`),
    code(`// Parameters (set by \`make reproduce\` through the environment).
const PROFILE = process.env.PROFILE ?? 'quick';
const RESULTS = process.env.RESULTS_DIR ?? '../results';`, ['parameters']),
    code(`import * as tslab from 'tslab';
import { readRecords, table2, table2Markdown, table2Csv, formatStat } from './lib/aggregate.js';
import { resolveProfile } from './lib/config.js';
import { datasetFor, PAPER_DATASETS } from './lib/data/registry.js';
import { MODEL_LABELS } from './lib/paper.js';
import { table2Html, frameHtml } from './lib/report.js';
import { plotlyLoaderHtml, figureHtml, table2Figure } from './lib/plots.js';
import { exportFigure } from './lib/export.js';
import { DataFrame } from 'danfojs-node';
import { writeFileAtomic } from './lib/atomic.js';

tslab.display.html(plotlyLoaderHtml());`),
    code(`const seeds = resolveProfile(PROFILE).seeds.length;
const records = readRecords(RESULTS, PROFILE);
const cells = table2(records, seeds);
const paperNames = PAPER_DATASETS.map((d) => d.name);
console.log(\`\${records.length} run records for profile '\${PROFILE}' under \${RESULTS}/runs\`);`),
    md(`## Table 2, ours beside the paper's`),
    code(`const missing = paperNames.filter((d) => !records.some((r) => datasetFor(r.dataset)?.name === d));
tslab.display.html(table2Html(cells, seeds));
if (missing.length) tslab.display.markdown(\`**No runs for:** \${missing.join(', ')} — their data was unavailable (see their notebooks).\`);
for (const c of cells) for (const n of [...new Set(c.notRun.map((x) => x.reason))]) tslab.display.markdown(\`*\${c.dataset} / \${MODEL_LABELS[c.model]}: not run* — \${n}\`);
writeFileAtomic(\`\${RESULTS}/table2-\${PROFILE}.md\`, table2Markdown(cells, seeds));
writeFileAtomic(\`\${RESULTS}/table2-\${PROFILE}.csv\`, table2Csv(cells));`),
    code(`if (cells.length) {
  const fig = table2Figure(cells);
  tslab.display.html(figureHtml(fig, 460));
  console.log(await exportFigure(fig, \`\${RESULTS}/table2-\${PROFILE}\`));
}`),
    md(`## Pretrained − random weights, per dataset (F1 points)`),
    code(`const gain = [...new Set(cells.map((c) => c.dataset))].map((d) => {
  const get = (m: 'dnabert-random' | 'dnabert-pretrained') => cells.find((c) => c.dataset === d && c.model === m)!;
  const r = get('dnabert-random'), p = get('dnabert-pretrained');
  return {
    dataset: d,
    ours: r.f1.n && p.f1.n ? (p.f1.mean - r.f1.mean).toFixed(1) : 'n/a (a model has no finished runs)',
    paper: r.paper && p.paper ? (p.paper.mean - r.paper.mean).toFixed(1) : '—',
  };
});
if (gain.length) tslab.display.html(frameHtml(new DataFrame(gain)));`),
    md(`## Accuracy, run times and backends`),
    code(`if (cells.length) tslab.display.html(frameHtml(new DataFrame(cells.filter((c) => c.f1.n || c.notRun.length).map((c) => ({
  dataset: c.dataset,
  model: MODEL_LABELS[c.model],
  runs: c.f1.n,
  'F1 %': formatStat(c.f1),
  'accuracy %': formatStat(c.accuracy),
  'train s (mean)': c.seconds.n ? c.seconds.mean.toFixed(0) : '',
  backend: c.backends.join(', ') || '—',
  notes: [...c.warnings, ...c.notRun.map((n) => 'not run')].slice(0, 2).join('; '),
})))));`),
  ]);
}

/** Every generated notebook: file name → JSON text. */
export function generatedNotebooks(): Map<string, string> {
  const out = new Map<string, string>();
  PAPER_DATASETS.forEach((d, i) => out.set(`${String(i + 1).padStart(2, '0')}_${d.name}.ipynb`, datasetNotebook(i + 1, d.name)));
  out.set('06_summary.ipynb', summaryNotebook());
  return out;
}

const cmd = command('notebooks', 'Write the numbered notebooks from their templates (the dataset notebooks share one), so they cannot drift apart.')
  .option('--dir <dir>', 'folder to write them to', 'notebooks')
  .option('--check', 'write nothing; exit 1 if a notebook in --dir differs from its template', false)
  .action((o: { dir: string; check: boolean }) => {
    const stale: string[] = [];
    for (const [name, text] of generatedNotebooks()) {
      const file = join(o.dir, name);
      if (o.check) {
        if (!existsSync(file) || readFileSync(file, 'utf8') !== text) stale.push(file);
      } else {
        writeFileSync(file, text);
        console.log(`wrote ${file}`);
      }
    }
    if (stale.length) throw new Error(`${stale.join(', ')} differ from the templates in lib/cli/notebooks.ts; run npm run notebooks`);
  });
examples(cmd, ['npm run notebooks', 'npm run notebooks -- --check']);
if (process.argv[1]?.endsWith('notebooks.ts')) await run(cmd);
