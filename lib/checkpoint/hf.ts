/**
 * DNABERT checkpoint folders on disk (Hugging Face layout): loading into either head through
 * lib/checkpoint/bert.ts (PyTorch's pytorch_model.bin read too), and saving.
 *
 * Saving writes `model.safetensors` with HF key names and PyTorch layouts (tied weights stored once, as
 * `save_pretrained` does), so `BertForSequenceClassification` / `BertForMaskedLM.from_pretrained(dir)`
 * load it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../atomic.js';
import * as tf from '@tensorflow/tfjs';
import { BertMaskedLM, mlmSpecs, paramSpecs, type BertClassifier } from '../models/dnabert.js';
import { vocabFileText } from '../models/tokenizer.js';
import { serializeSafetensors } from './safetensors.js';
import { readTorchCheckpoint } from './torch.js';
import { bertClassifierFromFiles, bertMaskedLMFromFiles, hfConfigJson, torchShape, type LoadOptions, type LoadReport } from './bert.js';
import type { ModelFiles } from './files.js';

export { CheckpointError, type LoadReport, type LoadOptions } from './bert.js';

/** The files of a folder on disk. */
export function dirFiles(dir: string): ModelFiles {
  return {
    where: dir,
    path: (name) => join(dir, name),
    has: (name) => existsSync(join(dir, name)),
    text: (name) => readFileSync(join(dir, name), 'utf8'),
    bytes: (name) => readFileSync(join(dir, name)),
  };
}

/** pytorch_model.bin → tensors, for the readers of lib/checkpoint/bert.ts. */
export const torchReader = (bytes: Uint8Array, where: string) => readTorchCheckpoint(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), where);

/** Load a DNABERT classifier from a HF-layout directory. */
export function loadCheckpoint(dir: string, opts: LoadOptions = {}): Promise<{ model: BertClassifier; report: LoadReport }> {
  return bertClassifierFromFiles(dirFiles(dir), opts, torchReader);
}

/** Load a DNABERT masked language model (the official pretrained checkpoint, or one of ours) from a HF-layout directory. */
export function loadMaskedLM(dir: string, opts: Pick<LoadOptions, 'seed'> = {}): Promise<{ model: BertMaskedLM; report: LoadReport }> {
  return bertMaskedLMFromFiles(dirFiles(dir), opts, torchReader);
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
