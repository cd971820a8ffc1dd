/**
 * The pretraining record, `pretraining.json` in a pretrained checkpoint folder (and in each of its
 * snapshots), written by lib/pretrain/pretrain.ts and read back by the runner (the provenance of a
 * dnabert-pretrained arm), the ladder and notebook 07. This module is its format.
 *
 * Versions:
 * - 1: up to this format's versioning. Records written before schedules and snapshots existed have no
 *   `config.schedule` and no `config.snapshotSteps`: they ran linear decay to zero at the last step and
 *   saved no snapshots.
 * - 2: `config.schedule` and `config.snapshotSteps` always present.
 */
import { join } from 'node:path';
import type { PretrainConfig } from '../config.js';
import type { recordedBackend } from '../backend.js';
import type { TrainResult } from './train-state.js';
import { missingKeys, type ArtifactFormat, type Json } from './artifact.js';
import { readArtifact } from './read.js';

export const RECORD_FILE = 'pretraining.json';
export const PRETRAIN_RECORD_SCHEMA = 2 as const;

export interface PretrainRecord {
  schema: typeof PRETRAIN_RECORD_SCHEMA;
  status: 'done';
  corpus: { spec: string; source: string; sha256: string; kind: 'fasta' | 'table' | 'dataset'; description: string; bases?: number; usableBases?: number };
  config: PretrainConfig;
  seed: number;
  model: string;
  backend: ReturnType<typeof recordedBackend>;
  code: { commit: string; dirty: boolean };
  node: string;
  startedAt: string;
  finishedAt: string;
  training: TrainResult;
  /** The last validation: token-level MLM loss, its perplexity, and the share of masked tokens predicted right. */
  final: { validLoss: number; perplexity: number; maskedAccuracy: number };
  tokensPerSecond: number;
  /** sha256 of the saved model.safetensors (the fine-tuning records name the same). */
  weightsSha256?: string;
  /** For a snapshot (PretrainConfig.snapshotSteps): the run's output folder; `training` and `final` are the run's up to the snapshot's step. */
  snapshotOf?: string;
}

/** What a version-1 record's configuration implied for the keys it lacked. */
export const PRETRAIN_V1_DEFAULTS: Pick<PretrainConfig, 'schedule' | 'snapshotSteps'> = { schedule: 'linear-decay', snapshotSteps: [] };

export const PRETRAIN_RECORD: ArtifactFormat<PretrainRecord> = {
  what: 'pretraining record',
  current: PRETRAIN_RECORD_SCHEMA,
  upgrades: { 1: (r) => ({ ...r, config: { ...PRETRAIN_V1_DEFAULTS, ...(r.config as Json) } }) },
  remedy: 'Restore it (git checkout -- <file>, for a committed run) or delete the folder to pretrain again',
  check(r) {
    const missing = missingKeys(r, { corpus: 'object', config: 'object', seed: 'number', training: 'object', final: 'object' });
    if (!missing.length) missing.push(...missingKeys(r.config as Json, { name: 'string', steps: 'number', schedule: 'string', snapshotSteps: 'array' }).map((k) => `config.${k}`));
    return missing.length ? `missing ${missing.join(', ')}` : null;
  },
};

/** The finished record in the checkpoint folder `dir` (older versions upgraded), or null. */
export function readPretrainRecord(dir: string): PretrainRecord | null {
  return readArtifact(PRETRAIN_RECORD, join(dir, RECORD_FILE));
}
