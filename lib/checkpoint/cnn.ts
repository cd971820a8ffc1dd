/**
 * The CNN baseline on disk: `config.json` (`model_type: "genomic-benchmarks-cnn"`, the input length)
 * and `model.safetensors` with the PyTorch state-dict names and layouts (including BatchNorm running
 * statistics), so the weights load into the package's `CNN` module as well.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../atomic.js';
import { CnnClassifier, cnnConfig, cnnParamDefs, toTorchLayout } from '../cnn.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';

export const CNN_MODEL_TYPE = 'genomic-benchmarks-cnn';

export function isCnnDir(dir: string): boolean {
  if (!existsSync(join(dir, 'config.json'))) return false;
  return (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { model_type?: string }).model_type === CNN_MODEL_TYPE;
}

export async function saveCnn(model: CnnClassifier, dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const def of cnnParamDefs(model.config)) {
      const t = toTorchLayout(def, model.params.get(def.name)!);
      tensors.set(def.name, { shape: def.torchShape, data: (await t.data()) as Float32Array });
      t.dispose();
    }
    writeFileSync(join(tmp, 'model.safetensors'), serializeSafetensors(tensors));
    writeFileSync(join(tmp, 'config.json'), JSON.stringify({ model_type: CNN_MODEL_TYPE, input_len: model.config.inputLen, ...extra }, null, 2) + '\n');
  });
}

export function loadCnn(dir: string): CnnClassifier {
  const cfgPath = join(dir, 'config.json');
  const weights = join(dir, 'model.safetensors');
  if (!existsSync(cfgPath) || !existsSync(weights)) throw new Error(`${dir}: a CNN model directory needs config.json and model.safetensors`);
  const raw = JSON.parse(readFileSync(cfgPath, 'utf8')) as { input_len?: number };
  if (!Number.isInteger(raw.input_len)) throw new Error(`${cfgPath}: missing integer 'input_len'`);
  const tensors = parseSafetensors(readFileSync(weights), weights);
  return CnnClassifier.fromTorch(cnnConfig(raw.input_len!), new Map([...tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }])));
}
