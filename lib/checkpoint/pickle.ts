/**
 * The pickled state dict inside a `torch.save` file, shared by both file formats (the zip format of
 * torch ≥ 1.6, lib/checkpoint/torch.ts, and the legacy format before it, lib/checkpoint/torch-legacy.ts):
 * unpickling it with only the constructs a state dict uses (OrderedDict, `_rebuild_tensor_v2`,
 * `_rebuild_parameter`, typed storages) — anything else is reported, never executed — and cutting each
 * tensor out of its storage. The formats differ only in where the storages' bytes are. No Node APIs.
 */
import { BufferReader, NameRegistry, Parser } from 'pickleparser';
import { numel, type RawTensor, type TensorMap } from './tensors.js';

/** Storage class name → safetensors-style dtype. */
export const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
};

/** A storage as a persistent id names it: its dtype, its key and, for a legacy storage view, where the view starts. */
export interface StorageRef {
  __storage: true;
  dtype: string;
  key: string;
  /** Elements the storage holds, where the persistent id says (legacy files; the zip format's too). */
  numel: number | null;
  /** A legacy storage view: its first element within the storage `key`. */
  viewOffset: number;
}

interface TensorRef {
  __tensor: true;
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

/** A persistent id (a tuple, as pickleparser gives it) → the storage it names; throws on anything else. */
export type PersistentIdResolver = (pid: unknown[], storageType: { dtype?: string } | undefined, unsupported: ReadonlySet<string>) => StorageRef;

function registryFor(unsupported: Set<string>): NameRegistry {
  const registry = new NameRegistry();
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
  return registry;
}

/** A pickle that could not be read: bad bytes, or bytes that end too soon. */
export class UnpickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnpickleError';
  }
}

/** A pickle stream read one pickle at a time; `position` is where the next one starts. */
export class PickleStream {
  private readonly reader: BufferReader;
  private readonly parser: Parser;
  readonly unsupported = new Set<string>();

  constructor(bytes: Uint8Array, private readonly where: string, resolvePid: PersistentIdResolver = () => {
    throw new Error('unexpected persistent id');
  }) {
    this.reader = new BufferReader(bytes);
    this.parser = new Parser({
      nameResolver: registryFor(this.unsupported),
      unpicklingTypeOfDictionary: 'Map',
      persistentResolver: { resolve: (pid: unknown) => resolvePid(pid as unknown[], (pid as unknown[])[1] as { dtype?: string } | undefined, this.unsupported) },
    });
  }

  get position(): number {
    return this.reader.position;
  }

  /** The next pickle; `what` names it in errors. */
  next(what: string): unknown {
    try {
      return this.parser.read(this.reader);
    } catch (e) {
      throw new UnpickleError(`${this.where}: cannot unpickle ${what} (${(e as Error).message})`);
    }
  }

  /** The next pickle as a state dict: a mapping of names to tensors. */
  nextStateDict(): Map<string, TensorRef> {
    const state = this.next('the state dict');
    const uses = this.unsupported.size ? ` (the pickle uses ${[...this.unsupported].join(', ')})` : '';
    if (!(state instanceof Map)) throw new Error(`${this.where}: expected a state dict (a mapping of names to tensors)${uses}`);
    for (const [name, value] of state as Map<string, unknown>) {
      if (!(value as TensorRef)?.__tensor) throw new Error(`${this.where}: entry '${name}' is not a tensor${uses}`);
    }
    return state as Map<string, TensorRef>;
  }
}

/**
 * A (possibly strided) view of a storage, in row-major order. A contiguous view shares the storage's
 * memory (tied weights, a whole storage); a strided one is copied.
 */
function gather(storage: RawTensor['data'], offset: number, size: number[], stride: number[]): RawTensor['data'] {
  const n = numel(size);
  const contiguous = size.every((_, i) => stride[i] === numel(size.slice(i + 1)) || size[i] === 1);
  if (contiguous) return storage.subarray(offset, offset + n) as RawTensor['data'];
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

/** The state dict's tensors, each cut out of its storage (`storageOf`: the decoded storage of a key). */
export async function tensorsOf(state: Map<string, TensorRef>, storageOf: (ref: StorageRef, name: string) => RawTensor['data'] | Promise<RawTensor['data']>, where: string): Promise<TensorMap> {
  const out: TensorMap = new Map();
  for (const [name, t] of state) {
    const storage = await storageOf(t.storage, name);
    const offset = t.storage.viewOffset + t.offset;
    const last = offset + (t.size.length ? t.size.reduce((acc, s, i) => acc + (s - 1) * t.stride[i], 0) : 0);
    if (numel(t.size) > 0 && last >= storage.length) throw new Error(`${where}: tensor '${name}' reads past the end of its storage (element ${last} of ${storage.length}); the file is corrupt`);
    out.set(name, { shape: t.size, dtype: t.storage.dtype, data: gather(storage, offset, t.size, t.stride) });
  }
  return out;
}
