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

export const RUN_RECORD_SCHEMA = 3 as const;

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

export const RUN_RECORD: ArtifactFormat<RunRecord> = {
  what: 'run record',
  current: RUN_RECORD_SCHEMA,
  upgrades: { 1: upgradeV1, 2: upgradeV2 },
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
