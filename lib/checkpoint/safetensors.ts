/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the raw bytes.
 */
import { decodeBytes, numel, BYTES_PER, type TensorMap } from './tensors.js';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function parseSafetensors(buf: Uint8Array, where = 'safetensors'): TensorMap {
  if (buf.byteLength < 8) throw new Error(`${where}: file too short to be safetensors`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (8 + headerLen > buf.byteLength) throw new Error(`${where}: header length ${headerLen} exceeds the file size; the file is truncated or not safetensors`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new Error(`${where}: unreadable header (${(e as Error).message})`);
  }
  const base = 8 + headerLen;
  const out: TensorMap = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry as HeaderEntry;
    const bytesPer = BYTES_PER[dtype];
    if (!bytesPer) throw new Error(`${where}: tensor '${name}' has unsupported dtype ${dtype}`);
    const count = numel(shape);
    if (end - begin !== count * bytesPer || base + end > buf.byteLength) {
      throw new Error(`${where}: tensor '${name}' (${dtype} ${JSON.stringify(shape)}) has inconsistent offsets [${begin}, ${end}]`);
    }
    out.set(name, { shape, dtype, data: decodeBytes(buf.subarray(base + begin, base + end), dtype, count, `${where} '${name}'`) });
  }
  return out;
}

/** Serialise float32 tensors (in insertion order) to safetensors bytes. */
export function serializeSafetensors(tensors: Map<string, { shape: number[]; data: Float32Array }>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== numel(t.shape)) throw new Error(`tensor '${name}': ${t.data.length} values for shape ${JSON.stringify(t.shape)}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  header.__metadata__ = metadata;
  // the header padded with spaces to a multiple of 8 bytes, as the reference writer does
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const json = new Uint8Array(raw.length + ((8 - (raw.length % 8)) % 8)).fill(0x20);
  json.set(raw);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos); // little-endian hosts
    pos += t.data.byteLength;
  }
  return out;
}
