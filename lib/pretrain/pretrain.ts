/**
 * Pretraining = the training engine (lib/training/train.ts) with the masked-language-model head and loss.
 *
 * One run: a corpus (corpus.ts) → windows → tokens → DNABERT masking (masking.ts) → BertMaskedLM
 * (lib/models/dnabert.ts) trained with AdamW, linear warmup and decay, clipping — the engine's habits:
 * seeded, resumable from atomic checkpoints, progress with loss, masked-token accuracy, perplexity,
 * tokens/s and ETA. The output folder is a Hugging Face checkpoint (`config.json`, `vocab.txt`,
 * `model.safetensors`, loadable as `BertForMaskedLM` or as the start of `dnabert-pretrained`) plus
 * `pretraining.json`, the run record naming corpus (with checksum), configuration, backend and commit.
 *
 * Training windows are made on demand (window r depends only on the seed and r), so a long run holds
 * one batch of them at a time; validation uses fixed windows of the held-out part with fixed masks.
 */
import { existsSync, rmSync } from 'node:fs';
import { acquireRunLock } from '../training/lock.js';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { bertConfig, BertMaskedLM, type BertConfig } from '../models/dnabert.js';
import { saveModel } from '../checkpoint/save.js';
import { resolvePretrainConfig, tokensPerStep, type PretrainConfig } from '../config.js';
import { scheduledLr, stepIndependent } from '../training/optim.js';
import { train } from '../training/train.js';
import type { EvalPoint, TrainResult } from '../records/train-state.js';
import { disposeBatch, makeBatch, type Batch, type Encoded, type LabelledRows, type ModelAdapter } from '../models/adapters.js';
import { kmerWindow, tokenizeBatch, tokenizeInto } from '../models/tokenizer.js';
import { writeJsonAtomic } from '../atomic.js';
import { sameJson } from '../records/artifact.js';
import { PRETRAIN_RECORD_SCHEMA, readPretrainRecord, RECORD_FILE, type PretrainRecord } from '../records/pretrain-record.js';
import { portablePath } from '../paths.js';
import { recordedBackend, type BackendInfo } from '../backend.js';
import { gitState } from '../git.js';
import { fileSha256 } from '../data/readers.js';
import { describeCorpus, readCorpus, tileWindows, windowSampler } from './corpus.js';
import { maskTokens, type MaskingOptions } from './masking.js';
import { kmerFrequencyNats, ReferenceTally } from './references.js';

/** The folder of the snapshot at `step` of the run written to `out`: a sibling, `<out>-step<step>`. */
export function snapshotDir(out: string, step: number): string {
  return join(dirname(out), `${basename(out)}-step${step}`);
}

/**
 * Training windows of a run whose schedule ignores the last step: the trainer's shuffle is over this
 * many rows whatever the run's length, so a run continued to more steps sees the windows it would
 * have seen had it been that long from the start (2^22 windows: 262,144 steps of 16).
 */
const STREAM_WINDOWS = 2 ** 22;

function finalOf(last: EvalPoint): PretrainRecord['final'] {
  return { validLoss: last.validLoss, perplexity: last.metrics!.perplexity, maskedAccuracy: last.metrics!.maskedAccuracy };
}

/** Masking seeds of the validation batches: fixed, so every validation scores the same masked tokens. */
const VALID_SEED = 0x5eed;

function masking(c: PretrainConfig, vocabSize: number): MaskingOptions {
  return { k: c.k, centreProbability: c.centreProbability, vocabSize };
}

/** A masked batch as the model sees it (for `PretrainSpec.onMasked`): [B, L] inputs and mask, flat positions b·L + t, original ids. */
export interface MaskedBatch {
  kind: 'train' | 'valid';
  shape: [number, number];
  inputs: Int32Array;
  mask: Int32Array;
  positions: Int32Array;
  targets: Int32Array;
}
export type OnMasked = (batch: MaskedBatch) => void;

function maskedTensors(b: Batch, m: MaskingOptions, seed: number, kind: MaskedBatch['kind'], onMasked?: OnMasked): { inputs: tf.Tensor2D; positions: tf.Tensor1D; targets: tf.Tensor1D } {
  const [B, L] = b.ids.shape;
  const r = maskTokens(b.ids.dataSync() as Int32Array, B, L, m, seed);
  onMasked?.({ kind, shape: [B, L], inputs: r.inputs, mask: b.mask!.dataSync() as Int32Array, positions: r.positions, targets: r.targets });
  return { inputs: tf.tensor2d(r.inputs, [B, L], 'int32'), positions: tf.tensor1d(r.positions, 'int32'), targets: tf.tensor1d(r.targets, 'int32') };
}

/** The masked language model behind the trainer's interface: the batch's tokens are masked with the step's seed inside `loss`. */
export function mlmAdapter(model: BertMaskedLM, c: PretrainConfig, onMasked?: OnMasked): ModelAdapter {
  const m = masking(c, model.config.vocab_size);
  const tok = { k: c.k, maxLen: c.maxLen, attendToPadding: false };
  return {
    kind: 'dnabert-mlm',
    variables: model.params,
    window: kmerWindow(c.maxLen, c.k),
    encode(seqs) {
      const e = tokenizeBatch(seqs, tok);
      return { n: e.n, width: e.maxLen, ids: e.ids, mask: e.mask };
    },
    loss(b, training, seed) {
      const t = maskedTensors(b, m, seed ^ 0x3c6ef372, 'train', onMasked);
      try {
        return model.loss(t.inputs, b.mask!, t.positions, t.targets, { training, seed });
      } finally {
        tf.dispose([t.inputs, t.positions, t.targets]);
      }
    },
    evaluate(b) {
      // per row: the mean loss of its masked tokens and, in place of a class probability, the share predicted right
      const { nll, right, positions } = maskedScores(model, b, m, VALID_SEED, 'valid');
      const L = b.ids.shape[1], B = b.ids.shape[0];
      const sums = new Float32Array(B), hits = new Float32Array(B), counts = new Float32Array(B);
      positions.forEach((p, j) => {
        const row = Math.floor(p / L);
        sums[row] += nll[j];
        hits[row] += right[j];
        counts[row]++;
      });
      const per = (x: Float32Array) => tf.tensor1d(x.map((v, i) => v / Math.max(1, counts[i])));
      return { losses: per(sums), probs: per(hits).reshape([B, 1]) as tf.Tensor2D };
    },
    classes: 1,
    logits() {
      throw new Error('a masked language model has no class logits; fine-tune it (dnabert-pretrained) to classify');
    },
    describe() {
      const cf = model.config;
      return `DNABERT masked LM (${cf.num_hidden_layers} layers × ${cf.hidden_size}, ${cf.num_attention_heads} heads, FFN ${cf.intermediate_size}; ${model.size().toLocaleString('en')} parameters; ${c.k}-mers, ${c.maxLen} positions)`;
    },
    checkpoint: { kind: 'bert', model, k: c.k, extra: {} },
    dispose: () => model.dispose(),
  };
}

/** Each masked token's loss and whether the model's top token is the original, for a batch masked with `seed`. */
function maskedScores(model: BertMaskedLM, b: Batch, m: MaskingOptions, seed: number, kind: MaskedBatch['kind'], onMasked?: OnMasked): { nll: Float32Array; right: Float32Array; positions: Int32Array; targets: Int32Array } {
  const t = maskedTensors(b, m, seed, kind, onMasked);
  const [nll, right] = tf.tidy(() => {
    const logits = model.logits(t.inputs, b.mask!, t.positions);
    return [tf.neg(tf.sum(tf.mul(tf.oneHot(t.targets, logits.shape[1]), tf.logSoftmax(logits)), 1)), tf.cast(tf.equal(tf.argMax(logits, 1), t.targets), 'float32')];
  });
  const out = { nll: nll.dataSync() as Float32Array, right: right.dataSync() as Float32Array, positions: t.positions.dataSync() as Int32Array, targets: t.targets.dataSync() as Int32Array };
  tf.dispose([nll, right, t.inputs, t.positions, t.targets]);
  return out;
}

/**
 * Token-level validation: the mean loss over every masked token of the fixed windows and masked-token
 * accuracy, beside the references on the same masks (references.ts): the neighbour-reading oracle's loss,
 * the k-mer frequency baseline (`frequencyNats`, from training windows) and accuracy by hidden bases.
 */
async function validateMlm(model: BertMaskedLM, c: PretrainConfig, valid: LabelledRows, frequencyNats: Float64Array, onMasked?: OnMasked): Promise<{ loss: number; metrics: Record<string, number> }> {
  const m = masking(c, model.config.vocab_size);
  const n = valid.enc.n, bs = c.batchSize * 2;
  const tally = new ReferenceTally(frequencyNats);
  let nll = 0, right = 0, count = 0;
  for (let s = 0, batchNo = 0; s < n; s += bs, batchNo++) {
    const b = makeBatch(valid, Array.from({ length: Math.min(bs, n - s) }, (_, i) => s + i));
    const r = maskedScores(model, b, m, VALID_SEED + batchNo, 'valid', onMasked);
    const [B, L] = b.ids.shape;
    tally.add(b.ids.dataSync() as Int32Array, r.positions, r.targets, r.right, B, L, c.k);
    disposeBatch(b);
    for (let j = 0; j < r.nll.length; j++) nll += r.nll[j];
    for (let j = 0; j < r.right.length; j++) right += r.right[j];
    count += r.positions.length;
  }
  const loss = nll / count;
  return { loss, metrics: { maskedAccuracy: right / count, perplexity: Math.exp(loss), maskedTokens: count, ...tally.metrics() } };
}

/** Training windows the k-mer frequency baseline is counted on: a fixed sample, the same for every run of a corpus and seed. */
const FREQUENCY_WINDOWS = 20_000;

/** The k-mer frequency baseline's −log frequencies, from FREQUENCY_WINDOWS training windows drawn as training draws them. */
function trainingFrequencyNats(at: (row: number) => Uint8Array, tok: { k: number; maxLen: number; attendToPadding: boolean }, vocabSize: number): Float64Array {
  const ids = new Int32Array(tok.maxLen), mask = new Int32Array(tok.maxLen);
  function* rows(): Generator<Int32Array> {
    for (let r = 0; r < FREQUENCY_WINDOWS; r++) {
      tokenizeInto(at(r), tok, ids, mask, 0);
      yield ids;
    }
  }
  return kmerFrequencyNats(rows(), vocabSize);
}

export interface PretrainSpec {
  /** FASTA, labelled table, dataset folder or name (corpus.ts). */
  corpus: string;
  /** Pretraining configuration name (lib/config.ts) and overrides. */
  config: string;
  overrides?: Partial<Omit<PretrainConfig, 'name' | 'description'>>;
  /** Output folder: the checkpoint and pretraining.json. */
  out: string;
  seed?: number;
  backend: BackendInfo;
  quiet?: boolean;
  /** For a table corpus: the fine-tuning holdout (default 0.3, seed 0). */
  testFraction?: number;
  holdoutSeed?: number;
  /** Passed to the trainer (tests simulate a crash with it). */
  onStep?: (step: number) => void;
  /** A time budget: the first step that ends after it is the last, and the run is saved and recorded as finished at that step. */
  maxMinutes?: number;
  /** Sees every masked batch, training and validation, in order (the PyTorch fidelity check replays them). */
  onMasked?: OnMasked;
}

/** The BERT configuration a pretraining configuration trains. */
export function pretrainModelConfig(c: PretrainConfig): BertConfig {
  return bertConfig({ ...c.architecture, vocab_size: 5 + 4 ** c.k, max_position_embeddings: Math.max(512, c.maxLen) }, `pretraining config ${c.name}.architecture`);
}

/** The same training recipe: every setting equal, whatever the order of keys and the wording of the description. */
function sameRecipe(a: PretrainConfig, b: PretrainConfig): boolean {
  return sameJson({ ...a, description: '' }, { ...b, description: '' });
}

/** A finished run in `out` is only reused for the same corpus, configuration and seed; anything else is an error, not a silent reuse. */
function checkSameRun(done: PretrainRecord, spec: PretrainSpec, c: PretrainConfig, seed: number): 'same' | 'continue' {
  const differences: string[] = [];
  if (done.corpus.spec !== portablePath(spec.corpus)) differences.push(`corpus ${done.corpus.spec}, not ${portablePath(spec.corpus)}`);
  // continued: more steps, the same configuration otherwise, and its snapshot steps kept (new ones may
  // be added past the finished run's last step, the points a continued ladder adds)
  const added = c.snapshotSteps.filter((s) => !done.config.snapshotSteps.includes(s));
  const kept = done.config.snapshotSteps.every((s) => c.snapshotSteps.includes(s));
  const moreSteps = stepIndependent(c.schedule) && c.steps > done.config.steps;
  const longer = moreSteps && kept && sameRecipe({ ...done.config, steps: c.steps, snapshotSteps: c.snapshotSteps }, c);
  if (moreSteps && !kept) {
    throw new Error(`${join(spec.out, RECORD_FILE)}: continuing this run keeps its snapshot steps (${done.config.snapshotSteps.join(', ')}); list them in --snapshot-steps with the new ones.`);
  }
  if (longer && added.some((s) => s <= done.config.steps)) {
    throw new Error(`${join(spec.out, RECORD_FILE)}: snapshot step(s) ${added.filter((s) => s <= done.config.steps).join(', ')} are not past this run's ${done.config.steps} steps, so they cannot be added by continuing it; add only steps after ${done.config.steps}.`);
  }
  if (longer && differences.length === 0 && done.seed === seed) {
    if (existsSync(join(`${spec.out}.checkpoint`, 'state.json'))) return 'continue';
    throw new Error(`${join(spec.out, RECORD_FILE)}: to continue this run from ${done.config.steps} to ${c.steps} steps its final checkpoint ${spec.out}.checkpoint is needed, and it is gone. Pretrain into another --out.`);
  }
  if (!sameRecipe(done.config, c)) differences.push(`configuration ${done.config.name} (${done.config.steps} steps), not ${c.name} (${c.steps} steps)`);
  if (done.seed !== seed) differences.push(`seed ${done.seed}, not ${seed}`);
  if (differences.length) {
    throw new Error(`${join(spec.out, RECORD_FILE)}: this folder holds a finished pretraining with ${differences.join('; ')}. Choose another --out, or delete the folder to pretrain again.`);
  }
  return 'same';
}

/** Pretrain, or return the finished run in `out` (a run interrupted earlier resumes from its checkpoint beside `out`). */
export async function pretrain(spec: PretrainSpec): Promise<{ record: PretrainRecord; skipped: boolean }> {
  const c = resolvePretrainConfig(spec.config, spec.overrides);
  const seed = spec.seed ?? 1;
  if (c.snapshotSteps.length && !stepIndependent(c.schedule)) {
    throw new Error(`pretraining config ${c.name}: snapshots (snapshotSteps ${c.snapshotSteps.join(', ')}) need a schedule that ignores the last step (constant or inverse-sqrt), not ${c.schedule}: under linear decay a snapshot is not a point of a shorter run`);
  }
  const done = readPretrainRecord(spec.out);
  if (done && checkSameRun(done, spec, c, seed) === 'same') return { record: done, skipped: true };
  // one writer per output folder (lib/training/lock.ts)
  const release = acquireRunLock(`${spec.out}.lock`);
  try {
    return await pretrainUnlocked(spec, c, seed);
  } finally {
    release();
  }
}

async function pretrainUnlocked(spec: PretrainSpec, c: PretrainConfig, seed: number): Promise<{ record: PretrainRecord; skipped: boolean }> {
  const startedAt = new Date().toISOString();
  const window = kmerWindow(c.maxLen, c.k);
  const corpus = await readCorpus(spec.corpus, { window, validFraction: c.validFraction, testFraction: spec.testFraction, holdoutSeed: spec.holdoutSeed });
  const log = (s: string) => spec.quiet || console.log(s);
  log(describeCorpus(corpus));

  const model = BertMaskedLM.random(pretrainModelConfig(c), seed);
  const adapter = mlmAdapter(model, c, spec.onMasked);
  try {
    const perStep = c.batchSize * c.gradAccum;
    const at = windowSampler(corpus.train, window, seed);
    const tok = { k: c.k, maxLen: c.maxLen, attendToPadding: false };
    const scratch = { ids: new Int32Array(c.maxLen), mask: new Int32Array(c.maxLen) };
    const lazy: Encoded = {
      n: stepIndependent(c.schedule) ? Math.max(STREAM_WINDOWS, c.steps * perStep) : c.steps * perStep,
      width: c.maxLen,
      ids: new Int32Array(0),
      mask: null,
      fill(row, ids, mask, offset) {
        tokenizeInto(at(row), tok, scratch.ids, scratch.mask, 0);
        ids.set(scratch.ids, offset);
        mask!.set(scratch.mask, offset);
      },
    };
    const trainRows: LabelledRows = { enc: lazy, labels: new Int32Array(lazy.n) };
    const frequencyNats = trainingFrequencyNats(at, tok, model.config.vocab_size);
    const validEnc = adapter.encode(tileWindows(corpus.valid, window, c.validWindows));
    const validRows: LabelledRows = { enc: validEnc, labels: new Int32Array(validEnc.n) };
    const perStepTokens = tokensPerStep(c);
    const recordOf = (result: TrainResult, finishedAt: string): PretrainRecord => ({
      schema: PRETRAIN_RECORD_SCHEMA,
      status: 'done',
      corpus: { spec: portablePath(spec.corpus), source: corpus.source, sha256: corpus.sha256, kind: corpus.kind, description: describeCorpus(corpus), bases: corpus.bases, usableBases: corpus.usableBases },
      config: c,
      seed,
      model: adapter.describe(),
      backend: recordedBackend(spec.backend),
      code: gitState(),
      node: process.version,
      startedAt,
      finishedAt,
      training: result,
      final: finalOf(result.history[result.history.length - 1]),
      // over the whole run: its seconds add up across resumes
      tokensPerSecond: (result.steps * perStepTokens) / Math.max(result.seconds, 1e-9),
    });
    log(`${adapter.describe()}; ${c.steps.toLocaleString('en')} steps × ${perStep} windows of ${window} bp (${(c.steps * perStepTokens).toLocaleString('en')} k-mer tokens); validation on ${validRows.enc.n} held-out windows`);
    const result = await train(adapter, trainRows, validRows, {
      batchSize: c.batchSize,
      gradAccum: c.gradAccum,
      evalEvery: c.evalEvery,
      patience: Number.MAX_SAFE_INTEGER, // pretraining runs its steps; the record keeps the curve
      maxEpochs: 1,
      maxSteps: c.steps,
      validation: true,
      checkpointEvery: c.checkpointEvery,
      lr: (step, total) => scheduledLr(c.schedule, step, c.peakLr, c.warmupSteps, total),
      weightDecay: c.weightDecay,
      maxGradNorm: c.maxGradNorm,
      adam: { betas: c.betas, eps: c.eps },
      seed,
      checkpointDir: `${spec.out}.checkpoint`,
      quiet: spec.quiet,
      onStep: spec.onStep,
      stopAt: spec.maxMinutes === undefined ? undefined : Date.parse(startedAt) + spec.maxMinutes * 60_000,
      validate: (v) => validateMlm(model, c, v, frequencyNats, spec.onMasked),
      validateLast: true,
      validateAt: c.snapshotSteps,
      // a snapshot at each snapshot step, and at the step a time limit ended the run on (what the budget reached)
      onValidated: async (sofar, last) => {
        const timeLimited = last && spec.maxMinutes !== undefined && sofar.steps < c.steps;
        if (!c.snapshotSteps.includes(sofar.steps) && !timeLimited) return;
        const dir = snapshotDir(spec.out, sofar.steps);
        if (readPretrainRecord(dir)) return; // written before an interruption: the same weights
        await saveModel(adapter, dir, { dnabert_pretraining: { corpus: corpus.source, corpus_sha256: corpus.sha256, steps: sofar.steps, config: c.name, snapshot_of: basename(spec.out) } });
        writeJsonAtomic(join(dir, RECORD_FILE), { ...recordOf(sofar, new Date().toISOString()), weightsSha256: fileSha256(join(dir, 'model.safetensors')), snapshotOf: portablePath(spec.out) });
        log(`snapshot at step ${sofar.steps} (${(sofar.steps * perStepTokens).toLocaleString('en')} tokens) → ${dir}`);
      },
      progressInfo: (steps, seconds) => ({ 'tok/s': Math.round((steps * perStepTokens) / Math.max(seconds, 1e-9)) }),
    });
    const record = recordOf(result, new Date().toISOString());
    // the weights of the lowest validation loss (the trainer restores them, as for fine-tuning)
    await saveModel(adapter, spec.out, { dnabert_pretraining: { corpus: record.corpus.source, corpus_sha256: corpus.sha256, steps: result.steps, config: c.name } });
    record.weightsSha256 = fileSha256(join(spec.out, 'model.safetensors'));
    writeJsonAtomic(join(spec.out, RECORD_FILE), record);
    // a run under a schedule that ignores the last step keeps its final checkpoint, to be continued (--steps more)
    if (!stepIndependent(c.schedule)) rmSync(`${spec.out}.checkpoint`, { recursive: true, force: true });
    return { record, skipped: false };
  } finally {
    adapter.dispose();
  }
}
