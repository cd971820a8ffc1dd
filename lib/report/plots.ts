/**
 * Figures for the notebooks as plotly.js specifications, and the HTML that shows them.
 *
 * `plotlyLoaderHtml()` embeds the plotly.js bundle (plotly.js-dist) once per notebook, so rendered
 * pages work offline and self-contained; every figure afterwards is a small <div> + newPlot call.
 * The figure builders are pure functions of the data, so they are tested without a browser.
 */
import { readFileSync } from 'node:fs';
import { tokensPerStep, type ModelName } from '../config.js';
import { MODEL_LABELS } from './paper.js';
import type { ClassStats } from '../data/stats.js';
import { armLabel, armModel, armOfRecord, armsOf, cellArms, meanStd, type Table2Cell } from './aggregate.js';
import type { PretrainRecord } from '../records/pretrain-record.js';
import type { LadderRow } from '../pretrain/ladder.js';
import type { RunRecord } from '../records/run-record.js';
import { projectRequire } from '../resolve.js';

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

let figureCounter = 0;

/** The plotly.js bundle, safe to inline in a <script> element. */
export function plotlyBundle(): string {
  return readFileSync(projectRequire.resolve('plotly.js-dist'), 'utf8').replace(/<\/script>/gi, '<\\/script>');
}

/** A <script> carrying the plotly.js bundle; show it once, before the first figure. */
export function plotlyLoaderHtml(): string {
  return `<script type="text/javascript">if (!window.Plotly) {\n${plotlyBundle()}\n}</script><div style="font:12px sans-serif;color:#888">plotly.js loaded</div>`;
}

/** HTML for one figure (needs the loader above on the same page). */
export function figureHtml(fig: Figure, height = 420): string {
  const id = `fig-${Date.now().toString(36)}-${figureCounter++}`;
  const spec = JSON.stringify({ data: fig.data, layout: { height, margin: { t: 50, r: 20, b: 60, l: 60 }, ...fig.layout } });
  return `<div id="${id}" style="width:100%;height:${height}px"></div><script type="text/javascript">(function(){var s=${spec};Plotly.newPlot("${id}",s.data,s.layout,{responsive:true,displaylogo:false});})();</script>`;
}

const MODEL_COLORS: Record<ModelName, string> = { cnn: '#636efa', 'dnabert-random': '#ef553b', 'dnabert-pretrained': '#00cc96' };

/** Bars of sequences per class and split. */
export function classBalanceFigure(title: string, train: ClassStats[], test: ClassStats[]): Figure {
  return {
    data: [
      { type: 'bar', name: 'train', x: train.map((s) => s.class), y: train.map((s) => s.count) },
      { type: 'bar', name: 'test', x: test.map((s) => s.class), y: test.map((s) => s.count) },
    ],
    layout: { title: { text: title }, barmode: 'group', yaxis: { title: { text: 'sequences' } } },
  };
}

/** Overlaid histograms of a per-sequence value (length, GC fraction) by class. */
export function histogramByClass(title: string, xTitle: string, values: Record<string, number[]>): Figure {
  return {
    data: Object.entries(values).map(([cls, xs]) => ({ type: 'histogram', name: cls, x: xs, opacity: 0.6 })),
    layout: { title: { text: title }, barmode: 'overlay', xaxis: { title: { text: xTitle } }, yaxis: { title: { text: 'sequences' } } },
  };
}

/** Validation-loss curves, one line per run. */
export function validationCurvesFigure(title: string, records: RunRecord[]): Figure {
  return {
    data: records
      .filter((r) => r.training?.history.length)
      .map((r) => ({
        type: 'scatter',
        mode: 'lines+markers',
        name: `${armLabel(armOfRecord(r))} seed ${r.seed}`,
        line: { color: MODEL_COLORS[r.model] },
        marker: { size: 4 },
        x: r.training!.history.map((h) => h.step),
        y: r.training!.history.map((h) => h.validLoss),
      })),
    layout: { title: { text: title }, xaxis: { title: { text: 'optimizer step' } }, yaxis: { title: { text: 'validation loss' } } },
  };
}

/** A confusion matrix (summed over runs) as an annotated heat map. */
export function confusionFigure(title: string, classes: string[], records: RunRecord[]): Figure {
  const z = classes.map(() => classes.map(() => 0));
  for (const r of records) {
    if (!r.test) continue;
    r.test.matrix.forEach((row, i) => row.forEach((v, j) => (z[i][j] += v)));
  }
  return {
    data: [{ type: 'heatmap', z, x: classes.map((x) => `predicted ${x}`), y: classes.map((x) => `true ${x}`), colorscale: 'Blues', showscale: false, text: z.map((row) => row.map(String)), texttemplate: '%{text}' }],
    layout: { title: { text: title }, yaxis: { autorange: 'reversed' } },
  };
}

/** A dataset's axis label: long names broken over two lines, and a stand-in (not the official split) marked as a holdout. */
export function datasetAxisLabel(dataset: string, splits: string[]): string {
  const [name, ...rest] = dataset.split('.');
  const holdout = splits.some((s) => s.includes('not the official split'));
  return [name, [rest.join('.'), holdout ? '(holdout)' : ''].filter(Boolean).join(' ')].filter(Boolean).join('<br>');
}

/** Grouped bars of F1 (mean ± std) per dataset and model, ours beside the paper's. */
export function table2Figure(cells: Table2Cell[]): Figure {
  const datasets = [...new Set(cells.map((c) => c.dataset))];
  const labels = datasets.map((d) => datasetAxisLabel(d, cells.filter((c) => c.dataset === d).flatMap((c) => c.splits)));
  const data: Record<string, unknown>[] = [];
  for (const a of cellArms(cells)) {
    const m = armModel(a);
    const mine = datasets.map((d) => cells.find((c) => c.dataset === d && c.arm === a)!);
    const own = a !== m; // a checkpoint of one's own: a darker shade, and the paper's bar only once per model
    data.push({
      type: 'bar', name: `${armLabel(a)} (ours)`, x: labels, y: mine.map((c) => (c.f1.n ? c.f1.mean : null)),
      error_y: { type: 'data', array: mine.map((c) => (Number.isFinite(c.f1.std) ? c.f1.std : 0)), visible: true },
      marker: { color: MODEL_COLORS[m], ...(own ? { pattern: { shape: '.' } } : {}) },
    });
    if (own) continue;
    data.push({
      type: 'bar', name: `${MODEL_LABELS[m]} (paper)`, x: labels, y: mine.map((c) => c.paper?.mean ?? null),
      error_y: { type: 'data', array: mine.map((c) => c.paper?.std ?? 0), visible: true },
      marker: { color: MODEL_COLORS[m], opacity: 0.35, pattern: { shape: '/' } },
    });
  }
  return {
    data,
    layout: {
      title: { text: 'Test F1 (%), mean ± std over seeds — ours and the paper’s' },
      barmode: 'group',
      // automargin: the axis grows to fit the dataset names instead of cutting them at the edge
      xaxis: { automargin: true },
      yaxis: { title: { text: 'F1 (%)' }, range: [0, 100] },
    },
  };
}

type PretrainPoint = PretrainRecord['training']['history'][number];

/**
 * Lines for the references a validation scored on the same masks (lib/pretrain/references.ts): the
 * k-mer frequency baseline and the neighbour-reading oracle, where the record has them (records written
 * before them have none, and draw none). `x` places each validation point.
 */
function referenceLines(label: string, history: PretrainPoint[], x: (p: PretrainPoint) => number): Figure['data'] {
  const scored = history.filter((p) => p.metrics?.oracleLoss !== undefined && p.metrics?.frequencyLoss !== undefined);
  if (!scored.length) return [];
  const line = (name: string, key: 'frequencyLoss' | 'oracleLoss', dash: string) => ({
    type: 'scatter', mode: 'lines', name: `${label}: ${name}`, line: { dash, width: 1 }, x: scored.map(x), y: scored.map((p) => p.metrics![key]),
  });
  return [line('k-mer frequency baseline', 'frequencyLoss', 'dash'), line('neighbour-reading oracle', 'oracleLoss', 'dot')];
}

/**
 * Pretraining curves, one line per corpus: the validation MLM loss (with its references where recorded),
 * or the masked-token accuracy (%), per optimizer step.
 */
export function pretrainingCurvesFigure(runs: { label: string; record: PretrainRecord }[], metric: 'loss' | 'maskedAccuracy'): Figure {
  const y = (h: PretrainPoint) => (metric === 'loss' ? h.validLoss : 100 * (h.metrics?.maskedAccuracy ?? NaN));
  return {
    data: runs.flatMap(({ label, record }) => [
      {
        type: 'scatter',
        mode: 'lines+markers',
        name: label,
        marker: { size: 4 },
        x: record.training.history.map((h) => h.step),
        y: record.training.history.map(y),
      },
      ...(metric === 'loss' ? referenceLines(label, record.training.history, (h) => h.step) : []),
    ]),
    layout: {
      title: { text: metric === 'loss' ? 'Pretraining: validation MLM loss (held-out windows)' : 'Pretraining: masked tokens predicted right (%)' },
      xaxis: { title: { text: 'optimizer step' } },
      yaxis: { title: { text: metric === 'loss' ? 'cross-entropy (nats)' : 'masked-token accuracy (%)' } },
    },
  };
}

/** Test F1 per arm: mean ± std as a bar, each seed a point on it. */
export function armComparisonFigure(title: string, records: RunRecord[]): Figure {
  const done = records.filter((r) => r.test);
  const arms = armsOf(done).filter((a) => done.some((r) => armOfRecord(r) === a));
  const f1s = (a: string) => done.filter((r) => armOfRecord(r) === a).map((r) => 100 * r.test!.f1);
  const labels = arms.map(armLabel);
  return {
    data: [
      {
        type: 'bar', name: 'mean ± std', x: labels, y: arms.map((a) => meanStd(f1s(a)).mean),
        error_y: { type: 'data', array: arms.map((a) => meanStd(f1s(a)).std || 0), visible: true },
        marker: { color: arms.map((a) => MODEL_COLORS[armModel(a)]), opacity: 0.6 },
      },
      {
        type: 'scatter', mode: 'markers', name: 'one seed', marker: { color: '#333', size: 7 },
        x: arms.flatMap((a, i) => f1s(a).map(() => labels[i])), y: arms.flatMap(f1s),
      },
    ],
    layout: { title: { text: title }, xaxis: { automargin: true }, yaxis: { title: { text: 'test F1 (%)' } } },
  };
}

/**
 * The pretraining ladder: Δ (pretrained − random, in F1 points and AUROC hundredths) against the tokens
 * each snapshot was pretrained on (log axes), side by side, one line and colour per labelled-set size, 95 %
 * intervals as error bars. Notebook 07 shows it; `npm run ladder -- --figure` exports it as
 * results/pretraining-ladder.{svg,png}.
 */
export function ladderPanelsFigure(rows: LadderRow[]): Figure {
  const x = (domain: [number, number], anchor: string) => ({ title: { text: 'pretraining tokens (k-mers seen)' }, type: 'log', domain, anchor });
  return {
    data: [...ladderTraces(rows, 'f1', ''), ...ladderTraces(rows, 'auroc', '2')],
    layout: {
      title: { text: 'Pretrained − random weights against pretraining tokens (mean over seeds, 95 % CI)' },
      xaxis: x([0, 0.45], 'y'),
      yaxis: { title: { text: LADDER_AXIS.f1 }, zeroline: true, zerolinewidth: 2, anchor: 'x' },
      xaxis2: x([0.55, 1], 'y2'),
      yaxis2: { title: { text: LADDER_AXIS.auroc }, zeroline: true, zerolinewidth: 2, anchor: 'x2' },
      legend: { orientation: 'h', x: 0.5, xanchor: 'center', y: -0.22 },
      margin: { t: 60, r: 30, b: 110, l: 70 },
    },
  };
}

const LADDER_AXIS = { f1: 'Δ F1 (points)', auroc: 'Δ AUROC ×100' } as const;
const LADDER_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** One line per labelled-set size of one metric's Δ, on the axes named by `axis` ('' or '2'). */
function ladderTraces(rows: LadderRow[], metric: 'f1' | 'auroc', axis: string): Record<string, unknown>[] {
  const sizes = [...new Set(rows.map((r) => r.size))];
  const d = (r: LadderRow) => (metric === 'f1' ? r.deltaF1 : r.deltaAuroc);
  return sizes.map((size, i) => {
    const pts = rows.filter((r) => r.size === size && d(r) && Number.isFinite(d(r)!.mean));
    const colour = LADDER_COLOURS[i % LADDER_COLOURS.length];
    return {
      type: 'scatter', mode: 'lines+markers', name: `${size.toLocaleString('en')} labelled`,
      legendgroup: String(size), showlegend: axis === '', line: { color: colour }, marker: { color: colour },
      xaxis: `x${axis}`, yaxis: `y${axis}`,
      x: pts.map((r) => r.tokens), y: pts.map((r) => 100 * d(r)!.mean),
      error_y: { type: 'data', symmetric: false, visible: true, color: colour, array: pts.map((r) => (Number.isFinite(d(r)!.hi) ? 100 * (d(r)!.hi - d(r)!.mean) : 0)), arrayminus: pts.map((r) => (Number.isFinite(d(r)!.lo) ? 100 * (d(r)!.mean - d(r)!.lo) : 0)) },
    };
  });
}

/** The ladder run's MLM validation loss and masked-token accuracy against tokens, from its longest record. */
export function ladderPretrainingFigure(record: PretrainRecord): Figure {
  const perStep = tokensPerStep(record.config);
  const h = record.training.history;
  return {
    data: [
      { type: 'scatter', mode: 'lines+markers', name: 'validation MLM loss', x: h.map((p) => p.step * perStep), y: h.map((p) => p.validLoss) },
      { type: 'scatter', mode: 'lines+markers', name: 'masked-token accuracy (%)', yaxis: 'y2', x: h.map((p) => p.step * perStep), y: h.map((p) => 100 * (p.metrics?.maskedAccuracy ?? NaN)) },
      ...referenceLines('loss', h, (p) => p.step * perStep),
    ],
    layout: {
      title: { text: 'The ladder run: held-out MLM loss and masked-token accuracy' },
      xaxis: { title: { text: 'pretraining tokens' }, type: 'log' },
      yaxis: { title: { text: 'cross-entropy (nats)' } },
      yaxis2: { title: { text: 'masked-token accuracy (%)' }, overlaying: 'y', side: 'right' },
    },
  };
}
