/**
 * The paper's CNN baseline (Klimentova et al. 2020; the genomic_benchmarks package's models/torch.py at
 * the paper's time), built on lib/models/ops.ts:
 *
 *   letters → Embedding(vocab, 100)
 *   → [Conv1d(100→16, k 8) → BatchNorm1d → ReLU → MaxPool1d(2)]
 *   → [Conv1d(16→8, k 8)   → BatchNorm1d → ReLU → MaxPool1d(2)]
 *   → [Conv1d(8→4, k 8)    → BatchNorm1d → ReLU → MaxPool1d(2)]
 *   → Flatten (channel-major, as PyTorch) → Linear(512) → Linear(1) = the logit of class 1.
 *
 * Parameters carry the PyTorch names (`conv1.weight`, `norm1.running_mean`, `lin1.bias`, …).
 *
 * Faithfulness: the package applied a sigmoid in `forward` and then `binary_cross_entropy_with_logits`
 * to that probability — a double sigmoid. Our default loss is BCE-with-logits on the logit;
 * `loss: 'double-sigmoid'` reproduces the package. (The package's vocabulary was built from the
 * training data in order of first appearance, with `<unk>` first; ours is fixed, which changes only the
 * order of embedding rows. Its flatten-size probe also ran one training-mode BatchNorm pass over zeros,
 * nudging the initial running statistics; ours start at 0 / 1.)
 */
import * as tf from '@tensorflow/tfjs';
import { convStack, linear, sigmoidCrossEntropy, softmaxCrossEntropy } from './ops.js';
import type { ConvLayer } from './layers.js';

/** Letter vocabulary: ids of the special tokens and bases. */
export const CNN_VOCAB = ['<unk>', '<bos>', '<eos>', 'A', 'C', 'G', 'T', 'N', '<pad>'] as const;
export const CNN_UNK = 0, CNN_BOS = 1, CNN_EOS = 2, CNN_PAD = 8;
const LETTER = new Int32Array(256).fill(CNN_UNK);
['A', 'C', 'G', 'T', 'N'].forEach((b, i) => {
  LETTER[b.charCodeAt(0)] = 3 + i;
  LETTER[b.toLowerCase().charCodeAt(0)] = 3 + i;
});

export type CnnLoss = 'bce-logits' | 'double-sigmoid';

export interface CnnConfig {
  vocabSize: number;
  embeddingDim: number;
  /** Token positions per input: <bos> + bases + <eos> (+ <pad> room for variable-length datasets). */
  inputLen: number;
  channels: readonly [number, number, number];
  kernel: number;
  pool: number;
  hidden: number;
  /** Classes: 2 → one output, the logit of class 1 (BCE); more → one logit per class (softmax cross-entropy), as the package's CNN. */
  numClasses: number;
}

/** Outputs of the last linear layer: 1 for a binary classifier, else one per class. */
export function cnnOutputs(c: CnnConfig): number {
  return c.numClasses === 2 ? 1 : c.numClasses;
}

/**
 * The package's input length: longest training sequence + 2 (<bos>, <eos>), + 1 more where lengths
 * vary and padding is used.
 */
export function cnnInputLength(maxTrainLen: number, variableLength: boolean): number {
  return maxTrainLen + (variableLength ? 3 : 2);
}

export function cnnConfig(inputLen: number, numClasses = 2): CnnConfig {
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`a CNN classifier needs at least 2 classes, not ${numClasses}`);
  return { vocabSize: CNN_VOCAB.length, embeddingDim: 100, inputLen, channels: [16, 8, 4], kernel: 8, pool: 2, hidden: 512, numClasses };
}

/** Length after the three conv + pool blocks, times the last channel count. */
export function flattenSize(c: CnnConfig): number {
  let len = c.inputLen;
  for (let i = 0; i < 3; i++) {
    len = Math.floor((len - c.kernel + 1) / c.pool);
    if (len < 1) throw new Error(`CNN input length ${c.inputLen} is too short for three conv(k=${c.kernel}) + pool(${c.pool}) blocks`);
  }
  return len * c.channels[2];
}

/** <bos> + letters + <eos>, padded with <pad> (or truncated) to inputLen; row-major [n, inputLen]. */
export function cnnTokenize(seqs: readonly Uint8Array[], inputLen: number): Int32Array {
  const out = new Int32Array(seqs.length * inputLen).fill(CNN_PAD);
  seqs.forEach((s, r) => {
    const o = r * inputLen;
    out[o] = CNN_BOS;
    const n = Math.min(s.length, inputLen - 1);
    for (let i = 0; i < n; i++) out[o + 1 + i] = LETTER[s[i]];
    if (s.length + 1 < inputLen) out[o + 1 + s.length] = CNN_EOS;
  });
  return out;
}

interface ParamDef {
  name: string;
  shape: number[];
  torchShape: number[];
  kind: 'embedding' | 'conv' | 'linear' | 'bias' | 'bn_weight' | 'bn_bias' | 'running_mean' | 'running_var';
  fanIn: number;
}

export function cnnParamDefs(c: CnnConfig): ParamDef[] {
  const defs: ParamDef[] = [{ name: 'embeddings.weight', shape: [c.vocabSize, c.embeddingDim], torchShape: [c.vocabSize, c.embeddingDim], kind: 'embedding', fanIn: 0 }];
  let inC = c.embeddingDim;
  c.channels.forEach((outC, i) => {
    const fan = inC * c.kernel;
    defs.push({ name: `conv${i + 1}.weight`, shape: [c.kernel * inC, outC], torchShape: [outC, inC, c.kernel], kind: 'conv', fanIn: fan });
    defs.push({ name: `conv${i + 1}.bias`, shape: [outC], torchShape: [outC], kind: 'bias', fanIn: fan });
    defs.push({ name: `norm${i + 1}.weight`, shape: [outC], torchShape: [outC], kind: 'bn_weight', fanIn: 0 });
    defs.push({ name: `norm${i + 1}.bias`, shape: [outC], torchShape: [outC], kind: 'bn_bias', fanIn: 0 });
    defs.push({ name: `norm${i + 1}.running_mean`, shape: [outC], torchShape: [outC], kind: 'running_mean', fanIn: 0 });
    defs.push({ name: `norm${i + 1}.running_var`, shape: [outC], torchShape: [outC], kind: 'running_var', fanIn: 0 });
    inC = outC;
  });
  const flat = flattenSize(c);
  defs.push({ name: 'lin1.weight', shape: [flat, c.hidden], torchShape: [c.hidden, flat], kind: 'linear', fanIn: flat });
  defs.push({ name: 'lin1.bias', shape: [c.hidden], torchShape: [c.hidden], kind: 'bias', fanIn: flat });
  const out = cnnOutputs(c);
  defs.push({ name: 'lin2.weight', shape: [c.hidden, out], torchShape: [out, c.hidden], kind: 'linear', fanIn: c.hidden });
  defs.push({ name: 'lin2.bias', shape: [out], torchShape: [out], kind: 'bias', fanIn: c.hidden });
  return defs;
}

/** PyTorch layout → ours: conv [O, C, K] → [K·C, O]; linear [out, in] → [in, out]. */
export function fromTorchLayout(def: ParamDef, t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (def.kind === 'conv') return tf.transpose(t.reshape(def.torchShape), [2, 1, 0]).reshape(def.shape);
    if (def.kind === 'linear') return tf.transpose(t.reshape(def.torchShape));
    return t.reshape(def.shape);
  });
}

/** Ours → PyTorch layout (a new tensor the caller owns). */
export function toTorchLayout(def: ParamDef, t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (def.kind === 'conv') {
      const [O, C, K] = def.torchShape;
      return tf.transpose(t.reshape([K, C, O]), [2, 1, 0]);
    }
    if (def.kind === 'linear') return tf.transpose(t);
    return t.clone();
  });
}

/** PyTorch's default initialisation: Embedding N(0, 1); Conv1d and Linear U(±1/√fan_in) for weight and bias; BatchNorm 1 / 0, running 0 / 1. */
function initialValue(def: ParamDef, seed: number): tf.Tensor {
  const bound = def.fanIn ? 1 / Math.sqrt(def.fanIn) : 0;
  switch (def.kind) {
    case 'embedding':
      return tf.randomNormal(def.shape, 0, 1, 'float32', seed);
    case 'conv':
    case 'linear':
    case 'bias':
      return tf.randomUniform(def.shape, -bound, bound, 'float32', seed);
    case 'bn_weight':
    case 'running_var':
      return tf.ones(def.shape);
    case 'bn_bias':
    case 'running_mean':
      return tf.zeros(def.shape);
  }
}

export interface CnnForwardOptions {
  training?: boolean;
}

export class CnnClassifier {
  /** Trainable parameters and BatchNorm running statistics (not trainable), by PyTorch name. */
  readonly params: Map<string, tf.Variable>;

  constructor(readonly config: CnnConfig, params: Map<string, tf.Variable>) {
    const missing = cnnParamDefs(config).filter((d) => !params.has(d.name)).map((d) => d.name);
    if (missing.length) throw new Error(`CnnClassifier: missing parameters ${missing.join(', ')}`);
    this.params = params;
  }

  static random(config: CnnConfig, seed: number): CnnClassifier {
    const params = new Map<string, tf.Variable>();
    cnnParamDefs(config).forEach((def, i) => {
      const init = initialValue(def, seed * 1009 + i);
      params.set(def.name, tf.variable(init, !def.kind.startsWith('running'), undefined, 'float32'));
      init.dispose();
    });
    return new CnnClassifier(config, params);
  }

  /** Build from PyTorch-layout tensors (e.g. a state dict). */
  static fromTorch(config: CnnConfig, tensors: Map<string, { shape: number[]; data: Float32Array }>): CnnClassifier {
    const params = new Map<string, tf.Variable>();
    const problems: string[] = [];
    for (const def of cnnParamDefs(config)) {
      const t = tensors.get(def.name);
      if (!t) problems.push(`missing ${def.name}`);
      else if (t.shape.join(',') !== def.torchShape.join(',')) problems.push(`${def.name}: ${JSON.stringify(t.shape)}, expected ${JSON.stringify(def.torchShape)}`);
      else {
        const ours = fromTorchLayout(def, tf.tensor(t.data, t.shape));
        params.set(def.name, tf.variable(ours, !def.kind.startsWith('running')));
        ours.dispose();
      }
    }
    if (problems.length) throw new Error(`CNN weights do not fit input length ${config.inputLen}: ${problems.join('; ')}`);
    return new CnnClassifier(config, params);
  }

  /** Trainable variables only (BatchNorm running statistics excluded). */
  trainable(): tf.Variable[] {
    return [...this.params.values()].filter((v) => v.trainable);
  }

  private p(name: string): tf.Tensor {
    return this.params.get(name)!;
  }

  private v(name: string): tf.Variable {
    return this.params.get(name)!;
  }

  /**
   * Token ids [B, inputLen] → logits of class 1 [B] (binary), or of every class [B, C] (see
   * `classLogits`). In training mode BatchNorm updates its running statistics.
   */
  forward(ids: tf.Tensor2D, opts: CnnForwardOptions = {}): tf.Tensor1D {
    if (this.config.numClasses !== 2) throw new Error(`forward gives the logit of class 1 of a binary CNN; this one has ${this.config.numClasses} classes (use classLogits)`);
    return tf.tidy(() => this.classLogits(ids, opts).reshape([ids.shape[0]]) as tf.Tensor1D);
  }

  /** Token ids [B, inputLen] → the last layer's outputs [B, 1] (binary: the logit of class 1) or [B, C]. */
  classLogits(ids: tf.Tensor2D, opts: CnnForwardOptions = {}): tf.Tensor2D {
    const c = this.config;
    const training = opts.training ?? false;
    if (ids.shape[1] !== c.inputLen) throw new Error(`CNN expects inputs of length ${c.inputLen}, got ${ids.shape[1]}`);
    return tf.tidy(() => {
      const layers: ConvLayer[] = [1, 2, 3].map((i) => ({
        w: this.p(`conv${i}.weight`) as tf.Tensor2D,
        b: this.p(`conv${i}.bias`) as tf.Tensor1D,
        bn: { gamma: this.p(`norm${i}.weight`) as tf.Tensor1D, beta: this.p(`norm${i}.bias`) as tf.Tensor1D, runningMean: this.v(`norm${i}.running_mean`), runningVar: this.v(`norm${i}.running_var`) },
      }));
      const flat = convStack(ids, this.p('embeddings.weight') as tf.Tensor2D, layers, c.kernel, c.pool, training);
      const h = linear(flat, this.p('lin1.weight') as tf.Tensor2D, this.p('lin1.bias') as tf.Tensor1D);
      return linear(h, this.p('lin2.weight') as tf.Tensor2D, this.p('lin2.bias') as tf.Tensor1D) as tf.Tensor2D;
    });
  }

  /**
   * Mean loss against the labels: binary, BCE of the class-1 logit (`double-sigmoid` is the package's
   * paper-time behaviour); more classes, softmax cross-entropy.
   */
  loss(ids: tf.Tensor2D, labels: tf.Tensor1D, opts: CnnForwardOptions & { loss?: CnnLoss } = {}): tf.Scalar {
    if (this.config.numClasses !== 2) {
      return tf.tidy(() => {
        const logits = this.classLogits(ids, opts);
        return softmaxCrossEntropy(logits, labels);
      });
    }
    return tf.tidy(() => {
      const logits = this.forward(ids, opts);
      const y = tf.cast(labels, 'float32') as tf.Tensor1D;
      return sigmoidCrossEntropy(opts.loss === 'double-sigmoid' ? (tf.sigmoid(logits) as tf.Tensor1D) : logits, y);
    });
  }

  size(): number {
    return this.trainable().reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
