import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionFigure, figureHtml, table2Figure, validationCurvesFigure } from '../lib/report/plots.js';
import { frameHtml, runsFrame, tokenizationExample } from '../lib/report/tables.js';
import { table2, table2Markdown, table2Rows } from '../lib/report/aggregate.js';
import { PAPER_DATASETS } from '../lib/data/registry.js';
import { PAPER_TABLE2 } from '../lib/report/paper.js';
import { resolveProfile } from '../lib/config.js';
import type { RunRecord } from '../lib/records/run-record.js';

function rec(model: RunRecord['model'], seed: number, tp: number): RunRecord {
  return {
    schema: 4, status: 'done', dataset: 'human_enhancers_cohn', model, arm: model, seed, profile: 'quick', config: null, lrSelection: null,
    dataConfig: resolveProfile('quick').data, backend: { name: 'wasm', device: 'cpu', tfjs: '4.22.0', line: '' },
    code: { commit: 'abc', dirty: false }, node: 'v20', startedAt: '', finishedAt: '', warnings: [],
    data: { source: 'table t.tsv', sha256: 'f'.repeat(64), split: 'seeded stratified holdout of table t.tsv; not the official split', validation: 'v', classes: ['negative', 'positive'], sizes: { train: 7, valid: 2, test: 10 }, trainClassCounts: [3, 4] },
    test: { n: 10, f1: 0.5, accuracy: 0.6, precision: 0.5, recall: 0.5, mcc: 0.1, auroc: 0.7, softF1: 0.5, confusion: { tn: 3, fp: 2, fn: 5 - tp, tp }, matrix: [[3, 2], [5 - tp, tp]], singleClassPrediction: null },
    training: { steps: 4, epochs: 1, bestStep: 2, bestValidLoss: 0.6, stoppedEarly: false, history: [{ step: 2, epoch: 0, validLoss: 0.6, trainLoss: 0.7, lr: 1e-3 }], resumedFromStep: null, seconds: 12 },
  };
}

test('confusion matrices sum over runs; curves have one line per run', () => {
  const f = confusionFigure('x', ['negative', 'positive'], [rec('cnn', 1, 4), rec('cnn', 2, 3)]);
  assert.deepEqual((f.data[0] as { z: number[][] }).z, [[6, 4], [3, 7]]);
  const c = validationCurvesFigure('v', [rec('cnn', 1, 4), rec('dnabert-random', 1, 4)]);
  assert.equal(c.data.length, 2);
  assert.deepEqual((c.data[0] as { y: number[] }).y, [0.6]);
});

test('the Table 2 figure has ours and the paper per model, the five datasets on the axis', () => {
  const fig = table2Figure(table2([rec('cnn', 1, 4)], 5));
  assert.equal(fig.data.length, 6);
  const ours = fig.data[0] as { x: string[]; y: (number | null)[] };
  assert.equal(ours.x.length, 5);
  assert.equal(ours.y[4], 50);
  assert.equal(ours.y[0], null, 'no runs → no bar, never a filled-in value');
  assert.match(figureHtml(fig), /Plotly\.newPlot\("fig-/);
  assert.match(table2Markdown(table2([rec('cnn', 1, 4)], 5)), /- human_enhancers_cohn: data = seeded stratified holdout of table t\.tsv; not the official split/);
});

test('Table 2 rows: a stand-in takes its dataset\'s place, with the paper\'s values beside it; the figure labels it a holdout', () => {
  assert.deepEqual(table2Rows([]), PAPER_DATASETS.map((d) => d.name));
  const rows = table2Rows(['my_table', 'human_nontata_promoters.test-split', 'human_enhancers_cohn', 'human_enhancers_cohn.table']);
  assert.deepEqual(rows, ['human_nontata_promoters.test-split', 'demo_human_or_worm', 'human_enhancers_ensembl', 'demo_coding_vs_intergenomic_seqs', 'human_enhancers_cohn', 'human_enhancers_cohn.table', 'my_table']);
  assert.deepEqual(table2Rows(['b', 'human_enhancers_cohn.table', 'b', 'human_enhancers_cohn.table']).slice(-3), ['demo_coding_vs_intergenomic_seqs', 'human_enhancers_cohn.table', 'b'], 'one row per dataset however many records');
  const r = { ...rec('cnn', 1, 4), dataset: 'human_nontata_promoters.test-split' };
  const notRun = (seed: number): RunRecord => ({ ...rec('dnabert-pretrained', seed, 4), dataset: r.dataset, status: 'not-run', reason: 'weights unavailable', test: undefined, training: undefined });
  const cells = table2([r, { ...r, seed: 2 }, notRun(1), notRun(2)], 5);
  assert.equal(cells.length, 5 * 3, 'one cell per row and model');
  assert.equal(table2Markdown(cells).match(/not run — weights unavailable/g)?.length, 1, 'a reason is noted once');
  const cell = cells.find((c) => c.dataset === r.dataset && c.model === 'cnn')!;
  assert.deepEqual(cell.paper, PAPER_TABLE2.human_nontata_promoters.cnn);
  assert.equal(cells.filter((c) => c.dataset === 'human_nontata_promoters').length, 0);
  const x = (table2Figure(cells).data[0] as { x: string[] }).x;
  assert.equal(x[0], 'human_nontata_promoters<br>test-split (holdout)');
  assert.equal(x[1], 'demo_human_or_worm');
  assert.match(table2Markdown(cells), /\| human_nontata_promoters\.test-split \| 50\.0 ± 0\.0 \(n=2\) \| 83\.9 ± 1\.5 \|/);
});

test('the per-run table and the tokenization example', () => {
  const df = runsFrame([rec('dnabert-random', 2, 4), rec('cnn', 1, 4)]);
  assert.deepEqual(df.columns.slice(0, 4), ['model', 'seed', 'status', 'F1 %']);
  const html = frameHtml(df);
  assert.match(html, /<td>CNN<\/td><td>1<\/td><td>done<\/td><td>50\.0<\/td>/);
  assert.ok(html.indexOf('CNN') < html.indexOf('DNABERT'), 'CNN first, as in Table 2');
  assert.match(tokenizationExample('ATGGAACGTACGTAACC', 6, 3), /\[CLS\]\s+2\nATGGAA\s+501\nTGGAAC\s+\d+\nGGAACG\s+\d+\n\[SEP\]\s+3/);
});

test("a figure's SVG has the same ids each time it is drawn: plotly's random ids renumbered, references with them", async () => {
  const { stableIds } = await import('../lib/report/export.js');
  const drawn = (uid: string) => `<svg><defs id="defs-${uid}"><clipPath id="clip${uid}xy"><rect/></clipPath><pattern id="p${uid}-legend-${uid.slice(0, 3)}"/></defs><g clip-path="url(#clip${uid}xy)" fill="#abcdef"/><path style="fill: url('#p${uid}-legend-${uid.slice(0, 3)}')"/></svg>`;
  assert.equal(stableIds(drawn('cbfb2c')), stableIds(drawn('12ab17')));
  assert.equal(stableIds(drawn('cbfb2c')), `<svg><defs id="f0"><clipPath id="f1"><rect/></clipPath><pattern id="f2"/></defs><g clip-path="url(#f1)" fill="#abcdef"/><path style="fill: url('#f2')"/></svg>`);
});

test('a degenerate model, in either direction: more than 95 % of the test predictions in one class; Table 2 marks it, old records alike', async () => {
  const { degenerateWarning } = await import('../lib/metrics.js');
  const classes = ['negative', 'positive'];
  const table: [number[][], string | null][] = [
    [[[0, 10], [0, 10]], 'the model predicts class 1 (positive) for every test sequence — a degenerate model, a known failure of DNABERT fine-tuning; its F1 is not meaningful'],
    [[[499, 1], [497, 3]], 'the model predicts class 0 (negative) for 99.6 % of the test sequences — a degenerate model, a known failure of DNABERT fine-tuning; its F1 is not meaningful'],
    [[[48, 2], [0, 50]], null],
    [[[10, 10], [5, 15]], null],
  ];
  for (const [m, want] of table) assert.equal(degenerateWarning(m, classes), want, JSON.stringify(m));
  // seed 2 almost all negative; seed 3 all positive, its record in the first wording: each marked once, in today's wording
  const collapsed = (seed: number, matrix: number[][], warnings: string[]): RunRecord => ({ ...rec('dnabert-random', seed, 4), test: { ...rec('dnabert-random', seed, 4).test!, matrix }, warnings });
  const first = 'the model predicts class 1 (positive) for every test sequence — a known failure of DNABERT fine-tuning; its F1 is not meaningful';
  const cells = table2([rec('dnabert-random', 1, 4), collapsed(2, [[50, 0], [49, 1]], []), collapsed(3, [[0, 5], [0, 5]], [first])], 3);
  const c = cells.find((x) => x.dataset === 'human_enhancers_cohn' && x.arm === 'dnabert-random')!;
  assert.deepEqual(c.degenerate, [2, 3]);
  assert.deepEqual(c.warnings, [
    'seed 2: the model predicts class 0 (negative) for 99.0 % of the test sequences — a degenerate model, a known failure of DNABERT fine-tuning; its F1 is not meaningful',
    'seed 3: the model predicts class 1 (positive) for every test sequence — a degenerate model, a known failure of DNABERT fine-tuning; its F1 is not meaningful',
  ]);
  const md = table2Markdown(cells, 3);
  assert.match(md, /\| 50\.0 ± 0\.0 ‡ \|/);
  assert.match(md, /‡: a seed's model predicts one class for more than 95 % of the test sequences/);
});
