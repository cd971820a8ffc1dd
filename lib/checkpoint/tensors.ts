/** A named, framework-free tensor as read from or written to a checkpoint file. */
export interface RawTensor {
  shape: number[];
  /** Floating-point tensors are converted to float32; integer tensors (e.g. position_ids) keep their values. */
  data: Float32Array | Int32Array | BigInt64Array;
  /** The dtype in the file (safetensors names: F32, F16, BF16, I64, …). */
  dtype: string;
}

export type TensorMap = Map<string, RawTensor>;

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE half → float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decode little-endian bytes of a dtype into a typed array (floats → Float32Array). */
export function decodeBytes(bytes: Uint8Array, dtype: string, count: number, where: string): RawTensor['data'] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'I64': {
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getBigInt64(8 * i, true);
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    }
    default:
      throw new Error(`${where}: unsupported dtype ${dtype}`);
  }
}

export const BYTES_PER: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4 };

/**
 * Random-access bytes of a file, read piece by piece, so that a large checkpoint is never held whole in
 * memory beside the tensors decoded from it (a file on disk: lib/checkpoint/hf.ts `fileSource`).
 */
export interface ByteSource {
  /** Where the bytes are, for messages. */
  readonly where: string;
  readonly size: number;
  /** Fill `target` with the bytes from `position` on; an error where the file ends first. */
  readInto(position: number, target: Uint8Array): void;
  close?(): void;
}

/** Bytes already in memory as a ByteSource. */
export function memorySource(bytes: Uint8Array, where: string): ByteSource {
  return {
    where,
    size: bytes.byteLength,
    readInto(position, target) {
      if (position + target.byteLength > bytes.byteLength) throw new Error(`${where}: ends at byte ${bytes.byteLength}, ${position + target.byteLength - bytes.byteLength} bytes short of the ${target.byteLength} wanted at ${position}; the file is truncated`);
      target.set(bytes.subarray(position, position + target.byteLength));
    },
  };
}

/** `length` bytes from `position` (fewer where the file ends first, when `clip`). */
export function readBytes(src: ByteSource, position: number, length: number, clip = false): Uint8Array {
  const out = new Uint8Array(clip ? Math.max(0, Math.min(length, src.size - position)) : length);
  src.readInto(position, out);
  return out;
}
