/** The training workloads `make bench` measures (shapes as in the performance goals). */
import * as tf from '@tensorflow/tfjs';
import { BertClassifier, BertMaskedLM, DNABERT6_CONFIG, SMALL_CONFIG } from '../lib/models/dnabert.js';
import { CnnClassifier, cnnConfig } from '../lib/models/cnn.js';
import { AdamW } from '../lib/training/optim.js';

export const WORKLOADS = {
  cnn: { batch: 32, seqLen: 251, what: 'CNN, batch 32, 251 bp' },
  'bert-small': { batch: 16, seqLen: 256, what: 'small BERT (4 × 256, 4 heads, FFN 1024), batch 16 × 256 tokens' },
  'bert-base': { batch: 8, seqLen: 256, what: 'BERT-base (12 × 768), batch 8 × 256 tokens' },
  'mlm-small': { batch: 16, seqLen: 256, what: 'small BERT masked LM (4 × 256; every 7th token predicted), batch 16 × 256 tokens' },
} as const;
export type Workload = keyof typeof WORKLOADS;

/** A randomly initialised model of the workload on random inputs: its loss, variables and AdamW (weight decay 0.01). */
export function trainingSetup(workload: Workload): { loss: () => tf.Scalar; vars: tf.Variable[]; opt: AdamW } {
  const w = WORKLOADS[workload];
  let loss: () => tf.Scalar;
  let vars: tf.Variable[];
  if (workload === 'cnn') {
    const model = CnnClassifier.random(cnnConfig(w.seqLen + 2), 1);
    const ids = tf.randomUniform([w.batch, w.seqLen + 2], 3, 7, 'int32') as tf.Tensor2D;
    const labels = tf.randomUniform([w.batch], 0, 2, 'int32') as tf.Tensor1D;
    vars = model.trainable();
    loss = () => model.loss(ids, labels, { training: true });
  } else if (workload === 'mlm-small') {
    // masked positions fixed (every 7th token, ≈ 14 % as DNABERT's masking), so both frameworks do the same work
    const model = BertMaskedLM.random(SMALL_CONFIG, 1);
    const ids = tf.randomUniform([w.batch, w.seqLen], 5, 4101, 'int32') as tf.Tensor2D;
    const mask = tf.ones([w.batch, w.seqLen], 'int32') as tf.Tensor2D;
    const positions = tf.tensor1d(Array.from({ length: Math.ceil((w.batch * w.seqLen) / 7) }, (_, i) => i * 7), 'int32');
    const targets = tf.randomUniform([positions.shape[0]], 5, 4101, 'int32') as tf.Tensor1D;
    vars = [...model.params.values()];
    let s = 0;
    loss = () => model.loss(ids, mask, positions, targets, { training: true, seed: s++ });
  } else {
    const model = BertClassifier.random(workload === 'bert-base' ? DNABERT6_CONFIG : SMALL_CONFIG, 1);
    const ids = tf.randomUniform([w.batch, w.seqLen], 5, 4101, 'int32') as tf.Tensor2D;
    const mask = tf.ones([w.batch, w.seqLen], 'int32') as tf.Tensor2D;
    const labels = tf.randomUniform([w.batch], 0, 2, 'int32') as tf.Tensor1D;
    vars = [...model.params.values()];
    let s = 0;
    loss = () => model.loss(ids, mask, labels, { training: true, seed: s++ });
  }
  return { loss, vars, opt: new AdamW(vars, vars.map(() => true), { weightDecay: 0.01 }) };
}
