/**
 * What the training engine (lib/training/train.ts) reports and what it leaves behind to resume: the
 * result of a run (its validation history, kept in run and pretraining records) and the checkpoint's
 * `state.json` (position in the run, early-stopping state, history), which sits beside the weights,
 * optimizer moments and best weights in safetensors files.
 *
 * Versions of `state.json`:
 * - 1: no `schema` field (every checkpoint written before this format's versioning); the fields below.
 * - 2: the same fields, with `schema`.
 */
import { join } from 'node:path';
import { missingKeys, type ArtifactFormat } from './artifact.js';
import { readArtifact } from './read.js';

export interface EvalPoint {
  step: number;
  epoch: number;
  validLoss: number;
  trainLoss: number;
  lr: number;
  /** Further validation metrics, where `validate` gives them (e.g. masked-token accuracy). */
  metrics?: Record<string, number>;
}

export interface TrainResult {
  steps: number;
  epochs: number;
  bestStep: number | null;
  bestValidLoss: number | null;
  stoppedEarly: boolean;
  history: EvalPoint[];
  resumedFromStep: number | null;
  seconds: number;
}

export const TRAIN_STATE_SCHEMA = 2 as const;

export interface TrainState {
  schema: typeof TRAIN_STATE_SCHEMA;
  step: number;
  epoch: number;
  /** Micro-batches of the current epoch already done. */
  micro: number;
  bestLoss: number | null;
  bestStep: number | null;
  badEvals: number;
  history: EvalPoint[];
  trainLossSum: number;
  trainLossCount: number;
  stoppedEarly: boolean;
  done: boolean;
  seconds: number;
}

export const TRAIN_STATE: ArtifactFormat<TrainState> = {
  what: 'training checkpoint state',
  current: TRAIN_STATE_SCHEMA,
  unversioned: 1,
  upgrades: { 1: (s) => s },
  remedy: 'Delete the checkpoint folder to train this run from the start (its finished record, if any, is kept)',
  check(s) {
    const missing = missingKeys(s, { step: 'number', epoch: 'number', micro: 'number', badEvals: 'number', history: 'array', done: 'boolean', seconds: 'number' });
    return missing.length ? `missing ${missing.join(', ')}` : null;
  },
};

/** The state of the checkpoint in `dir`, or null where there is none. */
export function readTrainState(dir: string): TrainState | null {
  return readArtifact(TRAIN_STATE, join(dir, 'state.json'));
}
