/**
 * The CNN baseline's checkpoint: `config.json` (`model_type: "genomic-benchmarks-cnn"`, the input length,
 * `num_labels`: 2 when absent)
 * and `model.safetensors` with the PyTorch state-dict names and layouts (including BatchNorm running
 * statistics), so the weights load into the package's `CNN` module as well. Read from files wherever
 * they are (lib/checkpoint/files.ts; no Node APIs, the browser page uses it); lib/checkpoint/save.ts
 * writes them to disk.
 */
import { CnnClassifier, cnnConfig, cnnParamDefs, toTorchLayout } from '../models/cnn.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import type { ModelFiles } from './files.js';

export const CNN_MODEL_TYPE = 'genomic-benchmarks-cnn';

/** Whether the files are a CNN checkpoint (by config.json's model_type). */
export function isCnnModel(files: ModelFiles): boolean {
  if (!files.has('config.json')) return false;
  return (JSON.parse(files.text('config.json')) as { model_type?: string }).model_type === CNN_MODEL_TYPE;
}

export function cnnFromFiles(files: ModelFiles): CnnClassifier {
  if (!files.has('config.json') || !files.has('model.safetensors')) throw new Error(`${files.where}: a CNN model directory needs config.json and model.safetensors`);
  const raw = JSON.parse(files.text('config.json')) as { input_len?: number; num_labels?: number };
  if (!Number.isInteger(raw.input_len)) throw new Error(`${files.path('config.json')}: missing integer 'input_len'`);
  if (raw.num_labels !== undefined && !(Number.isInteger(raw.num_labels) && raw.num_labels >= 2)) throw new Error(`${files.path('config.json')}: 'num_labels' must be an integer ≥ 2, not ${JSON.stringify(raw.num_labels)}`);
  const tensors = parseSafetensors(files.bytes('model.safetensors'), files.path('model.safetensors'));
  return CnnClassifier.fromTorch(cnnConfig(raw.input_len!, raw.num_labels ?? 2), new Map([...tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }])));
}

/** The checkpoint's files for a model: file name → contents. */
export async function cnnCheckpointFiles(model: CnnClassifier, extra: Record<string, unknown> = {}): Promise<Map<string, Uint8Array | string>> {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const def of cnnParamDefs(model.config)) {
    const t = toTorchLayout(def, model.params.get(def.name)!);
    tensors.set(def.name, { shape: def.torchShape, data: (await t.data()) as Float32Array });
    t.dispose();
  }
  return new Map<string, Uint8Array | string>([
    ['model.safetensors', serializeSafetensors(tensors)],
    ['config.json', JSON.stringify({ model_type: CNN_MODEL_TYPE, input_len: model.config.inputLen, num_labels: model.config.numClasses, ...extra }, null, 2) + '\n'],
  ]);
}
