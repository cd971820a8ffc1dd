/**
 * DNABERT checkpoint folders on disk (Hugging Face layout): loading into either head through
 * lib/checkpoint/bert.ts (PyTorch's pytorch_model.bin read too), and saving.
 *
 * Saving writes `model.safetensors` with HF key names and PyTorch layouts (tied weights stored once, as
 * `save_pretrained` does), so `BertForSequenceClassification` / `BertForMaskedLM.from_pretrained(dir)`
 * load it.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../atomic.js';
import * as tf from '@tensorflow/tfjs';
import { BertMaskedLM, mlmSpecs, paramSpecs, type BertClassifier } from '../models/dnabert.js';
import { vocabFileText } from '../models/tokenizer.js';
import { serializeSafetensors } from './safetensors.js';
import { readTorchCheckpoint } from './torch.js';
import { bertClassifierFromFiles, bertMaskedLMFromFiles, hfConfigJson, torchShape, type LoadOptions, type LoadReport, type TorchReader } from './bert.js';
import type { ModelFiles } from './files.js';
import type { ByteSource } from './tensors.js';

export { CheckpointError, type LoadReport, type LoadOptions } from './bert.js';

/** A file on disk as a ByteSource: read where asked, never whole (close() when done). */
export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    where: path,
    size,
    readInto(position, target) {
      let done = 0;
      while (done < target.byteLength) {
        const n = readSync(fd, target, done, target.byteLength - done, position + done);
        if (n === 0) throw new Error(`${path}: ends at byte ${position + done}, ${target.byteLength - done} bytes short of what was wanted at ${position}; the file is truncated`);
        done += n;
      }
    },
    close: () => closeSync(fd),
  };
}

/** The files of a folder on disk (symbolic links followed: a Hugging Face cache snapshot links into its blobs). */
export function dirFiles(dir: string): ModelFiles {
  return {
    where: dir,
    path: (name) => join(dir, name),
    has: (name) => existsSync(join(dir, name)),
    text: (name) => readFileSync(join(dir, name), 'utf8'),
    bytes: (name) => readFileSync(join(dir, name)),
    source: (name) => fileSource(join(dir, name)),
  };
}

/** pytorch_model.bin (either torch.save format) → tensors, for the readers of lib/checkpoint/bert.ts. */
export const torchReader: TorchReader = readTorchCheckpoint;

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
