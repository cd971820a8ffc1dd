/**
 * The CNN baseline's checkpoint: `config.json` (`model_type: "genomic-benchmarks-cnn"`, the input length,
 * the number of classes, a schema version: see CNN_CONFIG) and `model.safetensors` with the PyTorch state-dict names and layouts (including BatchNorm running
 * statistics), so the weights load into the package's `CNN` module as well. Read from files wherever
 * they are (lib/checkpoint/files.ts; no Node APIs, the browser page uses it); lib/checkpoint/save.ts
 * writes them to disk.
 */
import { CnnClassifier, cnnConfig, cnnParamDefs, toTorchLayout } from '../models/cnn.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import type { ModelFiles } from './files.js';
import { parseArtifact, parseJsonObject, type ArtifactFormat } from '../records/artifact.js';

export const CNN_MODEL_TYPE = 'genomic-benchmarks-cnn';

interface CnnConfigFile {
  schema: 2;
  model_type: typeof CNN_MODEL_TYPE;
  input_len: number;
  num_labels: number;
  [extra: string]: unknown;
}

/**
 * config.json of a saved CNN. Versions: 1, no `schema` field, and no `num_labels` for the first (binary)
 * models, which had 2 classes; 2, `schema` and `num_labels` always.
 */
export const CNN_CONFIG: ArtifactFormat<CnnConfigFile> = {
  what: 'CNN model config',
  current: 2,
  unversioned: 1,
  upgrades: { 1: (c) => ({ ...c, num_labels: c.num_labels ?? 2 }) },
  remedy: 'Restore the model folder (git checkout, for a committed model) or train it again with npm run experiment -- --save-model',
  check(c) {
    if (!Number.isInteger(c.input_len)) return "missing integer 'input_len'";
    if (!(Number.isInteger(c.num_labels) && (c.num_labels as number) >= 2)) return `'num_labels' must be an integer ≥ 2, not ${JSON.stringify(c.num_labels)}`;
    return null;
  },
};

/** Whether the files are a CNN checkpoint (by config.json's model_type). */
export function isCnnModel(files: ModelFiles): boolean {
  if (!files.has('config.json')) return false;
  return parseJsonObject(files.path('config.json'), files.text('config.json'), 'model config', CNN_CONFIG.remedy).model_type === CNN_MODEL_TYPE;
}

export function cnnFromFiles(files: ModelFiles): CnnClassifier {
  if (!files.has('config.json') || !files.has('model.safetensors')) throw new Error(`${files.where}: a CNN model directory needs config.json and model.safetensors`);
  const raw = parseArtifact(CNN_CONFIG, files.path('config.json'), files.text('config.json'));
  const tensors = parseSafetensors(files.bytes('model.safetensors'), files.path('model.safetensors'));
  return CnnClassifier.fromTorch(cnnConfig(raw.input_len, raw.num_labels), new Map([...tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }])));
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
    ['config.json', JSON.stringify({ schema: CNN_CONFIG.current, model_type: CNN_MODEL_TYPE, input_len: model.config.inputLen, num_labels: model.config.numClasses, ...extra }, null, 2) + '\n'],
  ]);
}
