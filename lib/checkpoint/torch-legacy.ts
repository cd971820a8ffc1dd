/**
 * Read a PyTorch checkpoint in the legacy `torch.save` format (written by torch < 1.6, and by later
 * versions with `_use_new_zipfile_serialization=False`): the original DNABERT release files are in it.
 *
 * The file is consecutive pickles — the magic number 0x1950a86a20f9469cfc6c, the protocol version
 * 1001, a `sys_info` dict (byte order, type sizes), the state dict, whose tensors name their storages
 * by persistent id `('storage', storage_type, key, location, numel, view_metadata)`, and the list of
 * storage keys — followed, per key in that order, by an 8-byte little-endian element count and the
 * storage's raw little-endian bytes. Tied weights share one key; a tensor may start at an offset and
 * have any strides. The data section is read storage by storage from a ByteSource, so a 359 MB file
 * is never held in memory beside its tensors. No Node APIs (the browser page can use it).
 */
import { PickleStream, STORAGE_DTYPES, tensorsOf, UnpickleError, type PersistentIdResolver, type StorageRef } from './pickle.js';
import { BYTES_PER, decodeBytes, readBytes, type ByteSource, type RawTensor, type TensorMap } from './tensors.js';

/** LONG1 (0x8a), 10 bytes, then the magic number 0x1950a86a20f9469cfc6c little-endian. */
const MAGIC = Uint8Array.of(0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19);
const PROTOCOL_VERSION = 1001;
/** The pickles before the data are small (a BERT-base state dict: about 30 kB); larger is not a checkpoint. */
const MAX_HEADER = 64 * 1024 * 1024;
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Where the magic-number pickle ends, or -1 if the bytes do not start like a legacy torch file:
 * PROTO n, an optional FRAME (protocol ≥ 4), the magic number, STOP.
 */
export function legacyMagicEnd(head: Uint8Array): number {
  if (head[0] !== 0x80) return -1;
  for (const at of [2, 11]) {
    if (MAGIC.every((b, i) => head[at + i] === b) && head[at + MAGIC.length] === 0x2e) return at + MAGIC.length + 1;
  }
  return -1;
}

/** A legacy persistent id `('storage', storage_type, key, location, numel, view_metadata)` → the storage it names. */
function storageRef(where: string, pid: unknown[], type: { dtype?: string } | undefined, unsupported: ReadonlySet<string>): StorageRef {
  const [kind, , key, , size, view] = pid as [string, unknown, string, string, number, unknown];
  if (kind !== 'storage') throw new Error(`${where}: unsupported persistent id kind '${String(kind)}' (only tensors' storages are read)`);
  if (!type?.dtype) {
    const found = [...unsupported].filter((n) => n.startsWith('torch.'));
    throw new Error(`${where}: storage '${key}' has a type this reader does not handle${found.length ? ` (${found.join(', ')})` : ''}; supported: ${Object.keys(STORAGE_DTYPES).join(', ')}`);
  }
  // view_metadata: None, or (view_key, offset, view_size) for a view of the storage `key`
  const viewOffset = Array.isArray(view) ? Number(view[1]) : 0;
  return { __storage: true, dtype: type.dtype, key: String(key), numel: typeof size === 'number' ? size : null, viewOffset };
}

/** Read the pickles before the data section from a growing prefix of the file. */
function readHeader(src: ByteSource, start: number): { state: ReturnType<PickleStream['nextStateDict']>; keys: string[]; dataStart: number; dtypes: Map<string, StorageRef> } {
  const where = src.where;
  for (let chunk = 1 << 20; ; chunk *= 4) {
    const bytes = readBytes(src, start, Math.min(chunk, MAX_HEADER), true);
    const whole = start + bytes.byteLength >= src.size || bytes.byteLength >= MAX_HEADER;
    const dtypes = new Map<string, StorageRef>();
    try {
      const resolve: PersistentIdResolver = (pid, type, unsupported) => {
        const ref = storageRef(where, pid, type, unsupported);
        const seen = dtypes.get(ref.key);
        if (seen && seen.dtype !== ref.dtype) throw new Error(`${where}: storage '${ref.key}' is read as ${seen.dtype} and as ${ref.dtype}; the file is corrupt`);
        dtypes.set(ref.key, ref);
        return ref;
      };
      const stream = new PickleStream(bytes, where, resolve);
      const version = stream.next('the protocol version');
      if (version !== PROTOCOL_VERSION) throw new Error(`${where}: legacy torch file of protocol version ${String(version)}; this reader knows ${PROTOCOL_VERSION}`);
      const info = stream.next('sys_info');
      if (!(info instanceof Map) || info.get('little_endian') !== true) throw new Error(`${where}: written on a big-endian machine (sys_info ${info instanceof Map ? JSON.stringify(Object.fromEntries(info)) : String(info)}); load and re-save it with torch on a little-endian one`);
      const state = stream.nextStateDict();
      const keys = stream.next('the list of storage keys');
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new Error(`${where}: the list of storage keys is not a list of strings; the file is corrupt`);
      return { state, keys, dataStart: start + stream.position, dtypes };
    } catch (e) {
      // only a pickle cut off by the end of the prefix is worth a longer read; other problems are final
      if (whole || !(e instanceof UnpickleError)) throw e;
    }
  }
}

/** A legacy torch file's tensors (`src`: the whole file; see ByteSource). */
export function readLegacyTorch(src: ByteSource): TensorMap | Promise<TensorMap> {
  const where = src.where;
  const start = legacyMagicEnd(readBytes(src, 0, 32, true));
  if (start < 0) throw new Error(`${where}: not a legacy torch file (no magic number)`);
  const { state, keys, dataStart, dtypes } = readHeader(src, start);
  const storages = new Map<string, RawTensor['data']>();
  let at = dataStart;
  for (const key of keys) {
    const ref = dtypes.get(key);
    if (!ref) throw new Error(`${where}: storage '${key}' is listed but no tensor uses it; the file is corrupt`);
    if (at + 8 > src.size) throw new Error(`${where}: truncated: the file ends at byte ${src.size}, before storage '${key}' (${storages.size} of ${keys.length} storages read); download it again`);
    const count = Number(new DataView(readBytes(src, at, 8).buffer).getBigInt64(0, true));
    const bytes = count * BYTES_PER[ref.dtype];
    if (count < 0 || (ref.numel !== null && count !== ref.numel)) throw new Error(`${where}: storage '${key}' announces ${count} elements where the state dict says ${ref.numel}; the file is corrupt`);
    if (at + 8 + bytes > src.size) throw new Error(`${where}: truncated: storage '${key}' needs ${bytes} bytes at byte ${at + 8}, the file ends at ${src.size} (${storages.size} of ${keys.length} storages read); download it again`);
    let data: RawTensor['data'];
    if (ref.dtype === 'F32' && LITTLE_ENDIAN_HOST) {
      data = new Float32Array(count);
      src.readInto(at + 8, new Uint8Array(data.buffer));
    } else {
      data = decodeBytes(readBytes(src, at + 8, bytes), ref.dtype, count, `${where} storage ${key}`);
    }
    storages.set(key, data);
    at += 8 + bytes;
  }
  if (at !== src.size) throw new Error(`${where}: ${src.size - at} unexpected bytes after the last storage (byte ${at}); the file is corrupt`);
  return tensorsOf(state, (ref, name) => {
    const s = storages.get(ref.key);
    if (!s) throw new Error(`${where}: storage '${ref.key}' of '${name}' is not in the file's list of storages; the file is corrupt`);
    return s;
  }, where);
}
