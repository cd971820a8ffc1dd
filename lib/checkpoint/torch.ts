/**
 * Read a PyTorch `torch.save` checkpoint (the zip format, default since torch 1.6): a zip holding
 * `<archive>/data.pkl` — a pickled state dict whose tensors point at storages by persistent id — and
 * `<archive>/data/<key>`, the raw little-endian bytes of each storage.
 *
 * Only the constructs a state dict uses are understood (OrderedDict, `_rebuild_tensor_v2`,
 * `_rebuild_parameter`, typed storages); anything else in the pickle is reported, not executed.
 */
import yauzl from 'yauzl';
import { NameRegistry, Parser } from 'pickleparser';
import { BYTES_PER, decodeBytes, numel, type RawTensor, type TensorMap } from './tensors.js';

/** Storage class name → safetensors-style dtype. */
const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
};

function readZipEntries(buf: Buffer, where: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(new Error(`${where}: not a torch zip checkpoint (${err?.message ?? 'unreadable'}). Legacy (pre-1.6) torch files are not supported; re-save with a recent torch.`));
      const entries = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error(`${where}: cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

interface StorageRef {
  __storage: true;
  dtype: string;
  key: string;
}

interface TensorRef {
  __tensor: true;
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

/** Copy a (possibly strided) view out of a storage, in row-major order. */
function gather(storage: RawTensor['data'], offset: number, size: number[], stride: number[]): RawTensor['data'] {
  const n = numel(size);
  const contiguous = size.every((_, i) => stride[i] === numel(size.slice(i + 1)) || size[i] === 1);
  if (contiguous) return storage.slice(offset, offset + n) as RawTensor['data'];
  const out = new (storage.constructor as { new (n: number): RawTensor['data'] })(n);
  const idx = new Array<number>(size.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = offset;
    for (let d = 0; d < size.length; d++) src += idx[d] * stride[d];
    (out as Float32Array)[i] = (storage as Float32Array)[src];
    for (let d = size.length - 1; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

export async function readTorchCheckpoint(buf: Buffer, where = 'pytorch_model.bin'): Promise<TensorMap> {
  const entries = await readZipEntries(buf, where);
  const pklName = [...entries.keys()].find((k) => k.endsWith('/data.pkl') || k === 'data.pkl');
  if (!pklName) throw new Error(`${where}: no data.pkl inside the archive; is this a torch.save checkpoint?`);
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);

  const registry = new NameRegistry();
  const unsupported = new Set<string>();
  const onMissing = registry.onMissingName.bind(registry);
  registry.onMissingName = (module: string, name: string) => {
    unsupported.add(`${module}.${name}`);
    return onMissing(module, name);
  };
  registry.register('collections', 'OrderedDict', () => new Map());
  const rebuild = (storage: StorageRef, offset: number, size: number[], stride: number[]): TensorRef => ({ __tensor: true, storage, offset, size, stride });
  registry.register('torch._utils', '_rebuild_tensor_v2', rebuild);
  registry.register('torch._utils', '_rebuild_tensor', rebuild);
  registry.register('torch._utils', '_rebuild_parameter', (t: TensorRef) => t);
  // The pickle refers to storage classes by name (GLOBAL); tag each with its dtype.
  for (const [cls, dtype] of Object.entries(STORAGE_DTYPES)) registry.register('torch', cls, Object.assign(() => ({ dtype }), { dtype }));

  const parser = new Parser({
    nameResolver: registry,
    unpicklingTypeOfDictionary: 'Map',
    persistentResolver: {
      resolve: (pid: unknown) => {
        // ('storage', storage_type, key, location, numel)
        const [kind, type, key] = pid as [string, { dtype?: string }, string];
        if (kind !== 'storage' || !type?.dtype) throw new Error(`${where}: unsupported persistent id ${JSON.stringify(pid)}`);
        return { __storage: true, dtype: type.dtype, key: String(key) } satisfies StorageRef;
      },
    },
  });
  let state: unknown;
  try {
    state = parser.parse(entries.get(pklName)!);
  } catch (e) {
    throw new Error(`${where}: cannot unpickle the state dict (${(e as Error).message})`);
  }
  if (!(state instanceof Map)) {
    throw new Error(`${where}: expected a state dict (a mapping of names to tensors)${unsupported.size ? `; found ${[...unsupported].join(', ')}` : ''}`);
  }
  const storages = new Map<string, RawTensor['data']>();
  const out: TensorMap = new Map();
  for (const [name, value] of state as Map<string, unknown>) {
    const t = value as TensorRef;
    if (!t || !t.__tensor) throw new Error(`${where}: entry '${name}' is not a tensor${unsupported.size ? ` (pickle uses ${[...unsupported].join(', ')})` : ''}`);
    const { dtype, key } = t.storage;
    let storage = storages.get(key);
    if (!storage) {
      const bytes = entries.get(`${prefix}data/${key}`);
      if (!bytes) throw new Error(`${where}: storage '${key}' of '${name}' is missing from the archive`);
      storage = decodeBytes(bytes, dtype, Math.floor(bytes.length / BYTES_PER[dtype]), `${where} storage ${key}`);
      storages.set(key, storage);
    }
    const need = t.offset + (t.size.length ? t.size.reduce((acc, s, i) => acc + (s - 1) * t.stride[i], 0) + 1 : 1);
    if (numel(t.size) > 0 && need > storage.length) throw new Error(`${where}: tensor '${name}' reads past the end of its storage`);
    out.set(name, { shape: t.size, dtype, data: gather(storage, t.offset, t.size, t.stride) });
  }
  return out;
}
