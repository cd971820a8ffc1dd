/**
 * The three models of the paper behind one interface the trainer uses: encode sequences once into
 * fixed-width token rows, compute a loss on a batch, predict class probabilities, and expose the
 * named variables (for the optimizer, snapshots and checkpoints).
 */
import * as tf from '@tensorflow/tfjs';
import type { BertClassifier, BertMaskedLM } from './dnabert.js';
import { cnnTokenize, type CnnClassifier, type CnnLoss } from './cnn.js';
import { kmerWindow, tokenizeBatch } from './tokenizer.js';

/**
 * Token rows for a set of sequences: ids (and attention mask for BERT), row-major [n, width]. Rows too
 * many to hold (pretraining windows) are made on demand instead: `fill` writes row `row` at offset
 * `at` of a batch's arrays, and `ids`/`mask` are then empty.
 */
export interface Encoded {
  n: number;
  width: number;
  ids: Int32Array;
  mask: Int32Array | null;
  fill?: (row: number, ids: Int32Array, mask: Int32Array | null, at: number) => void;
}

export interface Batch {
  ids: tf.Tensor2D;
  mask: tf.Tensor2D | null;
  labels: tf.Tensor1D;
}

/** The model behind an adapter, for saving: a BERT (either head) with its k and extra config keys, or the CNN. */
export type AdapterCheckpoint = { kind: 'bert'; model: BertClassifier | BertMaskedLM; k: number; extra: Record<string, unknown> } | { kind: 'cnn'; model: CnnClassifier };

export interface ModelAdapter {
  kind: 'dnabert' | 'cnn' | 'dnabert-mlm';
  /** Every state variable by name (trainable and not), e.g. for snapshots and checkpoints. */
  variables: Map<string, tf.Variable>;
  encode(seqs: readonly Uint8Array[]): Encoded;
  /** The longest sequence in bp the model takes whole; `encode` keeps the first `window` bp of a longer one (lib/data/windows.ts). */
  window: number;
  /** Mean loss over the batch; `seed` drives dropout in training. */
  loss(b: Batch, training: boolean, seed: number): tf.Scalar;
  /** Per-example loss and the probability of every class [B, C] in evaluation mode (the masked LM: [B, 1], the share of masked tokens predicted right). */
  evaluate(b: Batch): { losses: tf.Tensor1D; probs: tf.Tensor2D };
  /** Classes of `evaluate`'s probabilities. */
  classes: number;
  /** Raw logits in evaluation mode (DNABERT: one per class; CNN: the logit of class 1, or one per class beyond two). */
  logits(b: Batch): Promise<number[][]>;
  describe(): string;
  /** What a saved checkpoint of it holds (lib/checkpoint/save.ts writes it where `npm run predict` can load it); null: nothing to save. */
  checkpoint: AdapterCheckpoint | null;
  dispose(): void;
}

/** Encoded rows with their labels (class indices; unused by pretraining). */
export interface LabelledRows {
  enc: Encoded;
  labels: Int32Array;
}

/** Rows `idx` of an encoded set as a batch of tensors. */
export function makeBatch(data: LabelledRows, idx: ArrayLike<number>): Batch {
  const { enc } = data;
  const w = enc.width;
  const ids = new Int32Array(idx.length * w);
  const labels = new Int32Array(idx.length);
  const mask = enc.mask || enc.fill ? new Int32Array(idx.length * w) : null;
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    if (enc.fill) enc.fill(r, ids, mask, i * w);
    else {
      ids.set(enc.ids.subarray(r * w, (r + 1) * w), i * w);
      if (mask) mask.set(enc.mask!.subarray(r * w, (r + 1) * w), i * w);
    }
    labels[i] = data.labels[r];
  }
  return {
    ids: tf.tensor2d(ids, [idx.length, w], 'int32'),
    mask: mask ? tf.tensor2d(mask, [idx.length, w], 'int32') : null,
    labels: tf.tensor1d(labels, 'int32'),
  };
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.ids, b.labels, ...(b.mask ? [b.mask] : [])]);
}

/** Trainable variables and whether each takes weight decay, in a fixed order. */
export function trainableOf(m: ModelAdapter): { names: string[]; vars: tf.Variable[]; decay: boolean[] } {
  const names = [...m.variables].filter(([, v]) => v.trainable).map(([n]) => n);
  return { names, vars: names.map((n) => m.variables.get(n)!), decay: names.map(decaysWeight) };
}

export function bertAdapter(model: BertClassifier, opts: { k: number; maxLen: number; attendToPadding: boolean }): ModelAdapter {
  if (opts.maxLen > model.config.max_position_embeddings) {
    throw new Error(`maxLen ${opts.maxLen} exceeds the model's ${model.config.max_position_embeddings} positions`);
  }
  return {
    kind: 'dnabert',
    variables: model.params,
    window: kmerWindow(opts.maxLen, opts.k),
    encode(seqs) {
      const e = tokenizeBatch(seqs, { k: opts.k, maxLen: opts.maxLen, attendToPadding: opts.attendToPadding });
      return { n: e.n, width: e.maxLen, ids: e.ids, mask: e.mask };
    },
    loss(b, training, seed) {
      return model.loss(b.ids, b.mask!, b.labels, { training, seed });
    },
    evaluate(b) {
      return tf.tidy(() => {
        const logits = model.forward(b.ids, b.mask!).logits;
        const logp = tf.logSoftmax(logits);
        const onehot = tf.oneHot(b.labels.toInt(), logits.shape[1]);
        return { losses: tf.neg(tf.sum(tf.mul(onehot, logp), 1)) as tf.Tensor1D, probs: tf.exp(logp) as tf.Tensor2D };
      });
    },
    classes: model.config.num_labels,
    async logits(b) {
      const l = model.forward(b.ids, b.mask!).logits;
      const out = (await l.array()) as number[][];
      l.dispose();
      return out;
    },
    describe() {
      const c = model.config;
      return `DNABERT (${c.num_hidden_layers} layers × ${c.hidden_size}, ${c.num_attention_heads} heads, FFN ${c.intermediate_size}; ${model.size().toLocaleString('en')} parameters; ${opts.k}-mers, ${opts.maxLen} positions${opts.attendToPadding ? ', attends to padding' : ''})`;
    },
    checkpoint: { kind: 'bert', model, k: opts.k, extra: { dnabert_max_len: opts.maxLen } },
    dispose: () => model.dispose(),
  };
}

export function cnnAdapter(model: CnnClassifier, loss: CnnLoss): ModelAdapter {
  return {
    kind: 'cnn',
    variables: model.params,
    window: model.config.inputLen - 2,
    encode(seqs) {
      return { n: seqs.length, width: model.config.inputLen, ids: cnnTokenize(seqs, model.config.inputLen), mask: null };
    },
    loss(b, training) {
      return model.loss(b.ids, b.labels, { training, loss });
    },
    evaluate(b) {
      return tf.tidy(() => {
        if (model.config.numClasses !== 2) {
          const logp = tf.logSoftmax(model.classLogits(b.ids));
          const onehot = tf.oneHot(b.labels.toInt(), model.config.numClasses);
          return { losses: tf.neg(tf.sum(tf.mul(onehot, logp), 1)) as tf.Tensor1D, probs: tf.exp(logp) as tf.Tensor2D };
        }
        const logits = model.forward(b.ids);
        const y = tf.cast(b.labels, 'float32');
        // per-example BCE of the logit (the loss the default trains on)
        const losses = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))) as tf.Tensor1D;
        const p1 = tf.sigmoid(logits).reshape([-1, 1]);
        return { losses, probs: tf.concat([tf.sub(1, p1), p1], 1) as tf.Tensor2D };
      });
    },
    classes: model.config.numClasses,
    async logits(b) {
      const l = model.classLogits(b.ids);
      const out = (await l.array()) as number[][];
      l.dispose();
      return out;
    },
    describe() {
      return `CNN (input ${model.config.inputLen} tokens, ${model.size().toLocaleString('en')} parameters, loss ${loss})`;
    },
    checkpoint: { kind: 'cnn', model },
    dispose: () => model.dispose(),
  };
}

/** Hugging Face Trainer's rule for AdamW's weight decay: none for biases and LayerNorm weights. */
export function decaysWeight(name: string): boolean {
  return !/(^|\.)bias$/.test(name) && !/LayerNorm\.(weight|bias)$/.test(name) && !/(^|\.)norm\d*\.(weight|bias)$/.test(name);
}
