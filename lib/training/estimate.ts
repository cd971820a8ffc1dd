/**
 * How long a notebook's training will take, measured rather than guessed: a few training steps and
 * one evaluation batch of each model with runs left, on this machine's backend, multiplied by the
 * work the profile asks for (optimizer steps, validation passes, the test pass). Early stopping can
 * end a run sooner, so the figure is an upper bound.
 */
import { performance } from 'node:perf_hooks';
import { median } from 'simple-statistics';
import { resolveProfile, selectionProfile, type ModelName } from '../config.js';
import { datasetKey } from '../data/load.js';
import { PretrainedUnavailableError } from '../checkpoint/hub.js';
import { activeBackend, armOf, buildModel, longSequences, prepareData, rows, trainOptions } from './runner.js';
import { readRecord, recordPath } from '../records/run-record.js';
import { predictRows, stepsPerEpoch, train } from './train.js';
import type { LabelledRows } from '../models/adapters.js';
import { subset } from '../data/dataset.js';

export interface ModelEstimate {
  model: ModelName;
  /** Runs of this model not yet recorded as done (with the learning-rate selection's, where the profile has one). */
  pending: number;
  /** Upper bound of one run in seconds; null where the model cannot run (the reason says why). */
  secondsPerRun: number | null;
  reason?: string;
  /** The work one run does at most. */
  steps: number;
  forwardSequences: number;
}

export interface MatrixEstimate {
  models: ModelEstimate[];
  totalSeconds: number;
}

function firstRows(r: LabelledRows, n: number): LabelledRows {
  const k = Math.min(n, r.enc.n);
  const w = r.enc.width;
  return { enc: { n: k, width: w, ids: r.enc.ids.subarray(0, k * w), mask: r.enc.mask ? r.enc.mask.subarray(0, k * w) : null }, labels: r.labels.subarray(0, k) };
}

async function seconds(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

/**
 * Measure each model with pending runs and scale to the profile's work; runs already done cost nothing.
 * `progress` gets a line before each model's first step and after every timed step (a BERT-base step
 * at the authors' batch takes most of a minute on a laptop CPU).
 */
export async function estimateMatrix(o: { dataset: string; profile: string; seeds: number[]; models: readonly ModelName[]; resultsDir: string; pretrained?: string; timedSteps?: number; progress?: (line: string) => void }): Promise<MatrixEstimate> {
  await activeBackend(); // time on the backend the runs will use
  const key = datasetKey(o.dataset);
  const p = resolveProfile(o.profile, key);
  const timed = o.timedSteps ?? 3;
  const say = o.progress ?? (() => {});
  const out: ModelEstimate[] = [];
  for (const model of o.models) {
    const pretrained = model === 'dnabert-pretrained' ? o.pretrained : undefined;
    const arm = armOf(model, pretrained);
    const left = o.seeds.filter((seed) => readRecord(recordPath(o.resultsDir, key, p.name, arm, seed))?.status !== 'done');
    // a BERT arm that chooses its peak rate: the first seed's run is the selection run at the chosen rate
    const rates = model === 'cnn' ? [] : p.dnabert.lrCandidates;
    const selecting = rates.length > 0 && left.includes(p.seeds[0]);
    const selectionLeft = selecting ? rates.filter((lr) => readRecord(recordPath(o.resultsDir, key, selectionProfile(p.name, lr), arm, p.seeds[0]))?.status !== 'done').length : 0;
    const pending = left.length - (selecting ? 1 : 0) + selectionLeft;
    if (!pending) {
      out.push({ model, pending, secondsPerRun: 0, steps: 0, forwardSequences: 0 });
      continue;
    }
    const seed = o.seeds[0];
    const data = prepareData({ dataset: o.dataset, seed }, p);
    let built;
    try {
      built = await buildModel({ model, seed, pretrained }, p, data);
    } catch (e) {
      if (!(e instanceof PretrainedUnavailableError)) throw e;
      // no selection runs without the weights: each seed records why
      out.push({ model, pending: left.length, secondsPerRun: null, reason: 'pretrained weights unavailable (recorded as not run)', steps: 0, forwardSequences: 0 });
      continue;
    }
    const { adapter, config } = built;
    try {
      // a first step to warm up (allocation, kernel set-up), then steps that cover `timed` micro-batches: for
      // the authors' 12 × 4 one step after the warm-up (each step takes most of a minute on a laptop CPU)
      const opts = { ...trainOptions(model, p, seed), validation: false, quiet: true, maxEpochs: 1 };
      const total = 1 + Math.ceil(timed / config.gradAccum);
      const batchRows = config.batchSize * config.gradAccum;
      const sample = rows(adapter, subset(data.train, Array.from({ length: Math.min(data.train.seqs.length, batchRows * total) }, (_, i) => i)));
      say(`timing ${model}: ${total} training steps of ${batchRows} sequences, the first to warm up, then one evaluation batch`);
      const t0 = performance.now();
      const ends: number[] = [];
      await train(adapter, sample, null, {
        ...opts,
        maxSteps: total,
        onStep: (step) => {
          ends.push(performance.now());
          say(`timing ${model}: step ${step} of ${total}, ${((ends[ends.length - 1] - t0) / 1000).toFixed(0)} s`);
        },
      });
      // the median step after the first (a second short step can still be warming up)
      const durations = ends.slice(1).map((end, i) => (end - ends[i]) / 1000);
      const perStep = durations.length ? median(durations) : (performance.now() - t0) / 1000;
      const evalRows = firstRows(sample, config.batchSize * 2);
      const perSeq = (await seconds(() => predictRows(adapter, evalRows, config.batchSize * 2))) / evalRows.enc.n;

      const long = longSequences(adapter, p, data); // windows, where the profile asks for them, are the rows trained and evaluated
      const perEpoch = stepsPerEpoch(long.train.seqs.length, config.batchSize, config.gradAccum);
      const steps = Math.min(config.maxSteps ?? Infinity, perEpoch * config.maxEpochs);
      const evals = config.validation ? Math.floor(steps / config.evalEvery) : 0;
      const forwardSequences = evals * long.valid.seqs.length + long.test.windows.seqs.length;
      out.push({ model, pending, secondsPerRun: steps * perStep + forwardSequences * perSeq, steps, forwardSequences });
    } finally {
      adapter.dispose();
    }
  }
  return { models: out, totalSeconds: out.reduce((a, m) => a + m.pending * (m.secondsPerRun ?? 0), 0) };
}

/** The limit on the requested runs' expected hours: `--max-hours`, else MAX_HOURS, else 12. */
export const DEFAULT_MAX_HOURS = 12;

export function maxHours(option?: number): number {
  if (option !== undefined) return option;
  const env = process.env.MAX_HOURS;
  if (env === undefined || env.trim() === '') return DEFAULT_MAX_HOURS;
  const h = Number(env);
  if (!(h > 0)) throw new Error(`MAX_HOURS=${env}: give a number of hours above 0 (the limit on the expected duration of the requested runs)`);
  return h;
}

/**
 * Null where the estimate is within `hours`; else what it costs here, what this machine is and what to
 * do instead, for a stop before any training.
 */
export function overBudget(e: MatrixEstimate, hours: number, machine: { backend: string; device: string; cores: number; gpu: boolean }): string | null {
  if (e.totalSeconds <= hours * 3600) return null;
  return [
    `the requested runs would take up to ${duration(e.totalSeconds)} here, above the limit of ${hours} h; nothing was trained and no record written.`,
    `This machine: ${machine.cores} CPU cores, backend ${machine.backend} on ${machine.device}${machine.gpu ? '' : '; no GPU found'}.`,
    'Instead: the quick profile (--profile quick; make reproduce), which is sized for a CPU;',
    'the torch backend on a CUDA GPU (make torch, then DNABERT_BACKEND=torch; environment.md);',
    'the Slurm workflow on a cluster (workflow/README.md), whose jobs take their time limit as this limit;',
    `or run it here anyway with --max-hours ${Math.ceil(e.totalSeconds / 3600) + 1} (MAX_HOURS=${Math.ceil(e.totalSeconds / 3600) + 1} for make reproduce and the notebooks).`,
  ].join('\n');
}

function duration(s: number): string {
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** One line per model and a total, e.g. "dnabert-random: 5 runs × ≤ 7 min (300 steps, 3,110 sequences evaluated)". */
export function formatEstimate(e: MatrixEstimate): string {
  const lines = e.models.map((m) => {
    if (!m.pending) return `${m.model}: all runs done`;
    if (m.secondsPerRun === null) return `${m.model}: ${m.pending} run(s) — ${m.reason}`;
    return `${m.model}: ${m.pending} run(s) × ≤ ${duration(m.secondsPerRun)} (${m.steps.toLocaleString('en')} steps, ${m.forwardSequences.toLocaleString('en')} sequences evaluated)`;
  });
  return [`expected duration: at most ${duration(e.totalSeconds)} (measured on this machine; early stopping can end runs sooner)`, ...lines.map((l) => `  ${l}`)].join('\n');
}
