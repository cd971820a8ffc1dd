/**
 * Saving a trained model (any adapter of lib/models/adapters.ts) as a folder `npm run predict`, the browser page
 * and Python's `from_pretrained` load: a BERT in Hugging Face layout (lib/checkpoint/hf.ts), the CNN in
 * the project's safetensors layout (lib/checkpoint/cnn.ts). Written atomically; `extra` adds keys to
 * config.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../atomic.js';
import type { CnnClassifier } from '../models/cnn.js';
import type { ModelAdapter } from '../models/adapters.js';
import { saveCheckpoint } from './hf.js';
import { cnnCheckpointFiles } from './cnn.js';

export async function saveCnn(model: CnnClassifier, dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  const files = await cnnCheckpointFiles(model, extra);
  await writeDirAtomic(dir, async (tmp) => {
    for (const [name, data] of files) writeFileSync(join(tmp, name), data);
  });
}

export async function saveModel(adapter: ModelAdapter, dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  const c = adapter.checkpoint;
  if (!c) throw new Error(`${adapter.describe()} has no weights to save`);
  if (c.kind === 'cnn') return saveCnn(c.model, dir, extra);
  return saveCheckpoint(c.model, dir, c.k, { ...extra, ...c.extra });
}
