/**
 * The training engine shared by all three models (Hugging Face Trainer semantics as the authors ran it):
 *
 * - each epoch visits the training set in a seeded shuffle (seed, epoch), in micro-batches;
 * - gradients of `gradAccum` micro-batches are averaged into one optimizer step (each micro-batch loss
 *   divided by gradAccum, as HF does); a short last group at the end of an epoch still steps;
 * - global-norm clipping, then AdamW with the learning-rate schedule (one call on the torch backend);
 * - every `evalEvery` optimizer steps: validation loss; early stopping after `patience` evaluations
 *   without a lower loss; the lowest-loss weights are kept and restored at the end;
 * - every `checkpointEvery` evaluations the full state (weights, optimizer moments, best weights,
 *   position in the epoch, history) is written atomically, and a new call with the same checkpoint
 *   directory resumes from it and reaches the same result as an uninterrupted run. The caller removes
 *   the checkpoint once it has recorded the result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { disposeBatch, makeBatch, trainableOf, type LabelledRows, type ModelAdapter } from '../models/adapters.js';
import type { EngineConfig } from '../config.js';
import { AdamW, type AdamWOptions } from './optim.js';
import { accumulateAll } from '../torch/ops.js';
import { permutation } from '../random.js';
import { parseSafetensors, serializeSafetensors } from '../checkpoint/safetensors.js';
import { progress } from '../progress.js';
import { InterruptedError, stopRequest } from './stop.js';
import { writeDirAtomic, writeFileAtomic } from '../atomic.js';
import { readTrainState, TRAIN_STATE_SCHEMA, type TrainResult, type TrainState } from '../records/train-state.js';

export interface TrainOptions extends EngineConfig {
  /** Learning rate for the optimizer step after `step` completed steps. */
  lr: (step: number, totalSteps: number) => number;
  weightDecay: number;
  maxGradNorm: number | null;
  seed: number;
  /** Where resumable state is written; null = no checkpoints. */
  checkpointDir: string | null;
  /** Progress output (default true). */
  quiet?: boolean;
  /** Called after every optimizer step (tests use it to simulate a crash). */
  onStep?: (step: number) => void;
  /** AdamW's betas and eps where they differ from the defaults (0.9, 0.999; 1e-8). */
  adam?: Pick<AdamWOptions, 'betas' | 'eps'>;
  /** A validation other than the mean per-example loss (pretraining: token-level loss and accuracy); its loss drives early stopping. */
  validate?: (validSet: LabelledRows) => Promise<{ loss: number; metrics?: Record<string, number> }>;
  /** More fields for the progress line, from the completed steps and the seconds spent. */
  progressInfo?: (step: number, seconds: number) => Record<string, string | number>;
  /**
   * Also validate after the last step where it is off the `evalEvery` grid (pretraining, whose record
   * reports the final validation: a run shorter than one interval would have none). Fine-tuning keeps
   * the authors' grid.
   */
  validateLast?: boolean;
  /** More steps to validate at, on or off the `evalEvery` grid (pretraining's snapshots). */
  validateAt?: number[];
  /** Called after each validation with the run so far (its last history point is that validation) and whether it is the run's last step, before any checkpoint is written. */
  onValidated?: (sofar: TrainResult, last: boolean) => Promise<void>;
  /**
   * A time limit (Date.now() milliseconds): the first optimizer step that ends after it is the run's last
   * (validated there with `validateLast`), so a fixed budget ends in a finished run. A signal instead
   * saves a checkpoint and stops unfinished (lib/training/stop.ts).
   */
  stopAt?: number;
}

/** Per-example losses and class probabilities over a whole set, in evaluation mode: `probs` is row-major [n, classes]. */
export async function predictRows(model: ModelAdapter, data: LabelledRows, batchSize: number, label?: string): Promise<{ meanLoss: number; probs: Float32Array; classes: number }> {
  const n = data.enc.n;
  const C = model.classes;
  const probs = new Float32Array(n * C);
  let lossSum = 0;
  const bar = label ? progress(label, n, 'seq') : null;
  for (let s = 0; s < n; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, n - s) }, (_, i) => s + i);
    const b = makeBatch(data, idx);
    const { losses, probs: p } = model.evaluate(b);
    const [l, pr] = await Promise.all([losses.data(), p.data()]);
    for (let i = 0; i < idx.length; i++) lossSum += l[i];
    probs.set(pr as Float32Array, s * C);
    tf.dispose([losses, p]);
    disposeBatch(b);
    bar?.update(s + idx.length);
  }
  bar?.stop();
  return { meanLoss: n ? lossSum / n : NaN, probs, classes: C };
}

async function snapshot(vars: Map<string, tf.Variable>): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  // copies: the native backend's optimizer updates weights in place
  for (const [name, v] of vars) out.set(name, { shape: v.shape, data: ((await v.data()) as Float32Array).slice() });
  return out;
}

function restore(vars: Map<string, tf.Variable>, snap: Map<string, { shape: number[]; data: Float32Array }>): void {
  for (const [name, v] of vars) {
    const s = snap.get(name);
    if (!s) throw new Error(`snapshot lacks ${name}`);
    tf.tidy(() => v.assign(tf.tensor(s.data.slice(), s.shape)));
  }
}

function optimizerTensors(state: Awaited<ReturnType<AdamW['getState']>>, names: string[], shapes: number[][]): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  names.forEach((n, i) => {
    out.set(`m:${n}`, { shape: shapes[i], data: state.m[i] });
    out.set(`v:${n}`, { shape: shapes[i], data: state.v[i] });
  });
  return out;
}

/** Number of optimizer steps in one epoch. */
export function stepsPerEpoch(nTrain: number, batchSize: number, gradAccum: number): number {
  return Math.ceil(Math.ceil(nTrain / batchSize) / gradAccum);
}

export async function train(model: ModelAdapter, trainSet: LabelledRows, validSet: LabelledRows | null, o: TrainOptions): Promise<TrainResult> {
  const t0 = Date.now();
  const { names, vars, decay } = trainableOf(model);
  const opt = new AdamW(vars, decay, { ...o.adam, weightDecay: o.weightDecay });
  const nTrain = trainSet.enc.n;
  const microPerEpoch = Math.ceil(nTrain / o.batchSize);
  const perEpoch = stepsPerEpoch(nTrain, o.batchSize, o.gradAccum);
  const totalSteps = o.maxSteps ?? perEpoch * o.maxEpochs;
  const useValid = o.validation && validSet !== null && validSet.enc.n > 0;

  let st: TrainState = {
    schema: TRAIN_STATE_SCHEMA, step: 0, epoch: 0, micro: 0, bestLoss: null, bestStep: null, badEvals: 0, history: [],
    trainLossSum: 0, trainLossCount: 0, stoppedEarly: false, done: false, seconds: 0,
  };
  let best: Map<string, { shape: number[]; data: Float32Array }> | null = null;
  let resumedFromStep: number | null = null;

  const ck = o.checkpointDir;
  const saved = ck ? readTrainState(ck) : null;
  if (ck && saved) {
    st = saved;
    const weights = parseSafetensors(readFileSync(join(ck, 'weights.safetensors')));
    restore(model.variables, new Map([...weights].map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }])));
    const os = parseSafetensors(readFileSync(join(ck, 'optimizer.safetensors')));
    opt.setState({ step: st.step, m: names.map((n) => os.get(`m:${n}`)!.data as Float32Array), v: names.map((n) => os.get(`v:${n}`)!.data as Float32Array) });
    if (existsSync(join(ck, 'best.safetensors'))) {
      const b = parseSafetensors(readFileSync(join(ck, 'best.safetensors')));
      best = new Map([...b].map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }]));
    }
    resumedFromStep = st.step;
  }

  // the checkpoint's files are replaced together: a failed write (a full disk) leaves the previous checkpoint whole
  const saveCheckpoint = async () => {
    if (!ck) return;
    const weights = serializeSafetensors(await snapshot(model.variables));
    const optimizer = serializeSafetensors(optimizerTensors(await opt.getState(), names, vars.map((v) => v.shape)));
    await writeDirAtomic(ck, async (tmp) => {
      writeFileAtomic(join(tmp, 'weights.safetensors'), weights);
      writeFileAtomic(join(tmp, 'optimizer.safetensors'), optimizer);
      if (best) writeFileAtomic(join(tmp, 'best.safetensors'), serializeSafetensors(best));
      writeFileAtomic(join(tmp, 'state.json'), JSON.stringify({ ...st, seconds: st.seconds + (Date.now() - t0) / 1000 }));
    });
  };

  const bar = o.quiet ? null : progress('train', totalSteps, 'steps', process.stderr, st.step);
  let accum: tf.Tensor[] | null = null;
  let inGroup = 0;
  let evalCount = st.history.length;

  outer: while (!st.done && st.epoch < o.maxEpochs) {
    const order = permutation(nTrain, o.seed * 100_003 + st.epoch);
    for (; st.micro < microPerEpoch; ) {
      const idx = order.subarray(st.micro * o.batchSize, Math.min(nTrain, (st.micro + 1) * o.batchSize));
      const b = makeBatch(trainSet, idx);
      const microSeed = o.seed * 1_000_003 + st.epoch * 10_007 + st.micro;
      // the last group of an epoch may be short; its gradient is still the mean over its micro-batches
      const groupSize = Math.min(o.gradAccum, microPerEpoch - Math.floor(st.micro / o.gradAccum) * o.gradAccum);
      const { value, grads } = tf.variableGrads(() => tf.div(model.loss(b, true, microSeed), groupSize) as tf.Scalar, vars);
      st.trainLossSum += (await value.data())[0] * groupSize;
      st.trainLossCount++;
      const g = names.map((_, i) => grads[vars[i].name]);
      if (accum === null) accum = g;
      else {
        const prev: tf.Tensor[] = accum;
        // the torch backend adds in place, in one call
        if (!(tf.getBackend() === 'torch' && accumulateAll(prev, g))) {
          accum = prev.map((a, i) => tf.add(a, g[i]));
          tf.dispose(prev);
        }
        tf.dispose(g);
      }
      value.dispose();
      disposeBatch(b);
      st.micro++;
      inGroup++;
      if (inGroup < groupSize) continue;

      // optimizer step
      const current: tf.Tensor[] = accum!;
      const lr = o.lr(st.step, totalSteps);
      opt.apply(current, lr, o.maxGradNorm || undefined);
      tf.dispose(current);
      accum = null;
      inGroup = 0;
      st.step++;
      o.onStep?.(st.step);
      bar?.update(st.step, {
        epoch: st.epoch + 1,
        loss: (st.trainLossSum / Math.max(1, st.trainLossCount)).toFixed(4),
        lr: lr.toExponential(2),
        ...o.progressInfo?.(st.step - (resumedFromStep ?? 0), (Date.now() - t0) / 1000),
      });

      const last = st.step >= totalSteps || (o.stopAt !== undefined && Date.now() >= o.stopAt);
      if (useValid && (st.step % o.evalEvery === 0 || (o.validateLast && last) || o.validateAt?.includes(st.step))) {
        const { loss: meanLoss, metrics } = o.validate ? await o.validate(validSet!) : { loss: (await predictRows(model, validSet!, o.batchSize * 2)).meanLoss, metrics: undefined };
        st.history.push({ step: st.step, epoch: st.epoch, validLoss: meanLoss, trainLoss: st.trainLossSum / Math.max(1, st.trainLossCount), lr, ...(metrics ? { metrics } : {}) });
        st.trainLossSum = 0;
        st.trainLossCount = 0;
        if (st.bestLoss === null || meanLoss < st.bestLoss) {
          st.bestLoss = meanLoss;
          st.bestStep = st.step;
          st.badEvals = 0;
          best = await snapshot(model.variables);
        } else if (++st.badEvals >= o.patience) {
          st.stoppedEarly = true;
          st.done = true;
        }
        evalCount++;
        if (o.onValidated) await o.onValidated(resultOf(st, microPerEpoch, useValid, resumedFromStep, st.seconds + (Date.now() - t0) / 1000), last || st.done);
        if (o.checkpointEvery > 0 && evalCount % o.checkpointEvery === 0) await saveCheckpoint();
      }
      if (last) st.done = true;
      if (st.done) break outer;
      // let signal handlers run: on CPU backends the awaits above settle as microtasks, which never yield to them
      await new Promise<void>((r) => setImmediate(r));
      const stop = stopRequest();
      if (stop) {
        bar?.stop();
        await saveCheckpoint();
        opt.dispose();
        throw new InterruptedError(stop, st.step, ck);
      }
    }
    st.epoch++;
    st.micro = 0;
  }
  bar?.stop();
  if (accum) tf.dispose(accum);

  // As HF's load_best_model_at_end: the weights of the evaluation with the lowest validation loss.
  if (useValid && best && st.bestStep !== st.step) restore(model.variables, best);
  opt.dispose();
  return resultOf(st, microPerEpoch, useValid, resumedFromStep, st.seconds + (Date.now() - t0) / 1000);
}

function resultOf(st: TrainState, microPerEpoch: number, useValid: boolean, resumedFromStep: number | null, seconds: number): TrainResult {
  return {
    steps: st.step,
    epochs: st.epoch + (st.micro > 0 ? st.micro / microPerEpoch : 0),
    bestStep: useValid ? st.bestStep : null,
    bestValidLoss: useValid ? st.bestLoss : null,
    stoppedEarly: st.stoppedEarly,
    history: [...st.history],
    resumedFromStep,
    seconds,
  };
}
