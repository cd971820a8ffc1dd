/** The training workloads `make bench` measures (shapes as in the performance goals). */
import * as tf from '@tensorflow/tfjs';
import { BertClassifier, BertMaskedLM, DNABERT6_CONFIG, SMALL_CONFIG, type BertConfig } from '../lib/models/dnabert.js';

/** The host-bound workload's BERT: 12 layers as BERT-base, 64 wide. */
/** The quick profile's BERT (lib/config.ts QUICK): 4 layers × 128, 4 heads, FFN 512. */
export const QUICK_CONFIG: Readonly<BertConfig> = Object.freeze({ ...DNABERT6_CONFIG, hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 512 });
export const DEEP_NARROW_CONFIG: Readonly<BertConfig> = Object.freeze({ ...DNABERT6_CONFIG, hidden_size: 64, num_hidden_layers: 12, num_attention_heads: 2, intermediate_size: 256 });
import { CnnClassifier, cnnConfig } from '../lib/models/cnn.js';
import { AdamW } from '../lib/training/optim.js';

export const WORKLOADS = {
  cnn: { batch: 32, seqLen: 251, what: 'CNN, batch 32, 251 bp' },
  'bert-small': { batch: 16, seqLen: 256, what: 'small BERT (4 × 256, 4 heads, FFN 1024), batch 16 × 256 tokens' },
  // the quick profile's BERT at nontata's (251 bp → 248 tokens) and cohn's (500 bp → 495 tokens) lengths
  'bert-quick': { batch: 16, seqLen: 248, what: 'quick BERT (4 × 128, 4 heads, FFN 512), batch 16 × 248 tokens' },
  'bert-quick-495': { batch: 16, seqLen: 495, what: 'quick BERT (4 × 128, 4 heads, FFN 512), batch 16 × 495 tokens' },
  'bert-base': { batch: 8, seqLen: 256, what: 'BERT-base (12 × 768), batch 8 × 256 tokens' },
  // the paper's shape: the authors' batch of 12 at DNABERT's full 512 tokens
  'bert-base-512': { batch: 12, seqLen: 512, what: "BERT-base (12 × 768), batch 12 × 512 tokens: the paper's shape" },
  // BERT-base's depth at a tiny width: each kernel is cheap, so a step costs what the calls around them cost
  'bert-deep-narrow': { batch: 4, seqLen: 64, what: 'host-bound: BERT-base depth at tiny width (12 × 64, 2 heads, FFN 256), batch 4 × 64 tokens' },
  'mlm-small': { batch: 16, seqLen: 256, what: 'small BERT masked LM (4 × 256; every 7th token predicted), batch 16 × 256 tokens' },
  // the pretraining ladder's model and windows (lib/config.ts PRETRAIN_LADDER: 251-bp windows → 248 tokens)
  'mlm-quick': { batch: 16, seqLen: 248, what: 'quick BERT masked LM (4 × 128; every 7th token predicted), batch 16 × 248 tokens: the ladder' },
} as const;
export type Workload = keyof typeof WORKLOADS;

const CLASSIFIER_CONFIGS: Record<Exclude<Workload, 'cnn' | 'mlm-small' | 'mlm-quick'>, Readonly<BertConfig>> = {
  'bert-small': SMALL_CONFIG,
  'bert-quick': QUICK_CONFIG,
  'bert-quick-495': QUICK_CONFIG,
  'bert-base': DNABERT6_CONFIG,
  'bert-base-512': DNABERT6_CONFIG,
  'bert-deep-narrow': DEEP_NARROW_CONFIG,
};

export interface SetupOptions {
  /** sequences per step (default: the workload's) */
  batch?: number;
  /** tokens (bases for the CNN) per sequence (default: the workload's) */
  seqLen?: number;
  /** BERT's dropout rates (default: the configuration's, 0.1) */
  dropout?: number;
  /** seed of the random inputs (default 1: the same inputs on every backend) */
  seed?: number;
}

/** A randomly initialised model of the workload on random inputs: its loss, variables and AdamW (weight decay 0.01). */
export function trainingSetup(workload: Workload, o: SetupOptions = {}): { loss: () => tf.Scalar; vars: tf.Variable[]; opt: AdamW; dispose: () => void } {
  const w = { ...WORKLOADS[workload], ...(o.batch ? { batch: o.batch } : {}), ...(o.seqLen ? { seqLen: o.seqLen } : {}) };
  const seed = o.seed ?? 1;
  const bert = (c: Readonly<BertConfig>) => (o.dropout === undefined ? c : { ...c, hidden_dropout_prob: o.dropout, attention_probs_dropout_prob: o.dropout });
  let loss: () => tf.Scalar;
  let vars: tf.Variable[];
  let held: { dispose(): void }[];
  if (workload === 'cnn') {
    const model = CnnClassifier.random(cnnConfig(w.seqLen + 2), 1);
    const ids = tf.randomUniform([w.batch, w.seqLen + 2], 3, 7, 'int32', seed) as tf.Tensor2D;
    const labels = tf.randomUniform([w.batch], 0, 2, 'int32', seed + 1) as tf.Tensor1D;
    vars = model.trainable();
    held = [model, ids, labels];
    loss = () => model.loss(ids, labels, { training: true });
  } else if (workload === 'mlm-small' || workload === 'mlm-quick') {
    // masked positions fixed (every 7th token, ≈ 14 % as DNABERT's masking), so both frameworks do the same work
    const model = BertMaskedLM.random(bert(workload === 'mlm-small' ? SMALL_CONFIG : QUICK_CONFIG), 1);
    const ids = tf.randomUniform([w.batch, w.seqLen], 5, 4101, 'int32', seed) as tf.Tensor2D;
    const mask = tf.ones([w.batch, w.seqLen], 'int32') as tf.Tensor2D;
    const positions = tf.tensor1d(Array.from({ length: Math.ceil((w.batch * w.seqLen) / 7) }, (_, i) => i * 7), 'int32');
    const targets = tf.randomUniform([positions.shape[0]], 5, 4101, 'int32', seed + 1) as tf.Tensor1D;
    vars = [...model.params.values()];
    held = [model, ids, mask, positions, targets];
    let s = 0;
    loss = () => model.loss(ids, mask, positions, targets, { training: true, seed: s++ });
  } else {
    const model = BertClassifier.random(bert(CLASSIFIER_CONFIGS[workload]), 1);
    const ids = tf.randomUniform([w.batch, w.seqLen], 5, 4101, 'int32', seed) as tf.Tensor2D;
    const mask = tf.ones([w.batch, w.seqLen], 'int32') as tf.Tensor2D;
    const labels = tf.randomUniform([w.batch], 0, 2, 'int32', seed + 1) as tf.Tensor1D;
    vars = [...model.params.values()];
    held = [model, ids, mask, labels];
    let s = 0;
    loss = () => model.loss(ids, mask, labels, { training: true, seed: s++ });
  }
  const opt = new AdamW(vars, vars.map(() => true), { weightDecay: 0.01 });
  // the model's variables (non-trainable ones too), its inputs and the optimizer's moments
  const dispose = () => {
    opt.dispose();
    for (const h of held) h.dispose();
  };
  return { loss, vars, opt, dispose };
}

/**
 * Median seconds per training step (forward + backward + AdamW, the loss read back as the trainer does)
 * over `steps` timed steps after `warmup` untimed ones; `after` runs after every step (memory sampling).
 */
export async function timeSteps(setup: ReturnType<typeof trainingSetup>, steps: number, warmup = 1, after?: () => void): Promise<number> {
  const { loss, vars, opt } = setup;
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(loss, vars);
    opt.apply(vars.map((v) => grads[v.name]), 1e-4);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
    if (i >= warmup) times.push((performance.now() - t0) / 1000);
    after?.();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
