/**
 * Hugging Face-layout checkpoint directories for DNABERT: `config.json`, `vocab.txt`, and
 * `model.safetensors` and/or `pytorch_model.bin`.
 *
 * Loading maps the state dict onto the classifier's parameters: a `bert.` prefix is added where a bare
 * BertModel was saved, old LayerNorm names (gamma/beta) are renamed, the MLM head (`cls.*`) and the
 * `position_ids` buffer are ignored, and a missing `classifier.*` is initialised fresh (a pretrained
 * checkpoint has none). Any other missing, unexpected or mis-shaped key is an error listing them all.
 *
 * Saving writes `model.safetensors` with HF key names and PyTorch layouts, so
 * `BertForSequenceClassification.from_pretrained(dir)` loads it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../atomic.js';
import * as tf from '@tensorflow/tfjs';
import { BertClassifier, bertConfig, initialValue, paramSpecs, type BertConfig, type ParamSpec } from '../dnabert.js';
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

const IGNORED = [/^cls\./, /(^|\.)position_ids$/, /^bert\.embeddings\.position_ids$/];

/** HF key → this library's parameter name, or null to ignore. */
export function canonicalKey(key: string): string | null {
  if (IGNORED.some((re) => re.test(key))) return null;
  let k = key.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
  if (/^(embeddings|encoder|pooler)\./.test(k)) k = `bert.${k}`;
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
  for (const f of ['config.json', 'vocab.txt']) {
    if (!existsSync(join(dir, f))) throw new CheckpointError(`${dir}: missing ${f}; a DNABERT checkpoint directory needs config.json, vocab.txt and model.safetensors or pytorch_model.bin`);
  }
  const rawConfig = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const ignoredConfigKeys: string[] = [];
  const config = bertConfig(opts.numLabels ? { ...rawConfig, num_labels: opts.numLabels } : rawConfig, join(dir, 'config.json'), { ignored: ignoredConfigKeys });
  const k = checkVocab(join(dir, 'vocab.txt'));
  if (5 + 4 ** k !== config.vocab_size) throw new CheckpointError(`${dir}: vocab.txt has ${5 + 4 ** k} tokens but config.json says vocab_size ${config.vocab_size}`);
  const { tensors, file } = await readWeights(dir);

  const specs = new Map(paramSpecs(config).map((s, i) => [s.name, { spec: s, index: i }]));
  const found = new Map<string, RawTensor>();
  const ignored: string[] = [], unexpected: string[] = [], misShaped: string[] = [];
  const badShape = new Set<string>();
  for (const [key, raw] of tensors) {
    const name = canonicalKey(key);
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
  const fresh = missing.filter((n) => n.startsWith('classifier.'));
  const missingRequired = missing.filter((n) => !n.startsWith('classifier.'));
  const problems: string[] = [];
  if (missingRequired.length) problems.push(`missing keys: ${missingRequired.join(', ')}`);
  if (unexpected.length) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
  if (misShaped.length) problems.push(`wrong shapes: ${misShaped.join('; ')}`);
  if (problems.length) throw new CheckpointError(`${file} does not fit the BERT classifier of ${join(dir, 'config.json')}: ${problems.join(' | ')}`);

  const params = new Map<string, tf.Variable>();
  for (const { spec, index } of specs.values()) {
    const raw = found.get(spec.name);
    const init = raw ? toTensor(spec, raw) : initialValue(spec, config, (opts.seed ?? 0) * 1009 + index);
    params.set(spec.name, tf.variable(init, true));
    init.dispose();
  }
  return {
    model: new BertClassifier(config, params),
    report: { dir, weightsFile: file, k, ignored, freshlyInitialised: fresh, ignoredConfigKeys },
  };
}

/** HF config.json contents for a model. */
export function hfConfigJson(config: BertConfig): Record<string, unknown> {
  return { architectures: ['BertForSequenceClassification'], model_type: 'bert', position_embedding_type: 'absolute', ...config };
}

/**
 * Save a classifier as `config.json`, `vocab.txt` and `model.safetensors` (HF names and layouts),
 * atomically: written to a sibling temporary folder, then renamed over `dir`.
 */
export async function saveCheckpoint(model: BertClassifier, dir: string, k = 6, extra: Record<string, unknown> = {}): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const spec of paramSpecs(model.config)) {
      const v = model.params.get(spec.name)!;
      const t = spec.kind === 'linear' ? tf.transpose(v) : v;
      tensors.set(spec.name, { shape: torchShape(spec), data: (await t.data()) as Float32Array });
      if (t !== v) t.dispose();
    }
    writeFileSync(join(tmp, 'model.safetensors'), serializeSafetensors(tensors));
    writeFileSync(join(tmp, 'config.json'), JSON.stringify({ ...hfConfigJson(model.config), ...extra }, null, 2) + '\n');
    writeFileSync(join(tmp, 'vocab.txt'), vocabFileText(k));
  });
}
