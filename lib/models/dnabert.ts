/**
 * DNABERT: a BERT sequence classifier with Hugging Face `BertForSequenceClassification` semantics,
 * built on lib/models/ops.ts so it runs and trains on every TensorFlow.js backend.
 *
 *   word + position + token-type embeddings → LayerNorm → dropout
 *   → N × [self-attention (additive mask) → dense → dropout → LayerNorm(+residual)
 *          → dense → GELU(erf) → dense → dropout → LayerNorm(+residual)]
 *   → pooler: dense + tanh on [CLS] → dropout → classifier (num_labels logits)
 *
 * and the same encoder with `BertForMaskedLM`'s head for pretraining (BertMaskedLM):
 *
 *   → at the masked positions: dense → GELU(erf) → LayerNorm → · word embeddingsᵀ (tied) + bias
 *
 * Parameters carry Hugging Face state-dict names (`bert.encoder.layer.0.attention.self.query.weight`,
 * `classifier.bias`, …). Linear weights are held in [in, out] layout — the transpose of PyTorch's
 * [out, in] — and converted when checkpoints are read or written (lib/checkpoint/hf.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { dropout, embedding, encoderLayer, gelu, layerNorm, linear, softmaxCrossEntropy } from './ops.js';
import type { Dense, EncoderLayerWeights, Norm } from './layers.js';

/** The fields of a Hugging Face BERT `config.json` that define the model. */
export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  /** Only exact-erf "gelu" is supported (DNABERT's). */
  hidden_act: 'gelu';
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number;
  num_labels: number;
}

/** DNABERT-6 (`armheb/DNA_bert_6`): BERT-base over the 4,101-token 6-mer vocabulary. */
export const DNABERT6_CONFIG: Readonly<BertConfig> = Object.freeze({
  vocab_size: 4101,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  num_labels: 2,
});

/** A CPU-sized configuration from the same code: 4 layers × 256 hidden, 4 heads, FFN 1024. */
export const SMALL_CONFIG: Readonly<BertConfig> = Object.freeze({
  ...DNABERT6_CONFIG,
  hidden_size: 256,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  intermediate_size: 1024,
});

/** Keys a HF config.json may carry that this model reads but does not store. */
const CHECKED_CONFIG_KEYS = new Set(['position_embedding_type', 'id2label', 'dnabert_max_len']);

/**
 * A full config from a partial override of DNABERT-6. Unknown keys and unsupported values are errors
 * that name the key. With `hfFile` (a Hugging Face config.json, which carries many keys that do not
 * change the computation — generation settings, label names, library versions), keys outside the
 * model's own are collected in `ignored` instead.
 */
export function bertConfig(raw: Record<string, unknown>, where = 'config', hfFile?: { ignored: string[] }): BertConfig {
  const out: Record<string, unknown> = { ...DNABERT6_CONFIG };
  for (const [k, v] of Object.entries(raw)) {
    if (k in DNABERT6_CONFIG) out[k] = v;
    else if (hfFile) {
      if (!CHECKED_CONFIG_KEYS.has(k)) hfFile.ignored.push(k);
    } else throw new Error(`${where}: unknown BERT config key '${k}'`);
  }
  if (raw.id2label && raw.num_labels === undefined) out.num_labels = Object.keys(raw.id2label as object).length;
  const c = out as unknown as BertConfig;
  if (c.hidden_act !== 'gelu') throw new Error(`${where}: hidden_act '${c.hidden_act}' is not supported (only exact-erf 'gelu')`);
  if (raw.position_embedding_type !== undefined && raw.position_embedding_type !== 'absolute') {
    throw new Error(`${where}: position_embedding_type '${String(raw.position_embedding_type)}' is not supported (only 'absolute')`);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new Error(`${where}: hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`);
  }
  for (const k of Object.keys(DNABERT6_CONFIG) as (keyof BertConfig)[]) {
    if (k !== 'hidden_act' && typeof c[k] !== 'number') throw new Error(`${where}: '${k}' must be a number`);
  }
  return c;
}

export type ParamKind = 'linear' | 'bias' | 'embedding' | 'ln_weight' | 'ln_bias';

export interface ParamSpec {
  name: string;
  /** Shape in this library's layout (linear weights [in, out]). */
  shape: number[];
  kind: ParamKind;
}

function specBuilder(c: BertConfig): { specs: ParamSpec[]; lin(name: string, inDim: number, outDim: number): void; ln(name: string): void } {
  const specs: ParamSpec[] = [];
  return {
    specs,
    lin(name, inDim, outDim) {
      specs.push({ name: `${name}.weight`, shape: [inDim, outDim], kind: 'linear' });
      specs.push({ name: `${name}.bias`, shape: [outDim], kind: 'bias' });
    },
    ln(name) {
      specs.push({ name: `${name}.weight`, shape: [c.hidden_size], kind: 'ln_weight' });
      specs.push({ name: `${name}.bias`, shape: [c.hidden_size], kind: 'ln_bias' });
    },
  };
}

/** The encoder's parameters (embeddings and layers, `bert.*` without the pooler), in HF state-dict order. */
export function encoderSpecs(c: BertConfig): ParamSpec[] {
  const H = c.hidden_size, I = c.intermediate_size;
  const b = specBuilder(c);
  b.specs.push({ name: 'bert.embeddings.word_embeddings.weight', shape: [c.vocab_size, H], kind: 'embedding' });
  b.specs.push({ name: 'bert.embeddings.position_embeddings.weight', shape: [c.max_position_embeddings, H], kind: 'embedding' });
  b.specs.push({ name: 'bert.embeddings.token_type_embeddings.weight', shape: [c.type_vocab_size, H], kind: 'embedding' });
  b.ln('bert.embeddings.LayerNorm');
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    b.lin(`${p}.attention.self.query`, H, H);
    b.lin(`${p}.attention.self.key`, H, H);
    b.lin(`${p}.attention.self.value`, H, H);
    b.lin(`${p}.attention.output.dense`, H, H);
    b.ln(`${p}.attention.output.LayerNorm`);
    b.lin(`${p}.intermediate.dense`, H, I);
    b.lin(`${p}.output.dense`, I, H);
    b.ln(`${p}.output.LayerNorm`);
  }
  return b.specs;
}

/** The sequence-classification head (`BertForSequenceClassification`): pooler and classifier. */
export function classifierHeadSpecs(c: BertConfig): ParamSpec[] {
  const b = specBuilder(c);
  b.lin('bert.pooler.dense', c.hidden_size, c.hidden_size);
  b.lin('classifier', c.hidden_size, c.num_labels);
  return b.specs;
}

/**
 * The masked-language-model head (`BertForMaskedLM`'s `cls.predictions`): transform (dense → GELU →
 * LayerNorm) and the output bias. The decoder's weight is the word-embedding matrix (tied), so it has
 * no parameter of its own.
 */
export function mlmHeadSpecs(c: BertConfig): ParamSpec[] {
  const b = specBuilder(c);
  b.lin('cls.predictions.transform.dense', c.hidden_size, c.hidden_size);
  b.ln('cls.predictions.transform.LayerNorm');
  b.specs.push({ name: 'cls.predictions.bias', shape: [c.vocab_size], kind: 'bias' });
  return b.specs;
}

/** Every parameter of the masked language model, in HF state-dict order. */
export function mlmSpecs(c: BertConfig): ParamSpec[] {
  return [...encoderSpecs(c), ...mlmHeadSpecs(c)];
}

/** Every parameter of the classifier, in HF state-dict order. */
export function paramSpecs(c: BertConfig): ParamSpec[] {
  return [...encoderSpecs(c), ...classifierHeadSpecs(c)];
}

/** Initial values as Hugging Face BERT initialises them: N(0, initializer_range) weights (the padding row of the word embeddings zero), zero biases, LayerNorm 1 / 0. */
export function initialValue(spec: ParamSpec, c: BertConfig, seed: number): tf.Tensor {
  return tf.tidy(() => {
    switch (spec.kind) {
      case 'linear':
        return tf.randomNormal(spec.shape, 0, c.initializer_range, 'float32', seed);
      case 'embedding': {
        const w = tf.randomNormal(spec.shape, 0, c.initializer_range, 'float32', seed);
        if (spec.name !== 'bert.embeddings.word_embeddings.weight') return w;
        const isPad = tf.equal(tf.range(0, spec.shape[0], 1, 'int32'), c.pad_token_id).reshape([spec.shape[0], 1]);
        return tf.where(isPad, tf.zerosLike(w), w);
      }
      case 'ln_weight':
        return tf.ones(spec.shape);
      case 'bias':
      case 'ln_bias':
        return tf.zeros(spec.shape);
    }
  });
}

export interface ForwardOptions {
  training?: boolean;
  /** Seed for this step's dropout masks (each dropout site derives its own). */
  seed?: number;
}

export interface BertOutput {
  lastHidden: tf.Tensor3D;
  pooled: tf.Tensor2D;
  logits: tf.Tensor2D;
}

/** Additive attention mask [B, 1, 1, L]: 0 where attended, float32 min where masked (HF's convention). */
export function additiveMask(mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => tf.mul(tf.sub(1, tf.cast(mask, 'float32')), -3.4028234663852886e38).reshape([mask.shape[0], 1, 1, mask.shape[1]]));
}

/** Parameter lookup by Hugging Face name. */
export type ParamGetter = (name: string) => tf.Tensor;

/**
 * The BERT encoder shared by both heads: embeddings → LayerNorm → dropout → N transformer layers.
 * Returns the last hidden states [B, L, H] and the dropout function (heads continue its seed sequence,
 * so each dropout site draws its own mask). Call inside tf.tidy.
 */
export function bertEncoder(p: ParamGetter, c: BertConfig, ids: tf.Tensor2D, mask: tf.Tensor2D, opts: ForwardOptions = {}): { hidden: tf.Tensor3D; drop: (x: tf.Tensor, rate: number) => tf.Tensor } {
  const L = ids.shape[1];
  if (L > c.max_position_embeddings) throw new Error(`sequence length ${L} exceeds max_position_embeddings ${c.max_position_embeddings}`);
  const training = opts.training ?? false;
  let site = 0;
  const nextSeed = () => (opts.seed === undefined ? undefined : opts.seed * 7919 + site++);
  const drop = (x: tf.Tensor, rate: number) => dropout(x, rate, training, nextSeed());
  const ln = (x: tf.Tensor, name: string) => layerNorm(x, p(`${name}.weight`) as tf.Tensor1D, p(`${name}.bias`) as tf.Tensor1D, c.layer_norm_eps);
  const H = c.hidden_size, nH = c.num_attention_heads;
  const word = embedding(ids, p('bert.embeddings.word_embeddings.weight') as tf.Tensor2D);
  const pos = tf.slice(p('bert.embeddings.position_embeddings.weight'), [0, 0], [L, H]);
  const type0 = tf.slice(p('bert.embeddings.token_type_embeddings.weight'), [0, 0], [1, H]);
  let h = drop(ln(tf.add(tf.add(word, pos), type0), 'bert.embeddings.LayerNorm'), c.hidden_dropout_prob);
  const ext = additiveMask(mask);
  const dense = (name: string): Dense => ({ w: p(`${name}.weight`) as tf.Tensor2D, b: p(`${name}.bias`) as tf.Tensor1D });
  const norm = (name: string): Norm => ({ gamma: p(`${name}.weight`) as tf.Tensor1D, beta: p(`${name}.bias`) as tf.Tensor1D });
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const q = `bert.encoder.layer.${l}`;
    const w: EncoderLayerWeights = {
      query: dense(`${q}.attention.self.query`), key: dense(`${q}.attention.self.key`), value: dense(`${q}.attention.self.value`),
      attentionOutput: dense(`${q}.attention.output.dense`), attentionNorm: norm(`${q}.attention.output.LayerNorm`),
      intermediate: dense(`${q}.intermediate.dense`), output: dense(`${q}.output.dense`), outputNorm: norm(`${q}.output.LayerNorm`),
    };
    h = encoderLayer(h as tf.Tensor3D, w, ext, nH, c.attention_probs_dropout_prob, c.hidden_dropout_prob, c.layer_norm_eps, training, [nextSeed(), nextSeed(), nextSeed()]);
  }
  return { hidden: h as tf.Tensor3D, drop };
}

/** What both heads share: the named parameters of their specs, looked up by HF name. */
abstract class BertModel {
  readonly params: Map<string, tf.Variable>;

  protected constructor(readonly config: BertConfig, params: Map<string, tf.Variable>, specs: ParamSpec[], what: string) {
    const missing = specs.filter((s) => !params.has(s.name)).map((s) => s.name);
    if (missing.length) throw new Error(`${what}: missing parameters ${missing.join(', ')}`);
    this.params = params;
  }

  protected p(name: string): tf.Tensor {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  /** Number of trainable values. */
  size(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

export class BertClassifier extends BertModel {
  constructor(config: BertConfig, params: Map<string, tf.Variable>) {
    super(config, params, paramSpecs(config), 'BertClassifier');
  }

  /** A model from HF-style random initialisation, reproducible with `seed`. */
  static random(config: BertConfig, seed: number): BertClassifier {
    return new BertClassifier(config, randomParams(paramSpecs(config), config, seed));
  }

  /** ids and mask: [B, L] int32. Token types are all 0 (single-segment input). */
  forward(ids: tf.Tensor2D, mask: tf.Tensor2D, opts: ForwardOptions = {}): BertOutput {
    const c = this.config;
    const [B] = ids.shape;
    return tf.tidy(() => {
      const { hidden: h, drop } = bertEncoder((n) => this.p(n), c, ids, mask, opts);
      const H = c.hidden_size;
      const cls = tf.slice(h, [0, 0, 0], [B, 1, H]).reshape([B, H]);
      const pooled = tf.tanh(linear(cls, this.p('bert.pooler.dense.weight') as tf.Tensor2D, this.p('bert.pooler.dense.bias') as tf.Tensor1D)) as tf.Tensor2D;
      const logits = linear(drop(pooled, c.hidden_dropout_prob), this.p('classifier.weight') as tf.Tensor2D, this.p('classifier.bias') as tf.Tensor1D) as tf.Tensor2D;
      return { lastHidden: h, pooled, logits };
    });
  }

  /** Mean cross-entropy of the classifier's logits against labels [B]. */
  loss(ids: tf.Tensor2D, mask: tf.Tensor2D, labels: tf.Tensor1D, opts: ForwardOptions = {}): tf.Scalar {
    return tf.tidy(() => softmaxCrossEntropy(this.forward(ids, mask, opts).logits, labels));
  }
}

/** Parameters of `specs` from HF-style random initialisation, reproducible with `seed`. */
function randomParams(specs: ParamSpec[], config: BertConfig, seed: number): Map<string, tf.Variable> {
  const params = new Map<string, tf.Variable>();
  specs.forEach((spec, i) => {
    const init = initialValue(spec, config, seed * 1009 + i);
    params.set(spec.name, tf.variable(init, true));
    init.dispose();
  });
  return params;
}

/**
 * DNABERT for pretraining, with Hugging Face `BertForMaskedLM` semantics and names: the encoder above
 * and `cls.predictions`, whose decoder is tied to `bert.embeddings.word_embeddings.weight` (its gradient
 * is the sum over both uses). Logits are computed only at the masked positions, which gives the loss
 * and gradients of HF's full-sequence logits with labels −100 elsewhere, without the [B·L, V] product.
 */
export class BertMaskedLM extends BertModel {
  constructor(config: BertConfig, params: Map<string, tf.Variable>) {
    super(config, params, mlmSpecs(config), 'BertMaskedLM');
  }

  static random(config: BertConfig, seed: number): BertMaskedLM {
    return new BertMaskedLM(config, randomParams(mlmSpecs(config), config, seed));
  }

  /** Logits [M, vocab] at `positions` (flat indices b·L + t into the [B, L] input). */
  logits(ids: tf.Tensor2D, mask: tf.Tensor2D, positions: tf.Tensor1D, opts: ForwardOptions = {}): tf.Tensor2D {
    const c = this.config;
    return tf.tidy(() => {
      const { hidden } = bertEncoder((n) => this.p(n), c, ids, mask, opts);
      const [B, L, H] = hidden.shape;
      const h = embedding(positions, hidden.reshape([B * L, H]) as tf.Tensor2D); // the rows at the masked positions (differentiable on every backend)
      const t = layerNorm(
        gelu(linear(h, this.p('cls.predictions.transform.dense.weight') as tf.Tensor2D, this.p('cls.predictions.transform.dense.bias') as tf.Tensor1D)),
        this.p('cls.predictions.transform.LayerNorm.weight') as tf.Tensor1D,
        this.p('cls.predictions.transform.LayerNorm.bias') as tf.Tensor1D,
        c.layer_norm_eps,
      );
      return tf.add(tf.matMul(t, this.p('bert.embeddings.word_embeddings.weight') as tf.Tensor2D, false, true), this.p('cls.predictions.bias')) as tf.Tensor2D;
    });
  }

  /** Mean cross-entropy over the masked positions against their original token ids. */
  loss(ids: tf.Tensor2D, mask: tf.Tensor2D, positions: tf.Tensor1D, targets: tf.Tensor1D, opts: ForwardOptions = {}): tf.Scalar {
    return tf.tidy(() => softmaxCrossEntropy(this.logits(ids, mask, positions, opts), targets));
  }
}
