/**
 * From run records to the paper's Table 2: per dataset × model, test F1 and accuracy as mean ± sample
 * standard deviation over seeds (simple-statistics), with n, the paper's value beside ours, and
 * missing runs shown as missing with their reason. Written as CSV (papaparse) and Markdown.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { MODELS, rateTag, type ModelName } from '../config.js';
import { datasetFor, PAPER_DATASETS } from '../data/registry.js';
import { MODEL_LABELS, PAPER_TABLE2 } from './paper.js';
import { readRecord, type RunRecord } from '../records/run-record.js';
import { DEGENERATE_SHARE, DEGENERATE_WARNING, degenerateWarning } from '../metrics.js';

/** Every run record under `<resultsDir>/runs`, optionally for one profile. */
export function readRecords(resultsDir = 'results', profile?: string): RunRecord[] {
  const root = join(resultsDir, 'runs');
  const out: RunRecord[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/^seed-\d+\.json$/.test(e)) out.push(readRecord(p)!);
    }
  };
  walk(root);
  return profile ? out.filter((r) => r.profile === profile) : out;
}

export interface Stat {
  mean: number;
  /** Sample standard deviation (n − 1); NaN for n < 2. */
  std: number;
  n: number;
}

export function meanStd(xs: number[]): Stat {
  return { mean: xs.length ? mean(xs) : NaN, std: xs.length >= 2 ? sampleStandardDeviation(xs) : NaN, n: xs.length };
}

export interface Table2Cell {
  dataset: string;
  model: ModelName;
  /** The model, or `dnabert-pretrained.<tag>` for runs from a checkpoint of one's own (see armsOf). */
  arm: string;
  f1: Stat;
  accuracy: Stat;
  /** Test AUROC (0–1; for more than two classes as each record reports it). */
  auroc: Stat;
  /** How the arm's peak learning rate was chosen (the records' lrSelection), in words; null where it was given. */
  lrChoice: string | null;
  seconds: Stat;
  seeds: number[];
  notRun: { seed: number; reason: string }[];
  warnings: string[];
  backends: string[];
  /** How the data was split, from the records (e.g. a holdout of a single table, not the official split). */
  splits: string[];
  /** The paper's value for the dataset the row stands for (a stand-in row shows its dataset's, for comparison). */
  paper: { mean: number; std: number } | null;
  /** The dataset has more than two classes: `f1` is the macro-F1. */
  macro: boolean;
  /** The largest share of test bases its runs cut off as longer than the model (0: none; lib/data/windows.ts). */
  cut: number;
  /** Seeds whose model predicts one class for more than 95 % of the test sequences (lib/metrics.ts degenerateWarning). */
  degenerate: number[];
}

/**
 * The rows of Table 2: the paper's five datasets in its order, each followed by the stand-ins recorded
 * for it (e.g. `human_nontata_promoters.test-split`, a holdout of its test split); a paper dataset
 * without records is shown as missing unless a stand-in takes its place. Then any other dataset.
 */
export function table2Rows(recordKeys: string[]): string[] {
  const keys = [...new Set(recordKeys)];
  const rows: string[] = [];
  for (const d of PAPER_DATASETS) {
    const standIns = keys.filter((k) => k !== d.name && datasetFor(k)?.name === d.name).sort();
    if (keys.includes(d.name) || !standIns.length) rows.push(d.name);
    rows.push(...standIns);
  }
  return [...rows, ...keys.filter((k) => !rows.includes(k)).sort()];
}

/** A record's arm: its model, or `dnabert-pretrained.<tag>` (records before arms existed carry only the model). */
export const armOfRecord = (r: RunRecord): string => r.arm ?? r.model;

/** The model of an arm (`dnabert-pretrained.genome` → `dnabert-pretrained`). */
export function armModel(arm: string): ModelName {
  const m = MODELS.find((x) => arm === x || arm.startsWith(`${x}.`));
  if (!m) throw new Error(`'${arm}' is not a model or an arm of one (${MODELS.join(', ')})`);
  return m;
}

/** A column heading: the model's label, with the checkpoint's tag for an arm of one's own. */
export function armLabel(arm: string): string {
  const m = armModel(arm);
  return arm === m ? MODEL_LABELS[m] : `${MODEL_LABELS[m]} (${arm.slice(m.length + 1)})`;
}

/** Table 2's columns: the three models in the paper's order, each followed by its tagged arms found in the records. */
export function armsOf(records: RunRecord[]): string[] {
  const found = [...new Set(records.map(armOfRecord))];
  return MODELS.flatMap((m) => [m, ...found.filter((a) => a.startsWith(`${m}.`)).sort()]);
}

/** Cells for every row of Table 2 (see table2Rows) × every arm (see armsOf). */
export function table2(records: RunRecord[], expectedSeeds = 5): Table2Cell[] {
  const datasets = table2Rows(records.map((r) => r.dataset));
  const cells: Table2Cell[] = [];
  for (const dataset of datasets) {
    for (const arm of armsOf(records)) {
      const model = armModel(arm);
      const rs = records.filter((r) => r.dataset === dataset && armOfRecord(r) === arm);
      const done = rs.filter((r) => r.status === 'done' && r.test);
      // a degenerate model judged from each record's matrix, so that records written before the 95 % rule are judged alike
      const degenerate = done.map((r) => ({ seed: r.seed, w: degenerateWarning(r.test!.matrix, r.data?.classes ?? []) })).filter((d) => d.w !== null);
      const warnings = done.flatMap((r) => r.warnings.filter((w) => !DEGENERATE_WARNING.test(w)).map((w) => `seed ${r.seed}: ${w}`));
      warnings.push(...degenerate.map((d) => `seed ${d.seed}: ${d.w}`));
      if (done.length < expectedSeeds && done.length > 0) warnings.push(`${done.length} of ${expectedSeeds} runs`);
      cells.push({
        dataset,
        model,
        arm,
        f1: meanStd(done.map((r) => 100 * r.test!.f1)),
        accuracy: meanStd(done.map((r) => 100 * r.test!.accuracy)),
        auroc: meanStd(done.map((r) => r.test!.auroc)),
        lrChoice: lrChoice(done),
        seconds: meanStd(done.map((r) => r.training!.seconds)),
        seeds: done.map((r) => r.seed).sort((a, b) => a - b),
        notRun: rs.filter((r) => r.status === 'not-run').map((r) => ({ seed: r.seed, reason: r.reason ?? 'unknown' })),
        warnings,
        backends: [...new Set(done.map((r) => r.backend.name))],
        splits: [...new Set(done.map((r) => r.data?.split ?? 'unknown'))],
        paper: PAPER_TABLE2[datasetFor(dataset)?.name ?? dataset]?.[model] ?? null,
        macro: done.some((r) => r.test!.average === 'macro'),
        cut: Math.max(0, ...done.map((r) => (r.data?.lengths?.long === 'truncate' ? r.data.lengths.test.shareDropped : 0))),
        degenerate: degenerate.map((d) => d.seed),
      });
    }
  }
  return cells;
}

/** "peak learning rate 3e-4, chosen by seed 1's validation loss (1e-4: 0.6123, …)" from the first record with a selection. */
function lrChoice(done: RunRecord[]): string | null {
  const sel = done.find((r) => r.lrSelection)?.lrSelection;
  if (!sel) return null;
  return `peak learning rate ${rateTag(sel.chosen)}, chosen by seed ${sel.seed}'s validation loss (${sel.candidates.map((c) => `${rateTag(c.lr)}: ${c.bestValidLoss.toFixed(4)}`).join(', ')})`;
}

export function formatStat(s: Stat, digits = 1): string {
  if (s.n === 0) return '—';
  return Number.isNaN(s.std) ? s.mean.toFixed(digits) : `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}

/** The mark of a cell with a degenerate seed, and what it means (the notes name the seeds). */
export const DEGENERATE_MARK = '‡';
const DEGENERATE_NOTE = `${DEGENERATE_MARK}: a seed's model predicts one class for more than ${100 * DEGENERATE_SHARE} % of the test sequences (a degenerate model; the notes name it).`;

export function cellText(c: Table2Cell, expectedSeeds: number): string {
  if (c.f1.n === 0) return c.notRun.length ? 'not run' : 'missing';
  return `${formatStat(c.f1)}${c.f1.n < expectedSeeds ? ` (n=${c.f1.n})` : ''}${c.degenerate.length ? ` ${DEGENERATE_MARK}` : ''}`;
}

/** The arms of a set of cells, in column order. */
export const cellArms = (cells: Table2Cell[]): string[] => [...new Set(cells.map((c) => c.arm))];

/** The largest share of test bases a dataset's runs cut off (see Table2Cell.cut). */
export const cutOf = (cells: Table2Cell[], dataset: string): number => Math.max(0, ...cells.filter((c) => c.dataset === dataset).map((c) => c.cut));

/** Markdown Table 2: ours beside the paper's, then notes on missing runs and warnings. */
export function table2Markdown(cells: Table2Cell[], expectedSeeds = 5): string {
  const datasets = [...new Set(cells.map((c) => c.dataset))];
  const arms = cellArms(cells);
  const head = ['dataset', ...arms.flatMap((a) => [`${armLabel(a)} (ours)`, '(paper)'])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const d of datasets) {
    const row = [`${d}${cutOf(cells, d) > 0 ? ' †' : ''}`];
    for (const a of arms) {
      const c = cells.find((x) => x.dataset === d && x.arm === a)!;
      row.push(cellText(c, expectedSeeds), c.paper ? `${c.paper.mean.toFixed(1)} ± ${c.paper.std.toFixed(1)}` : '—');
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  const notes: string[] = [];
  for (const d of datasets) {
    const splits = [...new Set(cells.filter((c) => c.dataset === d).flatMap((c) => c.splits))];
    for (const sp of splits) notes.push(`- ${d}: data = ${sp}`);
    if (cutOf(cells, d) > 0) notes.push(`- ${d} †: sequences longer than a model were cut to their first bases (the authors' truncation): up to ${(100 * cutOf(cells, d)).toFixed(1)} % of test bases unseen (the records' data.lengths; data.long = 'windows' uses them whole)`);
    if (cells.some((c) => c.dataset === d && c.macro)) notes.push(`- ${d}: more than two classes: its F1 is the macro-F1 (the mean of every class's F1), not F1 of class 1`);
  }
  for (const c of cells) {
    const reasons = [...new Set(c.notRun.map((n) => n.reason))];
    for (const r of reasons) notes.push(`- ${c.dataset} / ${armLabel(c.arm)}: not run — ${r}`);
    if (c.lrChoice) notes.push(`- ${c.dataset} / ${armLabel(c.arm)}: ${c.lrChoice}`);
    for (const w of c.warnings) notes.push(`- ${c.dataset} / ${armLabel(c.arm)}: ${w}`);
  }
  const marks = cells.some((c) => c.degenerate.length) ? ` ${DEGENERATE_NOTE}` : '';
  return lines.join('\n') + `\n\nTest F1 of class 1 in %, mean ± sample std over seeds.${marks}\n` + aurocMarkdown(cells, datasets, arms) + (notes.length ? '\n' + notes.join('\n') + '\n' : '');
}

/** The same runs' test AUROC, a table beside Table 2 (threshold-free: a model can rank well and still call one class). */
function aurocMarkdown(cells: Table2Cell[], datasets: string[], arms: string[]): string {
  const rows = datasets.filter((d) => cells.some((c) => c.dataset === d && c.auroc.n > 0));
  if (!rows.length) return '';
  const head = ['dataset', ...arms.map((a) => armLabel(a))];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const d of rows) lines.push(`| ${[d, ...arms.map((a) => formatStat(cells.find((x) => x.dataset === d && x.arm === a)!.auroc, 3))].join(' | ')} |`);
  return `\n${lines.join('\n')}\n\nTest AUROC of the same runs, mean ± sample std over seeds (the paper reports F1 only).\n`;
}

/** Long-format CSV, one row per dataset × model. */
export function table2Csv(cells: Table2Cell[]): string {
  return Papa.unparse(
    cells.map((c) => ({
      dataset: c.dataset,
      model: c.arm,
      n: c.f1.n,
      f1_mean: c.f1.n ? c.f1.mean.toFixed(4) : '',
      f1_std: Number.isFinite(c.f1.std) ? c.f1.std.toFixed(4) : '',
      accuracy_mean: c.accuracy.n ? c.accuracy.mean.toFixed(4) : '',
      accuracy_std: Number.isFinite(c.accuracy.std) ? c.accuracy.std.toFixed(4) : '',
      auroc_mean: c.auroc.n ? c.auroc.mean.toFixed(4) : '',
      auroc_std: Number.isFinite(c.auroc.std) ? c.auroc.std.toFixed(4) : '',
      paper_f1_mean: c.paper?.mean ?? '',
      paper_f1_std: c.paper?.std ?? '',
      seeds: c.seeds.join(' '),
      mean_train_seconds: c.seconds.n ? c.seconds.mean.toFixed(1) : '',
      backends: c.backends.join(' '),
      not_run: c.notRun.length ? c.notRun[0].reason : '',
    })),
  ) + '\n';
}

export interface ArmComparison {
  arm: string;
  f1: Stat;
  /** Mean F1 minus the baseline's, in points; NaN without runs of either. */
  delta: number;
  /** The difference exceeds the standard deviation of both arms. */
  beyondStd: boolean;
}

/** Each arm's test F1 (%) against a baseline arm (default dnabert-random), e.g. pretrained against random weights. */
export function compareArms(records: RunRecord[], baseline = 'dnabert-random'): ArmComparison[] {
  const done = records.filter((r) => r.status === 'done' && r.test);
  const stat = (a: string) => meanStd(done.filter((r) => armOfRecord(r) === a).map((r) => 100 * r.test!.f1));
  const base = stat(baseline);
  return armsOf(done)
    .filter((a) => done.some((r) => armOfRecord(r) === a))
    .map((arm) => {
      const f1 = stat(arm);
      const delta = f1.mean - base.mean;
      return { arm, f1, delta, beyondStd: arm !== baseline && Math.abs(delta) > Math.max(f1.std, base.std) };
    });
}
