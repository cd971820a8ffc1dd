/**
 * The run record: one JSON file per (dataset, profile, arm, seed) under
 * `results/runs/<dataset>/<profile>/<arm>/seed-<seed>.json`, written by the runner
 * (lib/training/runner.ts) and read back by the notebooks, Table 2, the ladder and the workflow for as
 * long as the results are kept. This module is its format: the type, the versions and their upgrades.
 *
 * Versions:
 * - 1: every record written up to this format's versioning. Its shape grew without a version change:
 *   the first records had no `arm` (it was the model) and no `data.sha256`; binary runs had no
 *   `test.matrix` (only `test.confusion`).
 * - 2: the same fields, every one present: `arm` always, `data.sha256` (null where the first
 *   records did not compute it), `test.matrix` always.
 * - 3: `dataConfig.long` and `dataConfig.windowStride` (what is done with sequences longer than the
 *   model; before, always the authors' truncation), and in a finished run `data.lengths`: per split, how
 *   many sequences were longer than the model's window and the share of bases beyond it.
 * - 4: a BERT run's `config.lrCandidates` (the peak rates its arm chose from; before, none: one rate)
 *   and `lrSelection` (the choice, by seed 1's validation loss; null where nothing was chosen).
 */
import { join } from 'node:path';
import type { ModelName, Profile } from '../config.js';
import type { recordedBackend } from '../backend.js';
import type { TrainResult } from './train-state.js';
import type { ClassificationReport } from '../metrics.js';
import type { LengthReport } from '../data/windows.js';
import { missingKeys, type ArtifactFormat, type Json } from './artifact.js';
import { readArtifact } from './read.js';

/** What a dnabert-pretrained run started from. */
export interface PretrainedSource {
  /** Portable path of the checkpoint folder. */
  checkpoint: string;
  /** The arm's tag: the folder name; null for the official weights. */
  tag: string | null;
  /** sha256 of the weights file read. */
  weightsSha256: string;
  /** From the folder's pretraining.json, when it was pretrained by this project. */
  pretraining?: { corpus: string; corpusSha256: string; config: string; steps: number; validLoss: number; maskedAccuracy: number; commit: string };
}

/** How an arm's peak learning rate was chosen: seed 1 at each candidate (a run of its own), the lowest validation loss. */
export interface LrSelection {
  /** The seed whose validation loss chose. */
  seed: number;
  /** Each candidate's run: its profile (`<profile>-lr<rate>`) and best validation loss. */
  candidates: { lr: number; profile: string; bestValidLoss: number; bestStep: number | null }[];
  chosen: number;
  /** For that seed's record: the selection run at the chosen rate it repeats (its path in the results folder, e.g. runs/<dataset>/quick-lr3e-4/dnabert-random/seed-1.json); null for the other seeds. */
  copiedFrom: string | null;
}

export const RUN_RECORD_SCHEMA = 4 as const;

export interface RunRecord {
  schema: typeof RUN_RECORD_SCHEMA;
  status: 'done' | 'not-run';
  reason?: string;
  dataset: string;
  model: ModelName;
  /** `model`, or `dnabert-pretrained.<tag>` for a checkpoint of one's own (see RunSpec.pretrained). */
  arm: string;
  seed: number;
  profile: string;
  pretrained?: PretrainedSource;
  data?: {
    /** Reader and portable path (lib/paths.ts): never an absolute path. */
    source: string;
    /** Content checksum of the data (see Dataset.sha256); null in the first records, which did not compute it. */
    sha256: string | null;
    split: string;
    validation: string;
    classes: string[];
    sizes: { train: number; valid: number; test: number };
    trainClassCounts: number[];
    /** What the model's input length kept of each split (absent before version 3). */
    lengths?: RecordedLengths;
  };
  modelDescription?: string;
  config: Profile['cnn'] | Profile['dnabert'] | null;
  dataConfig: Profile['data'];
  backend: ReturnType<typeof recordedBackend>;
  code: { commit: string; dirty: boolean };
  node: string;
  startedAt: string;
  finishedAt: string;
  training?: TrainResult;
  test?: ClassificationReport;
  /** Where the trained model was saved, if it was. */
  savedModel?: string;
  /** The arm's peak learning rate, where it was chosen (config.lrCandidates); null otherwise. */
  lrSelection: LrSelection | null;
  warnings: string[];
}

/** Version 1 → 2: the fields the first records lacked, as they were then (see the module comment). */
function upgradeV1(r: Json): Json {
  const data = r.data as Json | undefined;
  const test = r.test as (Json & { confusion: { tp: number; fp: number; tn: number; fn: number } }) | undefined;
  return {
    ...r,
    arm: r.arm ?? r.model,
    warnings: r.warnings ?? [],
    ...(data ? { data: { ...data, sha256: data.sha256 ?? null } } : {}),
    ...(test ? { test: { ...test, matrix: test.matrix ?? [[test.confusion.tn, test.confusion.fp], [test.confusion.fn, test.confusion.tp]] } } : {}),
  };
}

/** How the run met sequences longer than its model: the window in bp, the choice, and per split what truncation keeps (and the windows made). */
export interface RecordedLengths {
  window: number;
  long: Profile['data']['long'];
  train: LengthReport;
  valid: LengthReport;
  test: LengthReport;
  /** With long = 'windows': the rows each split became. */
  windows?: { train: number; valid: number; test: number };
}

/** Version 2 → 3: the runs before windows existed truncated long sequences. */
function upgradeV2(r: Json): Json {
  return { ...r, dataConfig: { long: 'truncate', windowStride: null, ...(r.dataConfig as Json) } };
}

/** Version 3 → 4: every BERT run before had its one peak rate, chosen by nobody. */
function upgradeV3(r: Json): Json {
  const config = r.config as Json | null | undefined;
  const bert = r.model !== 'cnn' && config && typeof config === 'object';
  return { ...r, lrSelection: null, ...(bert ? { config: { ...config, lrCandidates: config.lrCandidates ?? [] } } : {}) };
}

export const RUN_RECORD: ArtifactFormat<RunRecord> = {
  what: 'run record',
  current: RUN_RECORD_SCHEMA,
  upgrades: { 1: upgradeV1, 2: upgradeV2, 3: upgradeV3 },
  remedy: 'Restore it (git checkout -- <file>, for a committed record) or delete it: the next npm run experiment or make reproduce runs that seed again',
  check(r) {
    const missing = missingKeys(r, { status: 'string', dataset: 'string', model: 'string', arm: 'string', seed: 'number', profile: 'string', warnings: 'array' });
    if (r.status === 'done') missing.push(...missingKeys(r, { data: 'object', training: 'object', test: 'object' }));
    return missing.length ? `missing ${missing.join(', ')}` : null;
  },
};

/** The record of one run: `<results>/runs/<dataset>/<profile>/<arm>/seed-<seed>.json` (arm: see armOf in lib/training/runner.ts). */
export function recordPath(resultsDir: string, dataset: string, profile: string, arm: string, seed: number): string {
  return join(resultsDir, 'runs', dataset, profile, arm, `seed-${seed}.json`);
}

/** The record at `path` in the current version (older ones upgraded), or null where there is none; an unreadable one is an ArtifactError. */
export function readRecord(path: string): RunRecord | null {
  return readArtifact(RUN_RECORD, path);
}
