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

/** The rendered notebooks (results/html/) link to the scoring page built beside them. */
const PAGE_LINK = `**Try a trained model on your own DNA:** [the scoring page](predict/index.html) runs the saved models of
this project in the browser (TensorFlow.js; paste or drop FASTA). \`make html\` builds it beside these
pages with the quick profile's saved CNN; serve the folder to open it (\`node --import tsx web/serve.ts\`).`;

export function envName(dataset: string): string {
  return `DATA_${dataset.toUpperCase()}`;
}

function datasetNotebook(order: number, name: string): string {
  const bundled = bundledFor(name);
  const offline = bundled
    ? `Without the official dataset (offline, say), this notebook trains on real DNA shipped with the
project, ${bundled.what} (\`${bundled.path}\`), split into a seeded, stratified
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
const SAVE_MODELS = (process.env.SAVE_MODELS ?? '1') !== '0'; // keep each trained model under results/models/ (npm run predict, the browser page)
const RESULTS = process.env.RESULTS_DIR ?? '../results';`, ['parameters']),
    code(`import * as tslab from 'tslab';
import { selectBackend, describeBackend } from './lib/backend.js';
import { describeCaps, resolveProfile } from './lib/config.js';
import { resolveDataset } from './lib/data/load.js';
import { classStats, formatClassStats } from './lib/data/stats.js';
import { gcFraction } from './lib/data/dna.js';
import { parseSeeds, runMatrix } from './lib/training/runner.js';
import type { RunRecord } from './lib/records/run-record.js';
import { table2 } from './lib/report/aggregate.js';
import { runsFrame, frameHtml, table2Html, tokenizationExample } from './lib/report/tables.js';
import { plotlyLoaderHtml, figureHtml, classBalanceFigure, histogramByClass, validationCurvesFigure, confusionFigure } from './lib/report/plots.js';

tslab.display.html(plotlyLoaderHtml());`),
    code(`const profile = resolveProfile(PROFILE, '${name}');
const seeds = SEEDS ? parseSeeds(SEEDS) : profile.seeds;
let records: RunRecord[] = [];
console.log(\`profile \${profile.name}: \${profile.description}; seeds \${seeds.join(', ')}\`);
console.log(\`for ${name}: \${describeCaps(profile)}\`);`),
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
if (ds) records = await runMatrix({ dataset: resolved.data!, profile: PROFILE, seeds: seeds, resultsDir: RESULTS, backend: BACKEND, saveModel: SAVE_MODELS });`),
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
    md(PAGE_LINK),
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
import { readRecords, table2, table2Markdown, table2Csv, formatStat, armLabel } from './lib/report/aggregate.js';
import { pretrainingStudy, resolveProfile } from './lib/config.js';
import { datasetFor, PAPER_DATASETS } from './lib/data/registry.js';
import { table2Html, frameHtml, armComparisonHtml } from './lib/report/tables.js';
import { plotlyLoaderHtml, figureHtml, table2Figure, armComparisonFigure } from './lib/report/plots.js';
import { exportFigure } from './lib/report/export.js';
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
for (const c of cells) for (const n of [...new Set(c.notRun.map((x) => x.reason))]) tslab.display.markdown(\`*\${c.dataset} / \${armLabel(c.arm)}: not run* — \${n}\`);
writeFileAtomic(\`\${RESULTS}/table2-\${PROFILE}.md\`, table2Markdown(cells, seeds));
writeFileAtomic(\`\${RESULTS}/table2-\${PROFILE}.csv\`, table2Csv(cells));`),
    code(`if (cells.length) {
  const fig = table2Figure(cells);
  tslab.display.html(figureHtml(fig, 460));
  console.log(await exportFigure(fig, \`\${RESULTS}/table2-\${PROFILE}\`));
}`),
    md(`## Pretrained − random weights, per dataset (F1 points)`),
    code(`// one row per dataset and pretrained arm (the official weights, and each checkpoint of one's own)
const gain = [...new Set(cells.map((c) => c.dataset))].flatMap((d) => {
  const r = cells.find((c) => c.dataset === d && c.arm === 'dnabert-random')!;
  return cells.filter((c) => c.dataset === d && c.model === 'dnabert-pretrained').map((p) => ({
    dataset: d,
    pretrained: armLabel(p.arm),
    ours: r.f1.n && p.f1.n ? (p.f1.mean - r.f1.mean).toFixed(1) : 'n/a (an arm has no finished runs)',
    paper: r.paper && p.paper ? (p.paper.mean - r.paper.mean).toFixed(1) : '—',
  }));
});
if (gain.length) tslab.display.html(frameHtml(new DataFrame(gain)));`),
    md(`## The pretraining study (notebook 07)

Pretrained on this project's own corpora and fine-tuned against random weights with one profile (for
\`quick\`: \`lowdata\`, 800 labelled sequences). Its arms compare with each other only: the paper's numbers
are for full training sets, and the study trains no CNN. Its Table 2 files lie beside this profile's.`),
    code(`const studyProfile = pretrainingStudy(PROFILE).finetune;
const studyRecords = studyProfile === PROFILE ? [] : readRecords(RESULTS, studyProfile);
if (studyProfile === PROFILE) tslab.display.markdown(\`Profile \${PROFILE} fine-tunes its pretraining study with the same profile: its arms are in Table 2 above.\`);
else if (!studyRecords.length) tslab.display.markdown(\`No runs of profile \${studyProfile} yet (notebook 07 makes them).\`);
else {
  const studyCells = table2(studyRecords, seeds);
  tslab.display.markdown(\`Dataset: \${[...new Set(studyRecords.map((r) => r.dataset))].join(', ')}\`);
  tslab.display.html(armComparisonHtml(studyRecords));
  tslab.display.html(figureHtml(armComparisonFigure(\`Test F1, \${studyProfile} fine-tuning — random weights against pretrained\`, studyRecords), 400));
  writeFileAtomic(\`\${RESULTS}/table2-\${studyProfile}.md\`, table2Markdown(studyCells, seeds));
  writeFileAtomic(\`\${RESULTS}/table2-\${studyProfile}.csv\`, table2Csv(studyCells));
}`),
    md(PAGE_LINK),
    md(`## Accuracy, run times and backends`),
    code(`if (cells.length) tslab.display.html(frameHtml(new DataFrame(cells.filter((c) => c.f1.n || c.notRun.length).map((c) => ({
  dataset: c.dataset,
  model: armLabel(c.arm),
  runs: c.f1.n,
  'F1 %': formatStat(c.f1),
  'accuracy %': formatStat(c.accuracy),
  'train s (mean)': c.seconds.n ? c.seconds.mean.toFixed(0) : '',
  backend: c.backends.join(', ') || '—',
  notes: [...c.warnings, ...c.notRun.map((n) => 'not run')].slice(0, 2).join('; '),
})))));`),
  ]);
}

function pretrainingNotebook(): string {
  return notebook([
    md(`# 07 · Pretraining a DNA BERT, and pretrained against random weights

The paper's central result is that DNABERT pretrained on the human genome beats the same architecture
trained from random weights. This notebook pretrains a DNABERT of its own — masked language modelling
with DNABERT's span masking of overlapping 6-mers — and then fine-tunes it on
\`human_nontata_promoters\` against the same model from random weights, 5 seeds each. It also asks the
paper's open question, which corpus to pretrain on: a genome-wide corpus (real human DNA, a part of
chromosome X) against a task-specific one (the task's own training sequences, labels ignored).

Both arms use one architecture and one fine-tuning profile (\`lowdata\` for the default \`quick\`: the
quick profile's 4 × 128 BERT on 800 labelled sequences, where pretraining should matter most), so the
comparison is like for like. Everything is resumable: pretraining checkpoints and run records are
skipped when done. The whole default run takes about 45 minutes on 2 CPU cores (\`make reproduce\` runs
it before the summary, 06, which shows its arms in Table 2).`),
    code(`// Parameters. \`make reproduce\` sets them through the environment; edit them here when exploring.
const PROFILE = process.env.PROFILE ?? 'quick'; // paper | quick | smoke: the pretraining study of lib/config.ts
const SEEDS = process.env.SEEDS ?? ''; // e.g. '1-5'; empty = the fine-tuning profile's seeds
const DATA = process.env.DATA_HUMAN_NONTATA_PROMOTERS ?? 'human_nontata_promoters'; // the task: registry name, labelled table or dataset folder
const GENOME = process.env.DNABERT_GENOME ?? '../data/genome/human_GRCh37_chrX_first70Mb.fa.gz'; // genome-wide corpus (FASTA, gzip or plain); make genome fetches this one
const DOWNLOAD = (process.env.DNABERT_DOWNLOAD ?? '1') !== '0';
const BACKEND = process.env.DNABERT_BACKEND ?? 'auto'; // auto | tensorflow-gpu | tensorflow | native | wasm | cpu
const RESULTS = process.env.RESULTS_DIR ?? '../results';`, ['parameters']),
    code(`import * as tslab from 'tslab';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { selectBackend, describeBackend } from './lib/backend.js';
import { pretrainingStudy, resolveProfile, resolvePretrainConfig } from './lib/config.js';
import { resolveDataset } from './lib/data/load.js';
import { parseSeeds, recordsOnly, runMatrix } from './lib/training/runner.js';
import type { RunRecord } from './lib/records/run-record.js';
import { runCommand } from './lib/child.js';
import { readPretrainRecord, type PretrainRecord } from './lib/records/pretrain-record.js';
import { LADDER_DATASET, ladderArms, ladderMarkdown, ladderRows, ladderVerdict, rateMarkdown, rateRows, runLadder } from './lib/pretrain/ladder.js';
import { table2 } from './lib/report/aggregate.js';
import { armComparisonHtml, frameHtml, table2Html } from './lib/report/tables.js';
import { plotlyLoaderHtml, figureHtml, pretrainingCurvesFigure, armComparisonFigure, validationCurvesFigure, ladderPanelsFigure, ladderPretrainingFigure } from './lib/report/plots.js';
import { DataFrame } from 'danfojs-node';

tslab.display.html(plotlyLoaderHtml());`),
    code(`const study = pretrainingStudy(PROFILE);
const finetune = resolveProfile(study.finetune, 'human_nontata_promoters');
const pretrainConfig = resolvePretrainConfig(study.pretrain, { steps: study.steps });
const seeds = SEEDS ? parseSeeds(SEEDS) : finetune.seeds;
console.log(\`pretraining: config \${pretrainConfig.name}, \${pretrainConfig.steps.toLocaleString('en')} steps × \${pretrainConfig.batchSize * pretrainConfig.gradAccum} windows of \${pretrainConfig.maxLen - 2 + pretrainConfig.k - 1} bp — \${pretrainConfig.description}\`);
console.log(\`fine-tuning: profile \${finetune.name} — \${finetune.description}; seeds \${seeds.join(', ')}\`);
console.log(describeBackend(await selectBackend({ requested: BACKEND })));`),
    md(`## The task and the two corpora

The task data is resolved as in notebook 01 (the official split, else a download, else the bundled real
test split as a seeded holdout). The task corpus is the task's *training* part with labels ignored — its
test part is never read. The genome corpus is the first 70 Mbp of human chromosome X (GRCh37),
which \`make genome\` fetches from Debian's \`smalt-examples\` package; windows are drawn from N-free
stretches, and the last 5 % of each corpus is held out by position for validation.`),
    code(`const resolved = await resolveDataset(DATA, { download: DOWNLOAD, testFraction: finetune.data.holdoutTestFraction, holdoutSeed: finetune.data.holdoutSeed });
for (const note of resolved.notes) tslab.display.markdown(\`**Data:** \${note}\`);
if (!resolved.data) tslab.display.markdown(\`**Task data unavailable — nothing is trained.** \${resolved.problem}\`);
const corpora: { tag: string; label: string; corpus: string }[] = [];
if (existsSync(GENOME)) corpora.push({ tag: 'genome', label: 'genome-wide corpus (human chrX)', corpus: resolve(GENOME) });
else tslab.display.markdown(\`**No genome corpus at \\\`\${GENOME}\\\`** (run \\\`make genome\\\`, or set DNABERT_GENOME to a FASTA): the genome-wide arm is skipped.\`);
if (resolved.data) corpora.push({ tag: 'task', label: 'task corpus (its training sequences)', corpus: resolve(resolved.data) });
const pretrainedRoot = \`\${RESULTS}/pretrained/\${PROFILE}\`;`),
    md(`## Pretraining

Each corpus gets its own run in a child process (\`npm run pretrain\`), resumable; progress shows the MLM
loss, tokens/s and the time left. Perplexity and masked-token accuracy are measured on the held-out
windows with fixed masks, so the points of a curve are comparable. Where a run records them, the loss
curve has two references scored on the same masks: the k-mer frequency baseline (dashed: a model that knows
only which k-mers are common) and the neighbour-reading oracle (dotted: ln 4 for each base of a masked
k-mer that no unmasked neighbour shows, about 1.4 nats for an isolated span).`),
    code(`const pretrained: { tag: string; label: string; dir: string; record: PretrainRecord }[] = [];
for (const c of corpora) {
  const dir = \`\${pretrainedRoot}/\${c.tag}\`;
  console.log(\`== pretraining on the \${c.label} → \${dir}\`);
  if (!recordsOnly()) await runCommand('pretrain', ['--corpus', c.corpus, '--config', pretrainConfig.name, '--steps', String(pretrainConfig.steps), '--out', resolve(dir)], { env: { DNABERT_PROGRESS_EVERY: '25', ...(BACKEND !== 'auto' ? { DNABERT_BACKEND: BACKEND } : {}) } });
  const record = readPretrainRecord(dir);
  if (record) pretrained.push({ ...c, dir, record });
  else console.log(\`no pretraining record in \${dir} (DNABERT_RECORDS_ONLY=1)\`);
}`),
    code(`if (pretrained.length) {
  const runs = pretrained.map((p) => ({ label: p.label, record: p.record }));
  tslab.display.html(figureHtml(pretrainingCurvesFigure(runs, 'loss'), 360));
  tslab.display.html(figureHtml(pretrainingCurvesFigure(runs, 'maskedAccuracy'), 360));
  tslab.display.html(frameHtml(new DataFrame(pretrained.map((p) => ({
    corpus: p.label,
    'usable bp': p.record.corpus.usableBases?.toLocaleString('en') ?? '',
    steps: p.record.training.steps,
    'valid loss': p.record.final.validLoss.toFixed(3),
    perplexity: p.record.final.perplexity.toFixed(0),
    'masked acc. %': (100 * p.record.final.maskedAccuracy).toFixed(1),
    'tokens/s': Math.round(p.record.tokensPerSecond),
    sha256: p.record.corpus.sha256.slice(0, 12),
  })))));
  console.log('For scale: a model that knows nothing scores ln(4,101) ≈ 8.32 nats; a masked 6-mer in the middle of its span is one of 4,096.');
}`),
    md(`## Fine-tuning: random weights against each pretrained checkpoint

The same profile and seeds for every arm. A pretrained arm is filed as
\`dnabert-pretrained.<corpus>\` (the checkpoint folder's name), and its records name the checkpoint, the
checksum of its weights and the corpus it was pretrained on.`),
    code(`let records: RunRecord[] = [];
if (resolved.data) {
  records = await runMatrix({ dataset: resolved.data, profile: finetune.name, seeds: seeds, models: ['dnabert-random'], resultsDir: RESULTS, backend: BACKEND });
  for (const p of pretrained) {
    console.log(\`== fine-tuning from the \${p.label}\`);
    records.push(...(await runMatrix({ dataset: resolved.data, profile: finetune.name, seeds: seeds, models: ['dnabert-pretrained'], resultsDir: RESULTS, backend: BACKEND, pretrained: p.dir })));
  }
}`),
    md(`## The comparison

Test F1 (class 1, %), mean ± sample std over seeds; Δ is the difference to random weights in F1 points,
and "beyond std" says whether it exceeds the standard deviation of both arms.`),
    code(`if (records.some((r) => r.test)) {
  tslab.display.html(figureHtml(armComparisonFigure(\`Test F1, \${finetune.name} fine-tuning — random weights against pretrained\`, records), 400));
  tslab.display.html(armComparisonHtml(records));
  tslab.display.html(figureHtml(validationCurvesFigure('Fine-tuning: validation loss per run', records), 360));
  tslab.display.html(table2Html(table2(records, seeds.length), seeds.length));
} else tslab.display.markdown('No fine-tuning runs — see the data cell above.');`),
    md(`## The compute ladder: when does pretraining pay off?

One pretraining run on the genome corpus (configuration \`ladder\`: the same 4 × 128 BERT, warmup then the
inverse square root of the step, so every snapshot is a point of one run) with snapshots at 0.3, 1.2, 4.7
and 18.9 M tokens. Random weights and each snapshot are fine-tuned on 800 and 3,200 labelled sequences;
each arm gets the peak learning rate (1e-4, 3e-4 or 1e-3) its own validation loss picks at seed 1, then
5 seeds at that rate. Δ is pretrained − random, paired by seed, with a 95 % interval; AUROC beside F1,
because a pretrained arm's F1 can move with its calibration alone. \`make pretraining-study\` trains it
(hours, resumable); this notebook only reads its records.`),
    code(`const ladderRun = \`\${RESULTS}/pretrained/ladder/genome\`;
const ladderCells = await runLadder({ dataset: LADDER_DATASET, runDir: ladderRun, seeds: [1, 2, 3, 4, 5], resultsDir: RESULTS, recordsOnly: true });
const ladder = ladderRows(ladderCells).filter((r) => r.seeds > 0);
const snapshots = ladderArms(ladderRun).filter((a) => a.pretraining);
const ladderRecord = readPretrainRecord(ladderRun) ?? snapshots[snapshots.length - 1]?.pretraining ?? null;
if (ladderRecord) tslab.display.html(figureHtml(ladderPretrainingFigure(ladderRecord), 360));
if (ladder.some((r) => r.deltaF1 && Number.isFinite(r.deltaF1.mean))) {
  tslab.display.html(figureHtml(ladderPanelsFigure(ladder), 460));
}
if (ladder.length) {
  tslab.display.markdown(ladderMarkdown(ladder));
  for (const line of ladderVerdict(ladder)) tslab.display.markdown(line);
} else if (rateRows(ladderCells).some((r) => r.validLoss !== null)) {
  tslab.display.markdown('No arm has all its learning rates yet; the runs so far (seed 1):');
  tslab.display.markdown(rateMarkdown(rateRows(ladderCells), true));
} else tslab.display.markdown(\`No ladder runs under \${RESULTS}/runs/ yet: \\\`make pretraining-study\\\` makes them.\`);`),
  ]);
}

/** Every generated notebook: file name → JSON text. */
export function generatedNotebooks(): Map<string, string> {
  const out = new Map<string, string>();
  PAPER_DATASETS.forEach((d, i) => out.set(`${String(i + 1).padStart(2, '0')}_${d.name}.ipynb`, datasetNotebook(i + 1, d.name)));
  out.set('06_summary.ipynb', summaryNotebook());
  out.set('07_pretraining.ipynb', pretrainingNotebook());
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
