/**
 * Optimisation as the authors' training code ran it (Hugging Face Trainer defaults over PyTorch):
 *
 * - AdamW with decoupled weight decay (p ← p − lr·wd·p, then the bias-corrected Adam step), betas
 *   (0.9, 0.999), eps 1e-8; parameters excluded from decay are marked per variable (biases and
 *   LayerNorm weights, as the Trainer does). Plain Adam is AdamW with weight decay 0.
 * - Gradient clipping by global L2 norm.
 * - Linear warmup to the peak learning rate, then linear decay to 0 at the last step
 *   (`get_linear_schedule_with_warmup`); for pretraining runs whose snapshots must be points of one run
 *   whatever its length, warmup then constant or inverse square root (schedules that ignore the last step).
 */
import * as tf from '@tensorflow/tfjs';
import type { Schedule } from '../config.js';
import { usesNativeKernels } from '../models/ops.js';
import { adamwInPlace } from '../native/ops.js';
import { adamwAll } from '../torch/ops.js';

/** Learning rate after `step` optimizer steps (the rate used for step `step + 1`, as the HF scheduler). */
export function linearWarmupDecay(step: number, peak: number, warmup: number, total: number): number {
  if (step < warmup) return (peak * step) / Math.max(1, warmup);
  return peak * Math.max(0, (total - step) / Math.max(1, total - warmup));
}

/**
 * The rate after `step` steps under `schedule`: linear warmup to `peak` over `warmup` steps, then
 * linear decay to 0 at `total` (`linear-decay`), `peak` (`constant`), or `peak·√(warmup/step)`
 * (`inverse-sqrt`, continuous at the end of warmup). Only `linear-decay` depends on `total`.
 */
export function scheduledLr(schedule: Schedule, step: number, peak: number, warmup: number, total: number): number {
  if (schedule === 'linear-decay') return linearWarmupDecay(step, peak, warmup, total);
  if (step < warmup) return (peak * step) / Math.max(1, warmup);
  return schedule === 'constant' ? peak : peak * Math.sqrt(Math.max(1, warmup) / Math.max(1, step));
}

/** Whether a run under `schedule` can be stopped early or continued and still be one run. */
export function stepIndependent(schedule: Schedule): boolean {
  return schedule !== 'linear-decay';
}

export interface AdamWOptions {
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private m: tf.Variable[];
  private v: tf.Variable[];
  step = 0;

  constructor(readonly vars: tf.Variable[], readonly decay: boolean[], opts: AdamWOptions = {}) {
    if (decay.length !== vars.length) throw new Error('AdamW: one decay flag per variable');
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    // Built inside tidy so the zeros are released and each state variable owns its storage.
    this.m = vars.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = vars.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  /**
   * One update with the given gradients (same order as `vars`) and learning rate; with `maxGradNorm`, the
   * gradients are first clipped to that global L2 norm (`clipByGlobalNorm`; the caller's tensors are left as they are).
   */
  apply(grads: tf.Tensor[], lr: number, maxGradNorm?: number): void {
    this.step++;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    const native = usesNativeKernels();
    // The torch backend clips and updates every parameter in place with multi-tensor kernels in one call (same arithmetic as below).
    if (tf.getBackend() === 'torch') {
      const decays = this.decay.map((d) => (d ? this.weightDecay : 0));
      if (tf.tidy(() => adamwAll(this.vars, grads, this.m, this.v, decays, lr, b1, b2, this.eps, bc1, bc2, maxGradNorm))) return;
    }
    const clipped = maxGradNorm ? clipByGlobalNorm(grads, maxGradNorm).grads : grads;
    try {
      this.update(clipped, lr, native, bc1, bc2);
    } finally {
      if (clipped !== grads) tf.dispose(clipped);
    }
  }

  private update(grads: tf.Tensor[], lr: number, native: boolean, bc1: number, bc2: number): void {
    const [b1, b2] = this.betas;
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        const g = grads[i];
        const decay = this.decay[i] ? this.weightDecay : 0;
        // The native backend updates p, m and v in one pass, in place (same arithmetic as below).
        if (native && adamwInPlace(p, g, this.m[i], this.v[i], lr, b1, b2, this.eps, bc1, bc2, decay)) return;
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), 1 - b2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        let next: tf.Tensor = p;
        if (this.decay[i] && this.weightDecay > 0) next = tf.mul(next, 1 - lr * this.weightDecay);
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
        next = tf.sub(next, tf.mul(tf.div(m, denom), lr / bc1));
        p.assign(next);
      });
    });
  }

  async getState(): Promise<AdamWState> {
    return {
      step: this.step,
      // copies: the native backend updates the state in place
      m: await Promise.all(this.m.map(async (t) => ((await t.data()) as Float32Array).slice())),
      v: await Promise.all(this.v.map(async (t) => ((await t.data()) as Float32Array).slice())),
    };
  }

  setState(s: AdamWState): void {
    this.step = s.step;
    tf.tidy(() => {
      s.m.forEach((d, i) => this.m[i].assign(tf.tensor(d.slice(), this.m[i].shape)));
      s.v.forEach((d, i) => this.v[i].assign(tf.tensor(d.slice(), this.v[i].shape)));
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/** Scale gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  const norm = normT.dataSync()[0];
  normT.dispose();
  // PyTorch: clip_coef = max_norm / (total_norm + 1e-6), applied when < 1
  const coef = maxNorm / (norm + 1e-6);
  if (coef >= 1) return { grads, norm };
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
}
