/**
 * The compute ladder of the pretraining study: does pretraining pay off, and from how many tokens?
 *
 * Arms: random weights, and each snapshot of one pretraining run (PretrainConfig.snapshotSteps, e.g.
 * results/pretrained/ladder/genome-step300). For every labelled-set size (LADDER_SIZES) and arm, the
 * peak learning rate is chosen from LADDER_RATES by the arm's own validation loss at the first seed;
 * the other seeds then run at that rate. Every run is one `runExperiment` (records, checkpoints and
 * locks as everywhere: resumable, skipped when done), filed under the profile `ladder-n<size>-lr<rate>`.
 *
 * The summary pairs each arm with random weights seed by seed (both see the same data splits and order)
 * and gives Δ F1 and Δ AUROC (pretrained − random) with a 95 % t interval over seeds. AUROC is
 * threshold-free: a pretrained arm's F1 can move with its calibration alone.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { LADDER_RATES, LADDER_SIZES, ladderProfile, tokensPerStep, type ModelName } from '../config.js';
import { datasetKey } from '../data/load.js';
import { armOf, runExperiment } from '../training/runner.js';
import { readRecord, recordPath, type RunRecord } from '../records/run-record.js';
import { RunLockedError } from '../training/lock.js';
import { readPretrainRecord, type PretrainRecord } from '../records/pretrain-record.js';

export interface LadderArm {
  /** `dnabert-random` or `dnabert-pretrained.<snapshot folder>`. */
  arm: string;
  model: ModelName;
  /** The snapshot folder (none for random weights). */
  pretrained?: string;
  /** Pretraining steps and k-mer tokens seen (0 for random weights). */
  steps: number;
  tokens: number;
  pretraining?: PretrainRecord;
}

/**
 * Random weights, then every snapshot of the pretraining run written to `runDir` and of the runs beside it
 * that continue its name (`genome-gpu` beside `genome`: the same ladder at a GPU's batch), by the
 * tokens each had seen.
 */
export function ladderArms(runDir: string): LadderArm[] {
  const parent = dirname(runDir), name = basename(runDir);
  const arms: LadderArm[] = [{ arm: 'dnabert-random', model: 'dnabert-random', steps: 0, tokens: 0 }];
  if (!existsSync(parent)) return arms;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const snapshots = readdirSync(parent)
    .filter((f) => new RegExp(`^${escaped}(-[A-Za-z0-9_.]+)?-step\\d+$`).test(f))
    .map((f) => ({ dir: join(parent, f), record: readPretrainRecord(join(parent, f)) }))
    .filter((x): x is { dir: string; record: PretrainRecord } => x.record !== null)
    .map((s) => ({ ...s, tokens: s.record.training.steps * tokensPerStep(s.record.config) }))
    .sort((a, b) => a.tokens - b.tokens || a.dir.localeCompare(b.dir));
  for (const s of snapshots) {
    arms.push({ arm: armOf('dnabert-pretrained', s.dir), model: 'dnabert-pretrained', pretrained: s.dir, steps: s.record.training.steps, tokens: s.tokens, pretraining: s.record });
  }
  return arms;
}

export interface LadderOptions {
  dataset: string;
  runDir: string;
  seeds: number[];
  resultsDir: string;
  sizes?: readonly number[];
  rates?: readonly number[];
  /** Only read the records there are (DNABERT_RECORDS_ONLY): train nothing. */
  recordsOnly?: boolean;
  log?: (line: string) => void;
  /** Seconds to wait before another pass when every run left is held by another process (default 30). */
  waitSeconds?: number;
  /** How one run is trained (tests replace it); runExperiment by default. */
  experiment?: typeof runExperiment;
}

export interface LadderCell {
  size: number;
  arm: LadderArm;
  /** seed 1's record at each rate (null where it is not there yet). */
  selection: { lr: number; record: RunRecord | null }[];
  /** The rate chosen by seed 1's lowest validation loss, once every rate has a record. */
  lr: number | null;
  /** The records at the chosen rate, by seed (null where missing). */
  runs: (RunRecord | null)[];
}

function done(r: RunRecord | null): RunRecord | null {
  return r?.status === 'done' ? r : null;
}

/**
 * Run (or read) the ladder: every size × arm, the rate selection at the first seed, then the other seeds.
 *
 * Several processes can share it (one per core, or one sbatch job each): a run another process holds
 * (its run lock) is passed over, and the pass is repeated until every run is done; when nothing is left
 * but runs held elsewhere, this process waits `waitSeconds` between passes. A run that depends on a held
 * one (the seeds after a rate selection still in progress) waits with it.
 */
export async function runLadder(o: LadderOptions): Promise<LadderCell[]> {
  const log = o.log ?? console.log;
  const told = new Set<string>();
  for (;;) {
    const pass = await ladderPass(o, log, told);
    if (pass.held === 0) return pass.cells;
    if (pass.trained === 0) {
      log(`ladder: ${pass.held} run(s) held by other processes; looking again in ${o.waitSeconds ?? 30} s`);
      await new Promise((r) => setTimeout(r, 1000 * (o.waitSeconds ?? 30)));
    }
  }
}

async function ladderPass(o: LadderOptions, log: (line: string) => void, told: Set<string>): Promise<{ cells: LadderCell[]; held: number; trained: number }> {
  const sizes = o.sizes ?? LADDER_SIZES, rates = o.rates ?? LADDER_RATES;
  const key = datasetKey(o.dataset);
  const experiment = o.experiment ?? runExperiment;
  const cells: LadderCell[] = [];
  let held = 0, trained = 0;
  const run = async (a: LadderArm, profile: string, seed: number): Promise<RunRecord | null> => {
    const path = recordPath(o.resultsDir, key, profile, a.arm, seed);
    if (o.recordsOnly) return done(readRecord(path));
    let result: Awaited<ReturnType<typeof runExperiment>>;
    try {
      result = await experiment({ dataset: o.dataset, model: a.model, seed, profile, resultsDir: o.resultsDir, pretrained: a.pretrained });
    } catch (e) {
      if (!(e instanceof RunLockedError)) throw e;
      held++;
      log(`${profile} · ${a.arm} · seed ${seed} — being trained by pid ${e.holder.pid} on ${e.holder.host}; passing it over`);
      return null;
    }
    const { record, skipped } = result;
    if (!skipped) trained++;
    if (told.has(path)) return done(record);
    told.add(path);
    log(`${profile} · ${a.arm} · seed ${seed} — ${skipped ? 'already done' : 'done'}: validation loss ${record.training?.bestValidLoss?.toFixed(4)}, F1 ${(100 * (record.test?.f1 ?? NaN)).toFixed(1)}%, AUROC ${(record.test?.auroc ?? NaN).toFixed(3)}`);
    return done(record);
  };
  for (const size of sizes) {
    // random weights, then the snapshots from the longest pretraining down: a ladder stopped part-way has
    // the widest comparison first (the cells come back by tokens, as always)
    const arms = ladderArms(o.runDir);
    for (const a of [arms[0], ...arms.slice(1).reverse()]) {
      const selection: LadderCell['selection'] = [];
      for (const lr of rates) selection.push({ lr, record: await run(a, ladderProfile(size, lr), o.seeds[0]) });
      const complete = selection.every((s) => s.record?.training?.bestValidLoss != null);
      const lr = complete ? selection.reduce((b, s) => (s.record!.training!.bestValidLoss! < b.record!.training!.bestValidLoss! ? s : b)).lr : null;
      const runs: (RunRecord | null)[] = [];
      for (const seed of o.seeds) {
        if (lr === null) runs.push(null);
        else if (seed === o.seeds[0]) runs.push(selection.find((s) => s.lr === lr)!.record);
        else runs.push(await run(a, ladderProfile(size, lr), seed));
      }
      cells.push({ size, arm: a, selection, lr, runs });
    }
  }
  cells.sort((x, y) => sizes.indexOf(x.size) - sizes.indexOf(y.size) || x.arm.steps - y.arm.steps);
  return { cells, held, trained };
}

/** Two-sided 95 % quantiles of Student's t by degrees of freedom (1–10). */
const T975 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/** Mean and 95 % t interval of paired differences (NaN bounds below 2 pairs). */
export function pairedInterval(diffs: number[]): Interval {
  const n = diffs.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, n };
  const m = mean(diffs);
  if (n < 2) return { mean: m, lo: NaN, hi: NaN, n };
  const t = T975[n - 1] ?? 1.96;
  const half = (t * sampleStandardDeviation(diffs)) / Math.sqrt(n);
  return { mean: m, lo: m - half, hi: m + half, n };
}

export interface LadderRow {
  size: number;
  arm: string;
  steps: number;
  tokens: number;
  lr: number | null;
  seeds: number;
  f1: { mean: number; sd: number };
  auroc: { mean: number; sd: number };
  /** Pretrained − random, paired by seed (absent for the random arm). */
  deltaF1?: Interval;
  deltaAuroc?: Interval;
  /** MLM validation loss and masked-token accuracy of the snapshot. */
  mlm?: { validLoss: number; maskedAccuracy: number };
}

function meanSd(xs: number[]): { mean: number; sd: number } {
  return { mean: xs.length ? mean(xs) : NaN, sd: xs.length > 1 ? sampleStandardDeviation(xs) : NaN };
}

/** One row per size × arm; F1 and AUROC in [0, 1]. */
export function ladderRows(cells: LadderCell[]): LadderRow[] {
  return cells.map((c) => {
    const runs = c.runs.filter((r): r is RunRecord => r !== null);
    const row: LadderRow = {
      size: c.size, arm: c.arm.arm, steps: c.arm.steps, tokens: c.arm.tokens, lr: c.lr, seeds: runs.length,
      f1: meanSd(runs.map((r) => r.test!.f1)), auroc: meanSd(runs.map((r) => r.test!.auroc)),
      ...(c.arm.pretraining ? { mlm: { validLoss: c.arm.pretraining.final.validLoss, maskedAccuracy: c.arm.pretraining.final.maskedAccuracy } } : {}),
    };
    if (c.arm.model !== 'dnabert-random') {
      const random = cells.find((x) => x.size === c.size && x.arm.model === 'dnabert-random');
      const pairs = c.runs.map((r, i) => [r, random?.runs[i] ?? null] as const).filter((p): p is readonly [RunRecord, RunRecord] => p[0] !== null && p[1] !== null);
      row.deltaF1 = pairedInterval(pairs.map(([p, r]) => p.test!.f1 - r.test!.f1));
      row.deltaAuroc = pairedInterval(pairs.map(([p, r]) => p.test!.auroc - r.test!.auroc));
    }
    return row;
  });
}

/** Seed 1 of every arm at every rate: how much of Δ the rate alone makes. */
export function rateRows(cells: LadderCell[]): { size: number; arm: string; lr: number; validLoss: number | null; f1: number | null; auroc: number | null; chosen: boolean }[] {
  return cells.flatMap((c) => c.selection.map((s) => ({
    size: c.size, arm: c.arm.arm, lr: s.lr,
    validLoss: s.record?.training?.bestValidLoss ?? null, f1: s.record?.test?.f1 ?? null, auroc: s.record?.test?.auroc ?? null, chosen: s.lr === c.lr,
  })));
}

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '–');
const interval = (i?: Interval, scale = 100, digits = 1) =>
  !i || !Number.isFinite(i.mean) ? '–' : `${(scale * i.mean).toFixed(digits)}${Number.isFinite(i.lo) ? ` [${(scale * i.lo).toFixed(digits)}, ${(scale * i.hi).toFixed(digits)}]` : ''}`;

/** The ladder as a Markdown table (F1 and Δ F1 in points, AUROC and Δ AUROC in hundredths). */
export function ladderMarkdown(rows: LadderRow[]): string {
  const head = '| labelled | arm | pretraining tokens | peak lr | seeds | F1 % | AUROC | Δ F1 (95 % CI) | Δ AUROC ×100 (95 % CI) |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|';
  const body = rows.map((r) => `| ${r.size.toLocaleString('en')} | ${r.arm} | ${r.tokens ? `${(r.tokens / 1e6).toFixed(2)} M` : '—'} | ${r.lr ?? '–'} | ${r.seeds} | ${pct(r.f1.mean)} ± ${pct(r.f1.sd)} | ${Number.isFinite(r.auroc.mean) ? r.auroc.mean.toFixed(3) : '–'} | ${interval(r.deltaF1)} | ${interval(r.deltaAuroc)} |`);
  return [head, ...body].join('\n');
}

/**
 * What the ladder says, in sentences computed from its rows: per labelled-set size, the snapshots
 * whose 95 % interval of Δ F1 or Δ AUROC lies above 0, below 0, or includes it — whatever the sign.
 */
export function ladderVerdict(rows: LadderRow[]): string[] {
  const out: string[] = [];
  for (const size of [...new Set(rows.map((r) => r.size))]) {
    const pts = rows.filter((r) => r.size === size && r.deltaF1 && r.deltaF1.n >= 2 && Number.isFinite(r.deltaF1.lo));
    if (!pts.length) continue;
    const say = (what: 'deltaF1' | 'deltaAuroc', name: string, scale: number) => {
      const side = (r: LadderRow) => (r[what]!.lo > 0 ? 'above' : r[what]!.hi < 0 ? 'below' : 'spans');
      const by = (s: string) => pts.filter((r) => side(r) === s).map((r) => `${(r.tokens / 1e6).toFixed(2)} M tokens (${(scale * r[what]!.mean).toFixed(1)}, ${r[what]!.n} paired seeds)`);
      const parts = [
        by('above').length ? `lies above 0 at ${by('above').join(', ')}` : '',
        by('below').length ? `lies below 0 at ${by('below').join(', ')}` : '',
        by('spans').length ? `includes 0 at ${by('spans').join(', ')}` : '',
      ].filter(Boolean);
      return `${name}: the 95 % interval ${parts.join('; ')}`;
    };
    out.push(`${size.toLocaleString('en')} labelled sequences — ${say('deltaF1', 'Δ F1 (points)', 100)}. ${say('deltaAuroc', 'Δ AUROC (×100)', 100)}.`);
  }
  return out;
}

/** Seed 1 of every arm at every rate as a Markdown table (`onlyRun`: just the runs there are). */
export function rateMarkdown(rows: ReturnType<typeof rateRows>, onlyRun = false): string {
  const shown = onlyRun ? rows.filter((r) => r.validLoss !== null) : rows;
  return [
    '| labelled | arm | peak lr | validation loss | F1 % | AUROC | chosen |',
    '|---:|---|---:|---:|---:|---:|:---:|',
    ...shown.map((r) => `| ${r.size.toLocaleString('en')} | ${r.arm} | ${r.lr} | ${r.validLoss?.toFixed(4) ?? '–'} | ${r.f1 === null ? '–' : (100 * r.f1).toFixed(1)} | ${r.auroc?.toFixed(3) ?? '–'} | ${r.chosen ? '✓' : ''} |`),
  ].join('\n');
}

/** The labelled data the ladder fine-tunes on by default: the bundled human_nontata_promoters holdout. */
export const LADDER_DATASET = 'data/bundled/human_nontata_promoters.test-split.tsv.gz';
