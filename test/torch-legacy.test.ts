/**
 * The legacy torch.save format (torch < 1.6; the original DNABERT release files) against PyTorch:
 * fixtures written by Debian's python3-torch (test/fixtures/bert/make_legacy_fixtures.py). Every dtype,
 * offsets, strides and shared storages; a DNABERT-release style classifier folder scores with
 * `npm run predict` as PyTorch does; the legacy copies load exactly as their zip / safetensors twins;
 * damaged files are clear errors naming the file.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend.js';
import { fileSource, loadCheckpoint, loadMaskedLM } from '../lib/checkpoint/hf.js';
import { readTorchCheckpoint, torchFormat } from '../lib/checkpoint/torch.js';
import { memorySource, type TensorMap } from '../lib/checkpoint/tensors.js';
import { predict } from '../lib/cli/predict.js';
import { tempDir } from './helpers.js';

const FIX = new URL('./fixtures/', import.meta.url).pathname;
const LEGACY = join(FIX, 'bert', 'legacy');
const DTYPES = join(FIX, 'torch-legacy', 'dtypes.bin');

before(async () => {
  await selectBackend({ requested: 'cpu' });
});

async function readFile(path: string): Promise<TensorMap> {
  const src = fileSource(path);
  try {
    return await readTorchCheckpoint(src);
  } finally {
    src.close?.();
  }
}

test('both torch.save formats are told apart by their first bytes', () => {
  assert.equal(torchFormat(readFileSync(join(LEGACY, 'pytorch_model.bin'))), 'legacy');
  assert.equal(torchFormat(readFileSync(join(FIX, 'bert', 'tiny', 'pytorch_model.bin'))), 'zip');
  assert.equal(torchFormat(readFileSync(join(FIX, 'bert', 'tiny', 'model.safetensors'))), null);
});

test('legacy file: every dtype, offsets, strides and shared storages as PyTorch reads them', async () => {
  const want = JSON.parse(readFileSync(join(FIX, 'torch-legacy', 'dtypes.json'), 'utf8')) as Record<string, { shape: number[]; values: (number | string)[] }>;
  for (const read of [() => readFile(DTYPES), () => readTorchCheckpoint(memorySource(readFileSync(DTYPES), 'dtypes.bin'))]) {
    const got = await read();
    assert.deepEqual([...got.keys()].sort(), Object.keys(want).sort());
    for (const [name, { shape, values }] of Object.entries(want)) {
      const t = got.get(name)!;
      assert.deepEqual(t.shape, shape, name);
      const data = Array.from(t.data as ArrayLike<number | bigint>);
      if (typeof values[0] === 'string') assert.deepEqual(data.map(String), values, name);
      else if (name === 'f64') data.forEach((v, i) => assert.ok(Math.abs(Number(v) - Number(values[i])) <= 1e-7 * Math.max(1, Math.abs(Number(values[i]))), `${name}[${i}]`));
      else assert.deepEqual(data, values, name); // float32, float16 and bfloat16 are exact in float32
    }
    assert.deepEqual(['f32', 'f16', 'bf16', 'i64', 'i32', 'f64'].map((n) => got.get(n)!.dtype), ['F32', 'F16', 'BF16', 'I64', 'I32', 'F64']);
  }
});

async function paramsOf(params: Map<string, tf.Variable>): Promise<Map<string, Float32Array>> {
  return new Map(await Promise.all([...params].map(async ([k, v]) => [k, (await v.data()) as Float32Array] as const)));
}

test('a legacy DNABERT-release style classifier loads exactly as its zip-format twin', async () => {
  const legacy = await loadCheckpoint(LEGACY, { seed: 1 });
  const zip = await loadCheckpoint(join(FIX, 'bert', 'tiny'), { seed: 1 });
  assert.match(legacy.report.weightsFile, /legacy\/pytorch_model\.bin$/);
  assert.equal(legacy.report.freshlyInitialised.length, 0, 'a fine-tuned classifier: nothing initialised fresh');
  const a = await paramsOf(legacy.model.params), b = await paramsOf(zip.model.params);
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assert.deepEqual(v, b.get(k), k);
  legacy.model.dispose();
  zip.model.dispose();
});

test('a legacy masked LM with tied decoder weights loads exactly as its safetensors twin', async () => {
  const tensors = await readFile(join(FIX, 'bert', 'mlm-legacy', 'pytorch_model.bin'));
  assert.deepEqual(tensors.get('cls.predictions.decoder.weight')!.data, tensors.get('bert.embeddings.word_embeddings.weight')!.data);
  const legacy = await loadMaskedLM(join(FIX, 'bert', 'mlm-legacy'));
  const ref = await loadMaskedLM(join(FIX, 'bert', 'mlm-ref'));
  const a = await paramsOf(legacy.model.params), b = await paramsOf(ref.model.params);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [k, v] of a) assert.deepEqual(v, b.get(k), k);
  legacy.model.dispose();
  ref.model.dispose();
});

test('npm run predict scores with a legacy checkpoint folder as PyTorch does (logits within 1e-5)', async () => {
  const ref = JSON.parse(readFileSync(join(FIX, 'bert', 'legacy_reference.json'), 'utf8')) as { sequences: string[]; logits: number[][] };
  const t = tempDir();
  try {
    const fa = join(t.path, 'in.fa');
    writeFileSync(fa, ref.sequences.map((s, i) => `>s${i}\n${s}\n`).join(''));
    await predict({ model: LEGACY, input: fa, output: join(t.path, 'out.tsv'), logits: true, quiet: true });
    const [head, ...rows] = readFileSync(join(t.path, 'out.tsv'), 'utf8').trim().split('\n');
    const col = head.split('\t').indexOf('logits');
    assert.equal(rows.length, ref.sequences.length);
    let worst = 0;
    rows.forEach((r, i) => r.split('\t')[col].split(',').map(Number).forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ref.logits[i][j])))));
    assert.ok(worst <= 1e-5, `largest logit difference ${worst}`);
  } finally {
    t.cleanup();
  }
});

test('damaged legacy files are clear errors naming the file', async () => {
  const bytes = readFileSync(join(LEGACY, 'pytorch_model.bin'));
  const t = tempDir();
  try {
    const write = (name: string, b: Uint8Array) => {
      const p = join(t.path, name);
      writeFileSync(p, b);
      return p;
    };
    const cases: [string, Uint8Array, RegExp][] = [
      ['in-data.bin', bytes.subarray(0, bytes.length - 1000), /in-data\.bin: truncated: storage '\d+' needs \d+ bytes at byte \d+, the file ends at \d+ \(\d+ of \d+ storages read\); download it again/],
      ['in-header.bin', bytes.subarray(0, 400), /in-header\.bin: cannot unpickle (the state dict|the list of storage keys)/],
      ['trailing.bin', Buffer.concat([bytes, Buffer.from('junk')]), /trailing\.bin: 4 unexpected bytes after the last storage/],
      ['empty.bin', new Uint8Array(0), /empty\.bin: not a torch\.save checkpoint \(first bytes none: the file is empty/],
      ['text.bin', Buffer.from('version https://git-lfs.github.com/spec/v1\n'), /text\.bin: not a torch\.save checkpoint \(first bytes 76 65 72 73/],
    ];
    // a storage's element count that disagrees with the state dict
    const count = Buffer.from(bytes);
    // the list of storage keys is the last pickle (PROTO 2, EMPTY_LIST, BINPUT 0, MARK … APPENDS, STOP); the first count follows it
    const keysEnd = count.indexOf(Buffer.from([0x65, 0x2e]), count.indexOf(Buffer.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x28]), 100)) + 2;
    count.writeBigInt64LE(count.readBigInt64LE(keysEnd) + 1n, keysEnd);
    cases.push(['count.bin', count, /count\.bin: storage '\d+' announces \d+ elements where the state dict says \d+; the file is corrupt/]);
    for (const [name, b, want] of cases) await assert.rejects(readFile(write(name, b)), want, name);
  } finally {
    t.cleanup();
  }
});

test('a checkpoint folder as the Hub serves it (legacy weights, extra files) loads through the same folder reader', async () => {
  const t = tempDir();
  try {
    const dir = join(t.path, 'DNA_bert_6');
    mkdirSync(dir);
    for (const f of readdirSync(LEGACY)) copyFileSync(join(LEGACY, f), join(dir, f));
    const { model, report } = await loadCheckpoint(dir, { seed: 2 });
    assert.ok(report.ignoredConfigKeys.includes('rnn'), 'the release config\'s extra keys are reported as ignored');
    model.dispose();
  } finally {
    t.cleanup();
  }
});
