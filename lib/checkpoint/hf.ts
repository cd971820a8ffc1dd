/**
 * Hugging Face-layout checkpoint directories for DNABERT: `config.json`, `vocab.txt`, and
 * `model.safetensors` and/or `pytorch_model.bin`, for either head of lib/dnabert.ts.
 *
 * Loading maps the state dict onto the model's parameters: a `bert.` prefix is added where a bare
 * BertModel was saved, old LayerNorm names (gamma/beta) are renamed, the `position_ids` buffer and the
 * other head's parameters are ignored, and the head's own parameters are initialised fresh where the
 * checkpoint lacks them — as `from_pretrained` does: a classifier from a pretrained (MLM) checkpoint gets
 * a fresh pooler and classifier; an MLM model from a classifier gets a fresh `cls.predictions`. The MLM
 * decoder is tied to the word embeddings, so a stored `cls.predictions.decoder.*` is not read. Any other
 * missing, unexpected or mis-shaped key is an error listing them all.
 *
 * Saving writes `model.safetensors` with HF key names and PyTorch layouts (tied weights stored once, as
 * `save_pretrained` does), so `BertForSequenceClassification` / `BertForMaskedLM.from_pretrained(dir)`
 * load it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../atomic.js';
import * as tf from '@tensorflow/tfjs';
import { BertClassifier, BertMaskedLM, bertConfig, initialValue, mlmSpecs, paramSpecs, type BertConfig, type ParamSpec } from '../dnabert.js';
import { kmerVocab, vocabFileText } from '../tokenizer.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import { readTorchCheckpoint } from './torch.js';
import type { RawTensor, TensorMap } from './tensors.js';

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

/** k of a vocabulary file, checked line for line against the generated one. */
export function checkVocab(path: string): number {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l, i, a) => l !== '' || i < a.length - 1);
  for (const k of [3, 4, 5, 6]) {
    if (lines.length !== 5 + 4 ** k) continue;
    const want = kmerVocab(k);
    const bad = lines.findIndex((l, i) => l !== want[i]);
    if (bad >= 0) throw new CheckpointError(`${path} line ${bad + 1}: '${lines[bad]}' where the ${k}-mer vocabulary has '${want[bad]}'`);
    return k;
  }
  throw new CheckpointError(`${path}: ${lines.length} tokens is not a DNABERT k-mer vocabulary (k = 3..6 has 5 + 4^k tokens)`);
}

async function readWeights(dir: string): Promise<{ tensors: TensorMap; file: string }> {
  const st = join(dir, 'model.safetensors');
  const pt = join(dir, 'pytorch_model.bin');
  if (existsSync(st)) return { tensors: parseSafetensors(readFileSync(st), st), file: st };
  if (existsSync(pt)) return { tensors: await readTorchCheckpoint(readFileSync(pt), pt), file: pt };
  throw new CheckpointError(`${dir}: no model.safetensors or pytorch_model.bin`);
}

function torchShape(spec: ParamSpec): number[] {
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

/** Load a DNABERT classifier from a HF-layout directory. */
export async function loadCheckpoint(dir: string, opts: LoadOptions = {}): Promise<{ model: BertClassifier; report: LoadReport }> {
  const { config, params, report } = await loadBertParams(dir, 'classifier', opts);
  return { model: new BertClassifier(config, params), report };
}

/** Load a DNABERT masked language model (the official pretrained checkpoint, or one of ours) from a HF-layout directory. */
export async function loadMaskedLM(dir: string, opts: Pick<LoadOptions, 'seed'> = {}): Promise<{ model: BertMaskedLM; report: LoadReport }> {
  const { config, params, report } = await loadBertParams(dir, 'mlm', opts);
  return { model: new BertMaskedLM(config, params), report };
}

async function loadBertParams(dir: string, head: BertHead, opts: LoadOptions): Promise<{ config: BertConfig; params: Map<string, tf.Variable>; report: LoadReport }> {
  for (const f of ['config.json', 'vocab.txt']) {
    if (!existsSync(join(dir, f))) throw new CheckpointError(`${dir}: missing ${f}; a DNABERT checkpoint directory needs config.json, vocab.txt and model.safetensors or pytorch_model.bin`);
  }
  const rawConfig = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const ignoredConfigKeys: string[] = [];
  const config = bertConfig(opts.numLabels ? { ...rawConfig, num_labels: opts.numLabels } : rawConfig, join(dir, 'config.json'), { ignored: ignoredConfigKeys });
  const k = checkVocab(join(dir, 'vocab.txt'));
  if (5 + 4 ** k !== config.vocab_size) throw new CheckpointError(`${dir}: vocab.txt has ${5 + 4 ** k} tokens but config.json says vocab_size ${config.vocab_size}`);
  const { tensors, file } = await readWeights(dir);

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
  if (problems.length) throw new CheckpointError(`${file} does not fit the BERT ${head === 'mlm' ? 'masked language model' : 'classifier'} of ${join(dir, 'config.json')}: ${problems.join(' | ')}`);

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

/**
 * Save a model — the classifier or the masked language model — as `config.json`, `vocab.txt` and
 * `model.safetensors` (HF names and layouts), atomically: written to a sibling temporary folder, then
 * renamed over `dir`.
 */
export async function saveCheckpoint(model: BertClassifier | BertMaskedLM, dir: string, k = 6, extra: Record<string, unknown> = {}): Promise<void> {
  const mlm = model instanceof BertMaskedLM;
  await writeDirAtomic(dir, async (tmp) => {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const spec of (mlm ? mlmSpecs : paramSpecs)(model.config)) {
      const v = model.params.get(spec.name)!;
      const t = spec.kind === 'linear' ? tf.transpose(v) : v;
      tensors.set(spec.name, { shape: torchShape(spec), data: (await t.data()) as Float32Array });
      if (t !== v) t.dispose();
    }
    writeFileSync(join(tmp, 'model.safetensors'), serializeSafetensors(tensors));
    writeFileSync(join(tmp, 'config.json'), JSON.stringify({ ...hfConfigJson(model.config, mlm ? 'BertForMaskedLM' : 'BertForSequenceClassification'), ...extra }, null, 2) + '\n');
    writeFileSync(join(tmp, 'vocab.txt'), vocabFileText(k));
  });
}
