/**
 * DNABERT checkpoints in Hugging Face layout — `config.json`, `vocab.txt`, and `model.safetensors`
 * and/or `pytorch_model.bin` — read from their files wherever they are (lib/checkpoint/files.ts), into
 * either head of lib/models/dnabert.ts. No Node APIs: the browser page loads models with it too; Node's
 * folder loading and saving are in lib/checkpoint/hf.ts.
 *
 * Loading maps the state dict onto the model's parameters: a `bert.` prefix is added where a bare
 * BertModel was saved, old LayerNorm names (gamma/beta) are renamed, the `position_ids` buffer and the
 * other head's parameters are ignored, and the head's own parameters are initialised fresh where the
 * checkpoint lacks them — as `from_pretrained` does: a classifier from a pretrained (MLM) checkpoint gets
 * a fresh pooler and classifier; an MLM model from a classifier gets a fresh `cls.predictions`. The MLM
 * decoder is tied to the word embeddings, so a stored `cls.predictions.decoder.*` is not read. Any other
 * missing, unexpected or mis-shaped key is an error listing them all.
 */
import * as tf from '@tensorflow/tfjs';
import { BertClassifier, BertMaskedLM, bertConfig, initialValue, mlmSpecs, paramSpecs, type BertConfig, type ParamSpec } from '../models/dnabert.js';
import { kmerVocab } from '../models/tokenizer.js';
import { parseSafetensors } from './safetensors.js';
import { memorySource, type ByteSource, type RawTensor, type TensorMap } from './tensors.js';
import type { ModelFiles } from './files.js';
import { parseJsonObject } from '../records/artifact.js';

export interface LoadReport {
  dir: string;
  weightsFile: string;
  /** k of the k-mer vocabulary. */
  k: number;
  /** Checkpoint keys deliberately not used (MLM head, buffers). */
  ignored: string[];
  /** Parameters absent from the checkpoint and initialised fresh (the classifier of a pretrained model). */
  freshlyInitialised: string[];
  /** config.json keys that do not define the model (generation settings, label names, versions). */
  ignoredConfigKeys: string[];
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Which model a checkpoint is read into: `BertForSequenceClassification` or `BertForMaskedLM`. */
export type BertHead = 'classifier' | 'mlm';

const BUFFERS = /(^|\.)position_ids$/;
const HEADS: Record<BertHead, { specs: (c: BertConfig) => ParamSpec[]; ignored: RegExp; fresh: RegExp }> = {
  classifier: { specs: paramSpecs, ignored: /^cls\./, fresh: /^(classifier|bert\.pooler)\./ },
  mlm: { specs: mlmSpecs, ignored: /^(classifier\.|bert\.pooler\.|cls\.predictions\.decoder\.|cls\.seq_relationship\.)/, fresh: /^cls\.predictions\./ },
};

/** HF key → this library's parameter name, or null to ignore (for the given head). */
export function canonicalKey(key: string, head: BertHead = 'classifier'): string | null {
  let k = key.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
  if (/^(embeddings|encoder|pooler)\./.test(k)) k = `bert.${k}`;
  if (BUFFERS.test(k) || HEADS[head].ignored.test(k)) return null;
  return k;
}

/** k of a vocabulary file's text (`path` names it in errors), checked line for line against the generated one. */
export function checkVocab(text: string, path: string): number {
  const lines = text.split(/\r?\n/).filter((l, i, a) => l !== '' || i < a.length - 1);
  for (const k of [3, 4, 5, 6]) {
    if (lines.length !== 5 + 4 ** k) continue;
    const want = kmerVocab(k);
    const bad = lines.findIndex((l, i) => l !== want[i]);
    if (bad >= 0) throw new CheckpointError(`${path} line ${bad + 1}: '${lines[bad]}' where the ${k}-mer vocabulary has '${want[bad]}'`);
    return k;
  }
  throw new CheckpointError(`${path}: ${lines.length} tokens is not a DNABERT k-mer vocabulary (k = 3..6 has 5 + 4^k tokens)`);
}

/** Reads a PyTorch checkpoint (pytorch_model.bin, either torch.save format) into tensors; `src.where` names it in errors. */
export type TorchReader = (src: ByteSource) => Promise<TensorMap>;

async function readWeights(files: ModelFiles, readTorch?: TorchReader): Promise<{ tensors: TensorMap; file: string }> {
  if (files.has('model.safetensors')) return { tensors: parseSafetensors(files.bytes('model.safetensors'), files.path('model.safetensors')), file: files.path('model.safetensors') };
  if (files.has('pytorch_model.bin')) {
    if (!readTorch) throw new CheckpointError(`${files.where}: only pytorch_model.bin, which only Node reads; save the model as model.safetensors (in Python: save_pretrained(dir, safe_serialization=True))`);
    const file = files.path('pytorch_model.bin');
    const src = files.source?.('pytorch_model.bin') ?? memorySource(files.bytes('pytorch_model.bin'), file);
    try {
      return { tensors: await readTorch(src), file };
    } finally {
      src.close?.();
    }
  }
  throw new CheckpointError(`${files.where}: no model.safetensors or pytorch_model.bin`);
}

export function torchShape(spec: ParamSpec): number[] {
  return spec.kind === 'linear' ? [spec.shape[1], spec.shape[0]] : spec.shape;
}

function toTensor(spec: ParamSpec, raw: RawTensor): tf.Tensor {
  const t = tf.tensor(raw.data as Float32Array, torchShape(spec), 'float32');
  if (spec.kind !== 'linear') return t;
  const tt = tf.transpose(t);
  t.dispose();
  return tt;
}

export interface LoadOptions {
  /** Seed for the parameters the checkpoint lacks (the classifier head). */
  seed?: number;
  /** Override the number of labels (default: from config.json, else 2). */
  numLabels?: number;
}

/** A DNABERT classifier from a checkpoint's files (a fresh pooler and classifier where it has none). */
export async function bertClassifierFromFiles(files: ModelFiles, opts: LoadOptions = {}, readTorch?: TorchReader): Promise<{ model: BertClassifier; report: LoadReport }> {
  const { config, params, report } = await loadBertParams(files, 'classifier', opts, readTorch);
  return { model: new BertClassifier(config, params), report };
}

/** A DNABERT masked language model from a checkpoint's files (a fresh prediction head where it has none). */
export async function bertMaskedLMFromFiles(files: ModelFiles, opts: Pick<LoadOptions, 'seed'> = {}, readTorch?: TorchReader): Promise<{ model: BertMaskedLM; report: LoadReport }> {
  const { config, params, report } = await loadBertParams(files, 'mlm', opts, readTorch);
  return { model: new BertMaskedLM(config, params), report };
}

/**
 * A BERT's configuration and parameters from a checkpoint's files, for the given head: the checkpoint's
 * tensors mapped onto the head's parameters (see the file comment), the rest initialised fresh with
 * `opts.seed`. `readTorch` reads a `pytorch_model.bin` (Node: lib/checkpoint/torch.ts); without it only
 * `model.safetensors` is read.
 */
export async function loadBertParams(files: ModelFiles, head: BertHead, opts: LoadOptions = {}, readTorch?: TorchReader): Promise<{ config: BertConfig; params: Map<string, tf.Variable>; report: LoadReport }> {
  const dir = files.where;
  for (const f of ['config.json', 'vocab.txt']) {
    if (!files.has(f)) throw new CheckpointError(`${dir}: missing ${f}; a DNABERT checkpoint directory needs config.json, vocab.txt and model.safetensors or pytorch_model.bin`);
  }
  const rawConfig = parseJsonObject(files.path('config.json'), files.text('config.json'), 'model config', 'Restore the checkpoint folder, or fetch or save the model again');
  const ignoredConfigKeys: string[] = [];
  const config = bertConfig(opts.numLabels ? { ...rawConfig, num_labels: opts.numLabels } : rawConfig, files.path('config.json'), { ignored: ignoredConfigKeys });
  const k = checkVocab(files.text('vocab.txt'), files.path('vocab.txt'));
  if (5 + 4 ** k !== config.vocab_size) throw new CheckpointError(`${dir}: vocab.txt has ${5 + 4 ** k} tokens but config.json says vocab_size ${config.vocab_size}`);
  const { tensors, file } = await readWeights(files, readTorch);

  const { specs: specsOf, fresh: freshable } = HEADS[head];
  const specs = new Map(specsOf(config).map((s, i) => [s.name, { spec: s, index: i }]));
  const found = new Map<string, RawTensor>();
  const ignored: string[] = [], unexpected: string[] = [], misShaped: string[] = [];
  const badShape = new Set<string>();
  for (const [key, raw] of tensors) {
    const name = canonicalKey(key, head);
    if (name === null) {
      ignored.push(key);
      continue;
    }
    const entry = specs.get(name);
    if (!entry) {
      unexpected.push(key);
      continue;
    }
    const want = torchShape(entry.spec);
    if (raw.shape.join(',') !== want.join(',')) {
      misShaped.push(`${key}: ${JSON.stringify(raw.shape)}, expected ${JSON.stringify(want)}`);
      badShape.add(name);
    } else found.set(name, raw);
  }
  const missing = [...specs.keys()].filter((n) => !found.has(n) && !badShape.has(n));
  const fresh = missing.filter((n) => freshable.test(n));
  const missingRequired = missing.filter((n) => !freshable.test(n));
  const problems: string[] = [];
  if (missingRequired.length) problems.push(`missing keys: ${missingRequired.join(', ')}`);
  if (unexpected.length) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
  if (misShaped.length) problems.push(`wrong shapes: ${misShaped.join('; ')}`);
  if (problems.length) throw new CheckpointError(`${file} does not fit the BERT ${head === 'mlm' ? 'masked language model' : 'classifier'} of ${files.path('config.json')}: ${problems.join(' | ')}`);

  const params = new Map<string, tf.Variable>();
  for (const { spec, index } of specs.values()) {
    const raw = found.get(spec.name);
    const init = raw ? toTensor(spec, raw) : initialValue(spec, config, (opts.seed ?? 0) * 1009 + index);
    params.set(spec.name, tf.variable(init, true));
    init.dispose();
  }
  return { config, params, report: { dir, weightsFile: file, k, ignored, freshlyInitialised: fresh, ignoredConfigKeys } };
}


/** HF config.json contents for a model. */
export function hfConfigJson(config: BertConfig, architecture = 'BertForSequenceClassification'): Record<string, unknown> {
  return { architectures: [architecture], model_type: 'bert', position_embedding_type: 'absolute', ...config };
}

