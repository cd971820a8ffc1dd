/**
 * One experiment = (dataset, model, seed, profile) → one JSON run record under
 * `results/runs/<dataset>/<profile>/<model>/seed-<seed>.json`, written atomically.
 *
 * A finished record is never recomputed (delete it to rerun); an interrupted run resumes from its
 * checkpoint under `results/checkpoints/`. The pretrained model without its weights is recorded as
 * not run, with the reason — nothing is substituted.
 */
import { existsSync, rmSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { writeJsonAtomic } from '../atomic.js';
import { currentBackend, recordedBackend, selectBackend, type BackendInfo } from '../backend.js';
import { resolveProfile, selectionProfile, type ModelName, type Profile, type ProfileOverride, MODELS } from '../config.js';
import { datasetKey, loadDataset, resolveDataPath } from '../data/load.js';
import { classCounts, type Dataset, type LabelledSequences } from '../data/dataset.js';
import { defaultStride, describeLengths, lengthReport, meanOverWindows, windowed } from '../data/windows.js';
import { stratifiedSample, validationSplit } from '../data/splits.js';
import { fileSha256 } from '../data/readers.js';
import { BertClassifier, bertConfig } from '../models/dnabert.js';
import { CnnClassifier, cnnConfig, cnnInputLength } from '../models/cnn.js';
import { authorsMaxLen } from '../models/tokenizer.js';
import { loadCheckpoint } from '../checkpoint/hf.js';
import { saveModel } from '../checkpoint/save.js';
import { isCheckpointDir, pretrainedDir, PretrainedUnavailableError } from '../checkpoint/hub.js';
import { readPretrainRecord } from '../records/pretrain-record.js';
import { sameJson } from '../records/artifact.js';
import { readRecord, recordPath, RUN_RECORD_SCHEMA, type LrSelection, type PretrainedSource, type RecordedLengths, type RunRecord } from '../records/run-record.js';
import { bertAdapter, cnnAdapter, type LabelledRows, type ModelAdapter } from '../models/adapters.js';
import { linearWarmupDecay } from './optim.js';
import { predictRows, train, type TrainOptions } from './train.js';
import { degenerateWarning, evaluate } from '../metrics.js';
import { portablePath } from '../paths.js';
import { runCommand } from '../child.js';
import { gitState } from '../git.js';
import { acquireRunLock, RunLockedError } from './lock.js';

export interface RunSpec {
  /** Registry name or path (see lib/data/load.ts). */
  dataset: string;
  model: ModelName;
  seed: number;
  profile: string;
  /** Extra overrides on top of the profile (recorded). */
  overrides?: ProfileOverride;
  resultsDir?: string;
  quiet?: boolean;
  /** Passed to the trainer (tests use it to simulate a crash). */
  onStep?: (step: number) => void;
  /** Save the trained model under results/models/… for `npm run predict`. */
  saveModel?: boolean;
  /**
   * dnabert-pretrained only: the checkpoint folder to fine-tune (ours from `npm run pretrain`, or any
   * Hugging Face DNABERT folder). Its runs are filed as the arm `dnabert-pretrained.<folder name>`, so
   * different checkpoints never mix. Default: the official weights (lib/checkpoint/hub.ts).
   */
  pretrained?: string;
}

/**
 * The arm a run belongs to: the model, or `dnabert-pretrained.<tag>` for a checkpoint folder of one's
 * own, the tag being the folder's name (e.g. results/pretrained/genome → dnabert-pretrained.genome).
 */
export function armOf(model: ModelName, pretrained?: string): string {
  if (pretrained === undefined) return model;
  if (model !== 'dnabert-pretrained') throw new Error(`a pretrained checkpoint (${pretrained}) is only for the model dnabert-pretrained, not ${model}`);
  const tag = basename(resolve(pretrained));
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(tag)) throw new Error(`checkpoint folder name '${tag}' names the results of its runs: use letters, digits, '.', '_' or '-'`);
  return `${model}.${tag}`;
}

function checkpointPath(resultsDir: string, dataset: string, profile: string, arm: string, seed: number): string {
  return join(resultsDir, 'checkpoints', dataset, profile, arm, `seed-${seed}`);
}

/** The backend already chosen in this process (e.g. by a notebook), else the automatic choice. */
export async function activeBackend(): Promise<BackendInfo> {
  return currentBackend() ?? (await selectBackend());
}

export function rows(model: ModelAdapter, s: LabelledSequences): LabelledRows {
  return { enc: model.encode(s.seqs), labels: s.labels };
}

export interface Prepared {
  ds: Dataset;
  train: LabelledSequences;
  valid: LabelledSequences;
  test: LabelledSequences;
  validation: string;
}

/** The run's data: the dataset, and the seeded validation split and caps of the profile. */
export function prepareData(spec: Pick<RunSpec, 'dataset' | 'seed'>, p: Profile): Prepared {
  const ds = loadDataset(spec.dataset, { testFraction: p.data.holdoutTestFraction, holdoutSeed: p.data.holdoutSeed });
  // The authors split validation from train with the run's seed.
  const v = validationSplit(ds.train, { fraction: p.data.validFraction, seed: spec.seed, stratified: p.data.stratifiedValid });
  const capNote = [p.data.maxTrain && `train ≤ ${p.data.maxTrain}`, p.data.maxValid && `valid ≤ ${p.data.maxValid}`, p.data.maxTest && `test ≤ ${p.data.maxTest}`].filter(Boolean);
  return {
    ds,
    train: stratifiedSample(v.train, p.data.maxTrain, spec.seed),
    valid: stratifiedSample(v.valid, p.data.maxValid, spec.seed),
    test: stratifiedSample(ds.test, p.data.maxTest, 0),
    validation: v.description + (capNote.length ? `; seeded stratified subsets: ${capNote.join(', ')}` : ''),
  };
}

/** The run's model, freshly initialised (or loaded from the pretrained checkpoint), and its training configuration. */
export async function buildModel(spec: Pick<RunSpec, 'model' | 'seed' | 'pretrained'>, p: Profile, data: Prepared): Promise<{ adapter: ModelAdapter; config: Profile['cnn'] | Profile['dnabert']; pretrained?: PretrainedSource; warnings: string[] }> {
  if (spec.model === 'cnn') {
    const lengths = data.train.seqs.map((s) => s.length);
    const maxLen = Math.max(...lengths);
    const inputLen = cnnInputLength(maxLen, lengths.some((l) => l !== maxLen));
    return { adapter: cnnAdapter(CnnClassifier.random(cnnConfig(inputLen, data.ds.classes.length), spec.seed), p.cnn.loss), config: p.cnn, warnings: [] };
  }
  const c = p.dnabert;
  const maxLen = c.maxLen === 'authors' ? authorsMaxLen(data.train.seqs) : c.maxLen;
  const randomConfig = bertConfig({ ...c.architecture, vocab_size: 5 + 4 ** c.k, num_labels: data.ds.classes.length }, `profile ${p.name} dnabert.architecture`);
  if (spec.model === 'dnabert-random') {
    return { adapter: bertAdapter(BertClassifier.random(randomConfig, spec.seed), { k: c.k, maxLen, attendToPadding: c.attendToPadding }), config: c, warnings: [] };
  }
  const dir = spec.pretrained ?? pretrainedDir();
  if (spec.pretrained !== undefined && !isCheckpointDir(dir)) {
    throw new Error(`${dir}: not a checkpoint folder (it needs config.json, vocab.txt and model.safetensors or pytorch_model.bin); pretrain one with npm run pretrain -- --out ${dir}, or name another folder`);
  }
  const { model, report } = await loadCheckpoint(dir, { seed: spec.seed, numLabels: data.ds.classes.length });
  const warnings: string[] = [];
  const differs = (['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'] as const).filter((key) => model.config[key] !== randomConfig[key]);
  if (differs.length) {
    warnings.push(`the checkpoint's architecture differs from profile ${p.name}'s dnabert-random (${differs.map((key) => `${key} ${model.config[key]} vs ${randomConfig[key]}`).join(', ')}): the two arms do not compare like for like`);
  }
  const pre = readPretrainRecord(dir);
  const pretrained: PretrainedSource = {
    checkpoint: portablePath(dir),
    tag: spec.pretrained === undefined ? null : armOf(spec.model, spec.pretrained).slice(spec.model.length + 1),
    weightsSha256: fileSha256(report.weightsFile),
    pretraining: pre
      ? { corpus: pre.corpus.source, corpusSha256: pre.corpus.sha256, config: pre.config.name, steps: pre.training.steps, validLoss: pre.final.validLoss, maskedAccuracy: pre.final.maskedAccuracy, commit: pre.code.commit }
      : undefined,
  };
  return { adapter: bertAdapter(model, { k: report.k, maxLen, attendToPadding: c.attendToPadding }), config: c, pretrained, warnings };
}

/**
 * What the run does with sequences longer than the model takes whole (`data.long`): each split as the
 * rows to encode (windows where asked, with the test windows' sequences), what was or would be cut,
 * and the warning for a record whose sequences were truncated.
 */
export function longSequences(adapter: Pick<ModelAdapter, 'window'>, p: Profile, data: Pick<Prepared, 'train' | 'valid' | 'test'>): { train: LabelledSequences; valid: LabelledSequences; test: { windows: LabelledSequences; of: Int32Array | null }; recorded: RecordedLengths; warning: string | null } {
  const window = adapter.window;
  const report = { train: lengthReport(data.train.seqs, window), valid: lengthReport(data.valid.seqs, window), test: lengthReport(data.test.seqs, window) };
  const splits = ['train', 'valid', 'test'] as const;
  if (p.data.long === 'windows') {
    const stride = p.data.windowStride ?? defaultStride(window);
    const [train, valid, test] = splits.map((k) => windowed(data[k], window, stride));
    return {
      train: train.windows,
      valid: valid.windows,
      test,
      recorded: { window, long: 'windows', ...report, windows: { train: train.of.length, valid: valid.of.length, test: test.of.length } },
      warning: null,
    };
  }
  const cut = splits.filter((k) => report[k].truncated > 0);
  return {
    train: data.train,
    valid: data.valid,
    test: { windows: data.test, of: null },
    recorded: { window, long: 'truncate', ...report },
    warning: cut.length
      ? `sequences longer than the model's ${window} bp were cut to their first ${window} bp (the authors' truncation), so the rest was never seen: ${cut.map((k) => `${k}: ${describeLengths(report[k], window)}`).join('; ')}. The profile key data.long = 'windows' uses them whole`
      : null,
  };
}

/** The trainer's options for a model under a profile: DNABERT with warmup/decay and clipping, the CNN with a constant rate. */
export function trainOptions(model: ModelName, p: Profile, seed: number): TrainOptions {
  if (model === 'cnn') return { ...p.cnn, lr: () => p.cnn.lr, maxGradNorm: null, seed, checkpointDir: null };
  const c = p.dnabert;
  return { ...c, lr: (step, total) => linearWarmupDecay(step, c.peakLr, c.warmupSteps, total), maxGradNorm: c.maxGradNorm, seed, checkpointDir: null };
}

export interface RunOutcome {
  record: RunRecord;
  path: string;
  skipped: boolean;
}

/** Seconds between looks at a selection run another process holds. */
const SELECTION_WAIT_SECONDS = 30;

/**
 * The arm's peak learning rate where its profile lists candidates (`dnabert.lrCandidates`): the profile's
 * first seed at each rate, a run of its own under `<profile>-lr<rate>` (trained here, or read back when
 * done, or waited for while another process trains it), and the lowest best validation loss chooses.
 * Null for the CNN, for a profile without candidates, and where the official pretrained weights are not
 * there (the run then records why, as always, and no selection run records it three more times).
 */
async function chooseLr(spec: RunSpec, p: Profile): Promise<{ selection: Omit<LrSelection, 'copiedFrom'>; chosen: RunOutcome } | null> {
  const rates = p.dnabert.lrCandidates;
  if (spec.model === 'cnn' || rates.length === 0) return null;
  if (spec.model === 'dnabert-pretrained' && spec.pretrained === undefined) {
    try {
      pretrainedDir();
    } catch (e) {
      if (e instanceof PretrainedUnavailableError) return null;
      throw e;
    }
  }
  const seed = p.seeds[0];
  const runs: { lr: number; outcome: RunOutcome }[] = [];
  for (const lr of rates) {
    const profile = selectionProfile(spec.profile, lr);
    for (;;) {
      try {
        // the profile's rate, and no selection of its own, even where the caller's overrides name either
        const overrides = { ...spec.overrides, dnabert: { ...spec.overrides?.dnabert, peakLr: lr, lrCandidates: [] } };
        runs.push({ lr, outcome: await runExperiment({ ...spec, seed, profile, overrides }) });
        break;
      } catch (e) {
        if (!(e instanceof RunLockedError)) throw e;
        if (!spec.quiet) console.log(`${profile} · ${spec.model} · seed ${seed}: being trained by pid ${e.holder.pid} on ${e.holder.host}; looking again in ${SELECTION_WAIT_SECONDS} s`);
        await new Promise((r) => setTimeout(r, SELECTION_WAIT_SECONDS * 1000));
      }
    }
  }
  const candidates = runs.map(({ lr, outcome: { record, path } }) => {
    const loss = record.training?.bestValidLoss;
    if (record.status !== 'done' || loss === null || loss === undefined) throw new Error(`${path}: the learning-rate selection needs this run's validation loss, and it has none (status ${record.status}${record.reason ? `: ${record.reason}` : ''})`);
    return { lr, profile: record.profile, bestValidLoss: loss, bestStep: record.training!.bestStep };
  });
  const best = candidates.reduce((a, b) => (b.bestValidLoss < a.bestValidLoss ? b : a));
  if (!spec.quiet) console.log(`${spec.profile} · ${armOf(spec.model, spec.pretrained)}: peak learning rate ${best.lr}, by seed ${seed}'s validation loss (${candidates.map((c) => `${c.lr}: ${c.bestValidLoss.toFixed(4)}`).join(', ')})`);
  return { selection: { seed, candidates, chosen: best.lr }, chosen: runs.find((r) => r.lr === best.lr)!.outcome };
}

/** Run one experiment, or return its existing record. */
export async function runExperiment(spec: RunSpec): Promise<RunOutcome> {
  if (!MODELS.includes(spec.model)) throw new Error(`Unknown model '${spec.model}'. Models: ${MODELS.join(', ')}.`);
  const resultsDir = spec.resultsDir ?? 'results';
  const key = datasetKey(spec.dataset);
  let p = resolveProfile(spec.profile, key, spec.overrides);
  const startedAt = new Date().toISOString();
  const be = await activeBackend();
  const base = {
    schema: RUN_RECORD_SCHEMA,
    model: spec.model,
    seed: spec.seed,
    profile: p.name,
    dataConfig: p.data,
    backend: recordedBackend(be),
    code: gitState(),
    node: process.version,
    startedAt,
    warnings: [] as string[],
  };
  const arm = armOf(spec.model, spec.pretrained);
  const path = recordPath(resultsDir, key, p.name, arm, spec.seed);
  const existing = readRecord(path);
  if (existing?.status === 'done') return { record: existing, path, skipped: true };
  const choice = await chooseLr(spec, p);
  let lrSelection: LrSelection | null = null;
  if (choice) {
    const lrCandidates = p.dnabert.lrCandidates;
    p = { ...p, dnabert: { ...p.dnabert, peakLr: choice.selection.chosen } };
    lrSelection = { ...choice.selection, copiedFrom: null };
    if (spec.seed === choice.selection.seed) {
      // the selection's own run at the chosen rate is this seed's run: the same data, seed and recipe
      const from = choice.chosen.record;
      const record: RunRecord = { ...from, profile: p.name, config: { ...(from.config as Profile['dnabert']), lrCandidates }, lrSelection: { ...lrSelection, copiedFrom: relative(resultsDir, choice.chosen.path).split(sep).join('/') } };
      writeJsonAtomic(path, record);
      return { record, path, skipped: false };
    }
  }
  const ck = checkpointPath(resultsDir, key, p.name, arm, spec.seed);
  const release = acquireRunLock(`${ck}.lock`);
  try {
    // a process that held the lock may have finished the run meanwhile
    const finished = readRecord(path);
    if (finished?.status === 'done') return { record: finished, path, skipped: true };
    const data = prepareData(spec, p);

    let built: Awaited<ReturnType<typeof buildModel>>;
    try {
      built = await buildModel(spec, p, data);
    } catch (e) {
      if (!(e instanceof PretrainedUnavailableError)) throw e;
      // a not-run record states why, not when: one whose reason and configuration are unchanged is left as it
      // is, so that running the matrix again on a machine without the weights changes no file
      if (finished?.status === 'not-run' && finished.reason === e.message && sameJson(finished.config, p.dnabert) && sameJson(finished.dataConfig, p.data)) return { record: finished, path, skipped: true };
      const record: RunRecord = { ...base, status: 'not-run', reason: e.message, dataset: key, arm, config: p.dnabert, finishedAt: new Date().toISOString(), lrSelection };
      writeJsonAtomic(path, record);
      return { record, path, skipped: false };
    }
    const { adapter, config, pretrained } = built;
    try {
      const warnings: string[] = [...built.warnings];
      const warn = (w: string | null) => {
        if (w === null) return;
        warnings.push(w);
        if (!spec.quiet) console.warn(`WARNING ${key} ${spec.model} seed ${spec.seed}: ${w}`);
      };
      const long = longSequences(adapter, p, data);
      warn(long.warning);
      const trainRows = rows(adapter, long.train);
      const validRows = rows(adapter, long.valid);
      const result = await train(adapter, trainRows, validRows, { ...trainOptions(spec.model, p, spec.seed), checkpointDir: ck, quiet: spec.quiet, onStep: spec.onStep });
      const testRows = rows(adapter, long.test.windows);
      const scored = await predictRows(adapter, testRows, config.batchSize * 2, spec.quiet ? undefined : 'test');
      // per sequence: a windowed sequence's prediction is the mean of its windows' probabilities
      const probs = long.test.of ? meanOverWindows(scored.probs, scored.classes, long.test.of, data.test.seqs.length) : scored.probs;
      const report = evaluate(data.test.labels, probs, scored.classes);
      warn(degenerateWarning(report.matrix, data.ds.classes));
      let savedModel: string | undefined;
      if (spec.saveModel) {
        savedModel = join(resultsDir, 'models', key, p.name, arm, `seed-${spec.seed}`);
        await saveModel(adapter, savedModel, { trained_on: key, seed: spec.seed, profile: p.name, id2label: Object.fromEntries(data.ds.classes.map((c, i) => [String(i), c])) });
        savedModel = portablePath(savedModel);
      }
      const record: RunRecord = {
        ...base,
        status: 'done',
        dataset: key,
        arm,
        pretrained,
        data: {
          source: data.ds.source,
          sha256: data.ds.sha256,
          split: data.ds.split,
          validation: data.validation,
          classes: data.ds.classes,
          sizes: { train: data.train.seqs.length, valid: data.valid.seqs.length, test: data.test.seqs.length },
          trainClassCounts: classCounts(data.train, data.ds.classes.length),
          lengths: long.recorded,
        },
        modelDescription: adapter.describe(),
        config,
        finishedAt: new Date().toISOString(),
        training: result,
        test: report,
        savedModel,
        lrSelection,
        warnings,
      };
      writeJsonAtomic(path, record);
      rmSync(ck, { recursive: true, force: true });
      return { record, path, skipped: false };
    } finally {
      adapter.dispose();
    }
  } finally {
    release();
  }
}

/** "1-5" or "1,3,5" → [1, …]. */
export function parseSeeds(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = part.trim().match(/^(\d+)(?:-(\d+))?$/);
    if (!m) throw new Error(`bad seeds '${s}': use e.g. 1-5 or 1,3,5`);
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** One line about a finished (or skipped, or not-run) experiment. */
export function describeOutcome({ record, skipped }: Pick<RunOutcome, 'record' | 'skipped'>): string {
  const what = record.status !== 'done' ? `not run (${(record.reason ?? '').split('. ')[0]})` : skipped ? 'already done' : 'done';
  const f1 = record.test ? `: F1 ${(100 * record.test.f1).toFixed(1)}%, accuracy ${(100 * record.test.accuracy).toFixed(1)}%, ${record.training!.seconds.toFixed(0)} s` : '';
  return `${record.dataset} · ${record.arm} · seed ${record.seed} — ${what}${f1}`;
}

export interface MatrixOptions {
  dataset: string;
  profile: string;
  seeds: number[];
  models?: readonly ModelName[];
  resultsDir?: string;
  /** A backend to insist on (default: the automatic choice). */
  backend?: string;
  /** The checkpoint folder for dnabert-pretrained (see RunSpec.pretrained). */
  pretrained?: string;
  saveModel?: boolean;
  /** Where the child's lines go (default: stdout). */
  log?: (line: string) => void;
}

/**
 * Every model × seed for one dataset, each skipped if already recorded, run by `npm run experiment` in a
 * child process: inside the notebook kernel (tslab) the same kernels run at about half the speed of a
 * plain Node process, so the notebooks hand training to one. The child first prints the measured
 * expected duration, then a few progress lines per run and one line per run, shown as they come; the
 * records are then read back. A failure of the child is an error carrying its last lines.
 */
export async function runMatrix(o: MatrixOptions): Promise<RunRecord[]> {
  const models = o.models ?? MODELS;
  const resultsDir = resolve(o.resultsDir ?? 'results');
  const dataset = existsSync(resolveDataPath(o.dataset)) ? resolve(resolveDataPath(o.dataset)) : o.dataset;
  if (recordsOnly()) (o.log ?? console.log)('DNABERT_RECORDS_ONLY=1: nothing is trained; showing the records there are');
  else await runCommand('experiment', experimentArgs(o, dataset, models, resultsDir), { log: o.log, env: { DNABERT_PROGRESS_EVERY: '25', ...(o.backend && o.backend !== 'auto' ? { DNABERT_BACKEND: o.backend } : {}) } });
  const key = datasetKey(o.dataset);
  const profile = resolveProfile(o.profile, key).name;
  const armFor = (m: ModelName) => (m === 'dnabert-pretrained' ? armOf(m, o.pretrained) : m);
  return models.flatMap((m) => o.seeds.map((seed) => readRecord(recordPath(resultsDir, key, profile, armFor(m), seed))).filter((r): r is RunRecord => r !== null));
}

/** DNABERT_RECORDS_ONLY=1: the notebooks show the records there are and train nothing (the workflow's notebooks rule). */
export function recordsOnly(): boolean {
  return process.env.DNABERT_RECORDS_ONLY === '1';
}

function experimentArgs(o: MatrixOptions, dataset: string, models: readonly ModelName[], resultsDir: string): string[] {
  const args = ['--dataset', dataset, ...models.flatMap((m) => ['--model', m]), '--seeds', o.seeds.join(','), '--profile', o.profile, '--results', resultsDir, '--expected-duration'];
  if (o.saveModel) args.push('--save-model');
  if (o.pretrained !== undefined) args.push('--pretrained', resolve(o.pretrained));
  return args;
}
