/**
 * Experiment configuration as typed code: every default in one place, with a comment saying where it
 * comes from. A profile is a named set of overrides; per-dataset overrides refine a profile. Unknown
 * keys are rejected everywhere, so a typo cannot silently fall back to a default.
 *
 * Where the authors' training code (run.py / training.py) and the paper's text disagree, the default
 * follows the code and the comment says so.
 */
import type { CnnLoss } from './models/cnn.js';
import { datasetFor } from './data/registry.js';

/** Learning-rate schedules by name (lib/training/optim.ts): `linear-decay` needs the run's last step; the others do not. */
export const SCHEDULES = ['linear-decay', 'constant', 'inverse-sqrt'] as const;
export type Schedule = (typeof SCHEDULES)[number];

export const MODELS = ['cnn', 'dnabert-random', 'dnabert-pretrained'] as const;
export type ModelName = (typeof MODELS)[number];

export interface DataConfig {
  /** Validation = this fraction of train (authors' code: eval_dset_ratio 0.2). */
  validFraction: number;
  /** false: the last fraction of a seeded shuffle (authors' code); true: stratified by class. */
  stratifiedValid: boolean;
  /** For data that arrives as one labelled table: held-out test fraction and the seed of that split. */
  holdoutTestFraction: number;
  holdoutSeed: number;
  /** Optional caps (seeded, stratified subsets) for CPU-feasible runs; null = all. */
  maxTrain: number | null;
  maxValid: number | null;
  maxTest: number | null;
  /**
   * A sequence longer than the model's input: 'truncate' keeps its first bases, as the authors' code did
   * (tokenizer truncation; the record and Table 2 say how much was cut), 'windows' uses all of it:
   * windows of the model's length, each with the sequence's label in training, their probabilities
   * averaged per sequence in evaluation (lib/data/windows.ts).
   */
  long: 'truncate' | 'windows';
  /** The windows' stride in bp; null: half a window. */
  windowStride: number | null;
}

export interface EngineConfig {
  batchSize: number;
  gradAccum: number;
  /** Evaluate on the validation split every this many optimizer steps. */
  evalEvery: number;
  /** Stop after this many evaluations without a lower validation loss (HF EarlyStoppingCallback). */
  patience: number;
  maxEpochs: number;
  /** Optional hard cap on optimizer steps; null = none. */
  maxSteps: number | null;
  /** false: train on all of train for maxEpochs, keep the final model (no validation). */
  validation: boolean;
  /** Write a resumable checkpoint every this many evaluations (0 = never). */
  checkpointEvery: number;
}

export interface DnabertConfig extends EngineConfig {
  /** Overrides of the DNABERT-6 architecture for dnabert-random (pretrained always uses the checkpoint's). */
  architecture: {
    hidden_size?: number;
    num_hidden_layers?: number;
    num_attention_heads?: number;
    intermediate_size?: number;
    /** Dropout off (0) for deterministic comparisons, e.g. the pretraining fidelity check against PyTorch. */
    hidden_dropout_prob?: number;
    attention_probs_dropout_prob?: number;
  };
  k: number;
  /** Token positions; 'authors' = longest training sequence in bp, capped at 512 (authors' code). */
  maxLen: number | 'authors';
  /** Authors' code passed an all-ones attention mask (attended to [PAD]); default masks padding. */
  attendToPadding: boolean;
  /** Peak learning rate 2e-4 after linear warmup (authors' code); used as given when `lrCandidates` is empty. */
  peakLr: number;
  /**
   * Peak learning rates to choose from, per arm: seed 1 runs at each (a run of its own, filed under the
   * profile `<profile>-lr<rate>`), the rate with the lowest validation loss is recorded and the arm's seeds
   * run at it. Empty: `peakLr` (the authors' code has one rate).
   */
  lrCandidates: number[];
  warmupSteps: number;
  /** Decoupled weight decay: 0.01 in the authors' code (the paper's text says 0.1). */
  weightDecay: number;
  maxGradNorm: number;
}

export interface CnnTrainConfig extends EngineConfig {
  /** Adam learning rate (paper: 1e-3, the torch default). */
  lr: number;
  weightDecay: number;
  /** 'bce-logits' (correct, default) or 'double-sigmoid' (the package's paper-time behaviour). */
  loss: CnnLoss;
}

export interface Profile {
  name: string;
  description: string;
  seeds: number[];
  data: DataConfig;
  cnn: CnnTrainConfig;
  dnabert: DnabertConfig;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type ProfileOverride = DeepPartial<Omit<Profile, 'name' | 'description'>>;

/** The authors' recipe, on full data, 5 seeds. */
const PAPER: Profile = {
  name: 'paper',
  description: "the authors' recipe (run.py / training.py) on full data, 5 seeds",
  seeds: [1, 2, 3, 4, 5],
  data: { validFraction: 0.2, stratifiedValid: false, holdoutTestFraction: 0.3, holdoutSeed: 0, maxTrain: null, maxValid: null, maxTest: null, long: 'truncate', windowStride: null },
  dnabert: {
    architecture: {},
    k: 6,
    maxLen: 'authors',
    attendToPadding: false,
    batchSize: 12, // per device
    gradAccum: 4, // effective batch 48
    peakLr: 2e-4,
    lrCandidates: [],
    warmupSteps: 5000,
    weightDecay: 0.01,
    maxGradNorm: 1.0,
    evalEvery: 100,
    patience: 20,
    maxEpochs: 500,
    maxSteps: null,
    validation: true,
    checkpointEvery: 5,
  },
  cnn: {
    // paper: Adam, lr 1e-3, batch 32; the package's notebooks ran 10 epochs without validation.
    // Default here: the same, plus early stopping on the validation split like the BERT runs.
    lr: 1e-3,
    weightDecay: 0,
    loss: 'bce-logits',
    batchSize: 32,
    gradAccum: 1,
    evalEvery: 100,
    patience: 20,
    maxEpochs: 10,
    maxSteps: null,
    validation: true,
    checkpointEvery: 5,
  },
};

/**
 * The 4-layer BERT (4 × 128) and schedule that the pretraining study's fine-tuning (LOWDATA and the ladder)
 * keeps: peak learning rate 1e-3 after 30 warmup steps, validation every 60 steps, one epoch.
 */
const SMALL_BERT: NonNullable<ProfileOverride['dnabert']> = {
  architecture: { hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 512 },
  batchSize: 16,
  gradAccum: 1,
  peakLr: 1e-3,
  warmupSteps: 30,
  evalEvery: 60,
  patience: 5,
  maxEpochs: 1,
  checkpointEvery: 1,
};

/** The peak learning rates the pretraining ladder chooses from by each arm's seed-1 validation loss. */
export const LR_CANDIDATES = [1e-4, 3e-4, 1e-3] as const;

/**
 * CPU-feasible on the native backend: the 4-layer BERT at the data's full length, sized so that a
 * notebook (the BERT's learning-rate selection, its 5 seeds and 5 CNN seeds) stays within 30 minutes on
 * 2 cores at the fused encoder layer's speed (in training 0.44 s per step of 16 × 248 tokens, 0.92 s at
 * 16 × 495, and 4.7 s to validate on 500 sequences of 251 bp). On the bundled nontata holdout (5,058
 * training sequences) the BERT takes up to 360 steps, where one epoch (316 steps) at the old rate of 1e-3
 * left 4 of 5 seeds at their best validation loss in the last evaluation; validation every 40 steps gives
 * early stopping 9 evaluations to choose from; warmup is the first 10 % of the steps.
 *
 * Each BERT arm's peak learning rate is chosen from 3e-4 and 1e-3 by its own seed-1 validation loss, as
 * the pretraining ladder chooses among 1e-4, 3e-4 and 1e-3. The ladder never chose 1e-4 (20 selections:
 * random weights and 4 snapshots at 800 and 3,200 sequences, results/pretraining-ladder.md), so the quick
 * profile spends its time on the other two.
 */
const QUICK: ProfileOverride = {
  seeds: [1, 2, 3, 4, 5],
  data: { maxTrain: 6000, maxValid: 500, maxTest: 3000 },
  dnabert: { ...SMALL_BERT, peakLr: 3e-4, lrCandidates: [3e-4, 1e-3], warmupSteps: 36, evalEvery: 40, maxEpochs: 2, maxSteps: 360 },
  cnn: { evalEvery: 40, patience: 5, maxEpochs: 5, checkpointEvery: 2 },
};

/** Seconds: for tests and the notebook smoke run. */
const SMOKE: ProfileOverride = {
  seeds: [1, 2],
  data: { maxTrain: 96, maxValid: 32, maxTest: 48 },
  dnabert: {
    architecture: { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32 },
    maxLen: 64,
    batchSize: 16,
    gradAccum: 1,
    peakLr: 1e-3,
    warmupSteps: 2,
    evalEvery: 2,
    patience: 2,
    maxEpochs: 2,
    checkpointEvery: 1,
  },
  cnn: { evalEvery: 2, patience: 2, maxEpochs: 2, checkpointEvery: 1 },
};

/**
 * The pretraining study's fine-tuning (notebook 07): the quick profile's BERT and schedule on a small
 * labelled set — 800 training sequences, where pretraining should matter most — so that pretraining
 * on two corpora and 3 arms × 5 seeds of fine-tuning fit in about 45 minutes on 2 CPU cores.
 */
const LOWDATA: ProfileOverride = {
  ...QUICK,
  data: { maxTrain: 800, maxValid: 200, maxTest: 1000 },
  dnabert: { ...SMALL_BERT, evalEvery: 25, maxEpochs: 2 },
  cnn: { ...QUICK.cnn, evalEvery: 25 },
};

/**
 * Per-dataset refinements of each profile, by registry name; they apply to the official dataset and to
 * every stand-in filed under its name (`human_enhancers_cohn.test-split`). None are needed by the
 * paper's recipe.
 */
const DATASET_OVERRIDES: Record<string, Record<string, ProfileOverride>> = {
  // 500-bp sequences (495 tokens): a quick BERT step costs 0.92 s here in training, so the BERT takes up to
  // 160 steps (2,560 of the holdout's 3,891 training sequences; the old cap of 1,440 gave 90 steps, every
  // seed still improving at the last) with validation every 20 steps, and its selection and 5 seeds fit
  // notebook 05's 30 minutes. Validation and test stay capped (256 and 1,000 sequences, every model alike;
  // validating 256 sequences of 500 bp takes 6.5 s).
  human_enhancers_cohn: {
    quick: { data: { maxValid: 256, maxTest: 1000 }, dnabert: { evalEvery: 20, maxEpochs: 1, maxSteps: 160, warmupSteps: 16 }, cnn: { evalEvery: 15 } },
  },
};

/** A profile: its description, its overrides of the paper's recipe, and whose per-dataset refinements it takes (default: its own). */
const PROFILE_OVERRIDES: Record<string, { description: string; override: ProfileOverride; datasetsAs?: string }> = {
  paper: { description: PAPER.description, override: {} },
  quick: { description: 'CPU-feasible: 4-layer BERT (4 × 128) at full length for ≤ 360 steps at the peak learning rate its seed 1 picks, ≤ 6,000 training sequences', override: QUICK },
  smoke: { description: 'seconds: tiny models and data, for tests and the notebook smoke run', override: SMOKE },
  lowdata: { description: "the quick profile's BERT (4 × 128) on 800 training sequences, 2 epochs: the pretraining study's fine-tuning (notebook 07)", override: LOWDATA },
};

/**
 * The pretraining ladder's fine-tuning (`make pretraining-study`, lib/pretrain/ladder.ts): lowdata's
 * recipe at each labelled-set size and peak learning rate, one profile each (`ladder-n800-lr3e-4`), so
 * every arm gets the rate its own validation loss picks. 3,200 sequences train one epoch (200 steps),
 * 800 two (100 steps), to bound the study's time on 2 cores.
 */
export const LADDER_SIZES = [800, 3200] as const;
export const LADDER_RATES = LR_CANDIDATES;

/** A learning rate as profile names and notes write it: 3e-4, 1e-3. */
export function rateTag(lr: number): string {
  return lr.toExponential(0).replace('+', '');
}

export function ladderProfile(size: number, lr: number): string {
  return `ladder-n${size}-lr${rateTag(lr)}`;
}

for (const size of LADDER_SIZES) {
  for (const lr of LADDER_RATES) {
    PROFILE_OVERRIDES[ladderProfile(size, lr)] = {
      description: `the pretraining ladder: lowdata's BERT (4 × 128) on ${size.toLocaleString('en')} training sequences, peak learning rate ${lr}`,
      override: { ...LOWDATA, data: { ...LOWDATA.data, maxTrain: size }, dnabert: { ...LOWDATA.dnabert, peakLr: lr, maxEpochs: size > 800 ? 1 : 2 } },
    };
  }
}
/**
 * Each main profile with windows for sequences longer than the model (`data.long`): `quick-windows` and
 * so on, filed apart from the truncating runs they are compared with.
 */
for (const base of ['paper', 'quick', 'smoke']) {
  const { description, override } = PROFILE_OVERRIDES[base];
  PROFILE_OVERRIDES[`${base}-windows`] = {
    description: `${description}; sequences longer than the model as windows of its length, averaged per sequence in evaluation`,
    override: { ...override, data: { ...override.data, long: 'windows' } },
    datasetsAs: base,
  };
}
/** The profile of a learning-rate selection run: `profile` with its BERT at peak rate `lr` (e.g. `quick-lr3e-4`). */
export function selectionProfile(profile: string, lr: number): string {
  return `${profile}-lr${rateTag(lr)}`;
}

/**
 * Each profile whose BERT chooses its peak learning rate: one profile per candidate rate for the selection
 * runs, with that rate and no selection of its own, taking the base's per-dataset refinements.
 */
for (const [base, entry] of Object.entries(PROFILE_OVERRIDES)) {
  const rates = entry.override.dnabert?.lrCandidates ?? [];
  for (const lr of rates) {
    PROFILE_OVERRIDES[selectionProfile(base, lr)] = {
      description: `${entry.description}: the learning-rate selection's run at peak rate ${lr}`,
      override: { ...entry.override, dnabert: { ...entry.override.dnabert, peakLr: lr, lrCandidates: [] } },
      datasetsAs: entry.datasetsAs ?? base,
    };
  }
}
export const PROFILES = Object.keys(PROFILE_OVERRIDES);

/** Apply `over` onto `base`, rejecting keys `base` does not have (with the dotted path). */
export function merge<T>(base: T, over: unknown, path: string): T {
  if (over === undefined) return base;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return over as T;
  if (over === null || typeof over !== 'object' || Array.isArray(over)) throw new Error(`${path}: expected an object of overrides`);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (!(k in out)) throw new Error(`unknown config key '${path}.${k}'; known keys: ${Object.keys(out).join(', ')}`);
    // architecture overrides are an open set of BERT fields, checked by bertConfig
    out[k] = k === 'architecture' ? { ...(out[k] as object), ...(v as object) } : merge(out[k], v, `${path}.${k}`);
  }
  return out as T;
}

/**
 * The resolved profile for a dataset — a registry name or the key its results are filed under (see
 * datasetKey) — with optional extra overrides (e.g. from a notebook's parameters cell).
 */
export function resolveProfile(name: string, dataset?: string, extra?: ProfileOverride): Profile {
  const entry = PROFILE_OVERRIDES[name];
  if (!entry) throw new Error(`Unknown profile '${name}'. Profiles: ${PROFILES.join(', ')}.`);
  let p = merge(PAPER, entry.override, name);
  const registryName = dataset ? datasetFor(dataset)?.name : undefined;
  const ds = registryName ? DATASET_OVERRIDES[registryName]?.[entry.datasetsAs ?? name] : undefined;
  if (ds) p = merge(p, ds, `${name}[${registryName}]`);
  if (extra) p = merge(p, extra, 'override');
  return { ...p, name, description: entry.description };
}

/** A profile's data caps and training lengths in one line, for notebooks (e.g. "≤ 1,440 training, …"). */
export function describeCaps(p: Profile): string {
  const n = (x: number | null, what: string) => (x === null ? `all ${what}` : `≤ ${x.toLocaleString('en')} ${what}`);
  const caps = [n(p.data.maxTrain, 'training'), n(p.data.maxValid, 'validation'), n(p.data.maxTest, 'test')].join(', ');
  const len = (c: EngineConfig) => `≤ ${c.maxEpochs} epoch${c.maxEpochs === 1 ? '' : 's'}${c.maxSteps === null ? '' : `, ≤ ${c.maxSteps} steps`}, validation every ${c.evalEvery} steps`;
  const rates = p.dnabert.lrCandidates;
  const lr = rates.length ? `, peak learning rate chosen from ${rates.join(', ')} by seed ${p.seeds[0]}'s validation loss per arm` : `, peak learning rate ${p.dnabert.peakLr}`;
  return `sequences: ${caps} (seeded, stratified subsets where capped); CNN: ${len(p.cnn)}; DNABERT: ${len(p.dnabert)}${lr}`;
}

// ---------------------------------------------------------------------------------------------
// Pretraining (masked language modelling, lib/pretrain/)

export interface PretrainConfig {
  name: string;
  description: string;
  /** BERT size (overrides of DNABERT-6, as DnabertConfig.architecture). */
  architecture: DnabertConfig['architecture'];
  k: number;
  /** Token positions of a window: [CLS] + k-mers + [SEP]; the window is maxLen − 2 + k − 1 bp. */
  maxLen: number;
  /** Probability that a token is a span centre (DNABERT: 0.025 for k = 6, ≈ 15 % of tokens masked). */
  centreProbability: number;
  steps: number;
  batchSize: number;
  gradAccum: number;
  peakLr: number;
  warmupSteps: number;
  /** After warmup: linear decay to 0 at the last step (DNABERT), or constant / inverse square root, which ignore the last step. */
  schedule: Schedule;
  weightDecay: number;
  maxGradNorm: number;
  betas: [number, number];
  eps: number;
  /** Validate every this many optimizer steps on `validWindows` fixed windows of the held-out part. */
  evalEvery: number;
  validWindows: number;
  /** Share of the corpus held out for validation, by position. */
  validFraction: number;
  /** Write a resumable checkpoint every this many validations. */
  checkpointEvery: number;
  /**
   * Steps after which the current weights are also saved as a checkpoint of their own (validated
   * there, on or off the `evalEvery` grid): `<out>-step<N>/`, with `snapshot.json`. Needs a schedule
   * that ignores the last step, so that every snapshot is a point of one run.
   */
  snapshotSteps: number[];
}

/** k-mer tokens a pretraining step trains on: windows per step × the k-mers of a window ([CLS] and [SEP] aside). */
export function tokensPerStep(c: Pick<PretrainConfig, 'batchSize' | 'gradAccum' | 'maxLen'>): number {
  return c.batchSize * c.gradAccum * (c.maxLen - 2);
}

/** DNABERT's own pretraining (run_pretrain.py / run_pretrain.sh): BERT-base, 6-mers, 512 tokens, for a GPU. */
const PRETRAIN_PAPER: PretrainConfig = {
  name: 'paper',
  description: "DNABERT's pretraining recipe (BERT-base, k = 6, 512 tokens, span masking 0.025, 200,000 steps); for a GPU",
  architecture: {},
  k: 6,
  maxLen: 512,
  centreProbability: 0.025, // --mlm_probability 0.025, spans of 6 → ≈ 15 % of tokens
  steps: 200_000, // --max_steps
  batchSize: 10, // --per_gpu_train_batch_size (DNABERT ran on 8 GPUs: × 8 for its global batch)
  gradAccum: 25, // --gradient_accumulation_steps
  peakLr: 4e-4,
  warmupSteps: 10_000,
  schedule: 'linear-decay', // run_pretrain.py: get_linear_schedule_with_warmup
  weightDecay: 0.01,
  maxGradNorm: 1.0, // the HF default
  betas: [0.9, 0.98], // --beta1 / --beta2
  eps: 1e-6, // --adam_epsilon
  evalEvery: 500, // --logging_steps / --save_steps
  validWindows: 2048,
  validFraction: 0.01,
  checkpointEvery: 1,
  snapshotSteps: [],
};

/** CPU-sized: the quick profile's fine-tuning BERT (the same architecture, so pretrained and random arms compare fairly), 251-bp windows. */
const PRETRAIN_QUICK: Partial<PretrainConfig> = {
  description: "the quick profile's BERT (4 × 128) on 251-bp windows, 600 steps of 16 windows: minutes on 2 CPU cores",
  architecture: QUICK.dnabert!.architecture as DnabertConfig['architecture'],
  maxLen: 248, // 251 bp: the length of human_nontata_promoters
  steps: 600,
  batchSize: 16,
  gradAccum: 1,
  // measured on the task corpus, 300 steps: 2e-3 reaches validation loss 7.59 and 9.1 % masked
  // accuracy, 5e-4 (DNABERT's 4e-4 scaled) 7.95 and 2.9 %: a small model takes the larger rate
  peakLr: 2e-3,
  warmupSteps: 30,
  evalEvery: 100,
  validWindows: 256,
  validFraction: 0.05,
};

/** Seconds: for tests and the smoke run. */
const PRETRAIN_SMOKE: Partial<PretrainConfig> = {
  description: 'seconds: a tiny BERT on 64-token windows, for tests and the notebook smoke run',
  architecture: SMOKE.dnabert!.architecture as DnabertConfig['architecture'],
  maxLen: 64,
  steps: 6,
  batchSize: 8,
  gradAccum: 1,
  peakLr: 1e-3,
  warmupSteps: 2,
  evalEvery: 3,
  validWindows: 16,
  validFraction: 0.1,
};

/**
 * The compute ladder of the pretraining study (`make pretraining-study`): one run of the quick
 * architecture on the genome corpus with snapshots at 75, 300, 1,200 and 4,800 steps (3,936 k-mer
 * tokens a step: 0.3 M, 1.2 M, 4.7 M and 18.9 M tokens). Warmup, then the inverse square root of the
 * step, so the snapshots are points of one run and the run can be continued to more steps.
 */
const PRETRAIN_LADDER: Partial<PretrainConfig> = {
  ...PRETRAIN_QUICK,
  description: "the quick BERT (4 × 128) on 251-bp windows, 4,800 steps of 16 windows with snapshots at 75, 300, 1,200 and 4,800; warmup 100 steps, then inverse square root",
  steps: 4800,
  warmupSteps: 100,
  schedule: 'inverse-sqrt',
  evalEvery: 150,
  snapshotSteps: [75, 300, 1200, 4800],
};

/** Steps of a configuration at which `tokens` k-mer tokens have been trained on. */
function stepsAtTokens(c: Pick<PretrainConfig, 'batchSize' | 'gradAccum' | 'maxLen'>, tokens: number): number {
  return Math.round(tokens / tokensPerStep(c));
}

/**
 * The compute ladder continued on a GPU (`bench/gpu.sh`): the ladder's architecture and windows, so its
 * snapshots are further arms of the same study, at a GPU's batch of 256 windows (62,976 k-mer tokens a
 * step). Warmup, then the inverse square root of the step, as the ladder. Snapshots at 30 M, 100 M and
 * 300 M tokens; the run goes to 16,000 steps (1.0 × 10⁹ tokens) unless a time limit
 * (`npm run pretrain --max-minutes`) ends it sooner, as a finished run at the step it reached.
 */
const LADDER_GPU_BATCH = { batchSize: 256, gradAccum: 1, maxLen: PRETRAIN_LADDER.maxLen! };
const PRETRAIN_LADDER_GPU: Partial<PretrainConfig> = {
  ...PRETRAIN_LADDER,
  ...LADDER_GPU_BATCH,
  description: "the ladder's BERT (4 × 128) on 251-bp windows at a GPU's batch of 256 windows, up to 16,000 steps (1.0 × 10⁹ tokens) with snapshots at 30 M, 100 M and 300 M tokens; warmup 500 steps, then inverse square root",
  steps: 16_000,
  warmupSteps: 500,
  evalEvery: 500,
  validWindows: 1024,
  checkpointEvery: 2,
  snapshotSteps: [30e6, 100e6, 300e6].map((t) => stepsAtTokens(LADDER_GPU_BATCH, t)),
};

const PRETRAIN_OVERRIDES: Record<string, Partial<PretrainConfig>> = { paper: {}, quick: PRETRAIN_QUICK, ladder: PRETRAIN_LADDER, 'ladder-gpu': PRETRAIN_LADDER_GPU, smoke: PRETRAIN_SMOKE };
export const PRETRAIN_CONFIGS = Object.keys(PRETRAIN_OVERRIDES);

/** A pretraining configuration by name, with optional overrides (unknown keys rejected). */
export function resolvePretrainConfig(name: string, extra?: Partial<Omit<PretrainConfig, 'name' | 'description'>>): PretrainConfig {
  const over = PRETRAIN_OVERRIDES[name];
  if (!over) throw new Error(`Unknown pretraining config '${name}'. Configs: ${PRETRAIN_CONFIGS.join(', ')}.`);
  const { architecture, ...rest } = over;
  const base = merge(PRETRAIN_PAPER, rest, `pretrain ${name}`);
  const c = { ...base, architecture: { ...(architecture ?? base.architecture) }, name };
  return extra ? merge(c, extra, 'override') : c;
}

/**
 * The pretraining study of notebook 07 per notebook profile: how to pretrain (a PretrainConfig, with
 * its steps) and the fine-tuning profile of its random and pretrained arms (the same BERT for both).
 */
export interface PretrainingStudy {
  pretrain: string;
  steps: number;
  finetune: string;
}

const STUDIES: Record<string, PretrainingStudy> = {
  paper: { pretrain: 'paper', steps: PRETRAIN_PAPER.steps, finetune: 'paper' },
  quick: { pretrain: 'quick', steps: 300, finetune: 'lowdata' },
  smoke: { pretrain: 'smoke', steps: 6, finetune: 'smoke' },
};

export function pretrainingStudy(profile: string): PretrainingStudy {
  // a variant (quick-windows) has its base's study: the pretraining comparison is the same
  const s = STUDIES[profile] ?? STUDIES[PROFILE_OVERRIDES[profile]?.datasetsAs ?? ''];
  if (!s) throw new Error(`no pretraining study for profile '${profile}'; profiles with one: ${Object.keys(STUDIES).join(', ')}`);
  return s;
}
