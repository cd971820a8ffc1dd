/**
 * Read a PyTorch `torch.save` checkpoint, either format, told apart by its first bytes:
 *
 * - the zip format (default since torch 1.6): a zip holding `<archive>/data.pkl` — the pickled state
 *   dict, whose tensors point at storages by persistent id — and `<archive>/data/<key>`, the raw
 *   little-endian bytes of each storage;
 * - the legacy format (torch < 1.6, the original DNABERT release): lib/checkpoint/torch-legacy.ts.
 *
 * Both unpickle the state dict through lib/checkpoint/pickle.ts and return the same named tensors.
 */
import yauzl from 'yauzl';
import { PickleStream, tensorsOf } from './pickle.js';
import { legacyMagicEnd, readLegacyTorch } from './torch-legacy.js';
import { BYTES_PER, decodeBytes, readBytes, type ByteSource, type RawTensor, type TensorMap } from './tensors.js';

function readZipEntries(buf: Buffer, where: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(new Error(`${where}: not a readable torch zip checkpoint (${err?.message ?? 'unreadable'}); the file is corrupt or truncated`));
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

async function readZipTorch(src: ByteSource): Promise<TensorMap> {
  const where = src.where;
  const bytes = readBytes(src, 0, src.size);
  const entries = await readZipEntries(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), where);
  const pklName = [...entries.keys()].find((k) => k.endsWith('/data.pkl') || k === 'data.pkl');
  if (!pklName) throw new Error(`${where}: no data.pkl inside the archive; is this a torch.save checkpoint?`);
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const state = new PickleStream(entries.get(pklName)!, where, (pid, type) => {
    // ('storage', storage_type, key, location, numel)
    const [kind, , key, , size] = pid as [string, unknown, string, string, number];
    if (kind !== 'storage' || !type?.dtype) throw new Error(`${where}: unsupported persistent id ${JSON.stringify(pid)}`);
    return { __storage: true, dtype: type.dtype, key: String(key), numel: typeof size === 'number' ? size : null, viewOffset: 0 };
  }).nextStateDict();
  const storages = new Map<string, RawTensor['data']>();
  return tensorsOf(state, ({ dtype, key }, name) => {
    let storage = storages.get(key);
    if (!storage) {
      const raw = entries.get(`${prefix}data/${key}`);
      if (!raw) throw new Error(`${where}: storage '${key}' of '${name}' is missing from the archive`);
      storage = decodeBytes(raw, dtype, Math.floor(raw.length / BYTES_PER[dtype]), `${where} storage ${key}`);
      storages.set(key, storage);
    }
    return storage;
  }, where);
}

/** The format of a torch.save file from its first bytes. */
export function torchFormat(head: Uint8Array): 'zip' | 'legacy' | null {
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  return legacyMagicEnd(head) >= 0 ? 'legacy' : null;
}

/** A torch.save checkpoint's tensors, whichever format (`src.where` names it in errors). */
export async function readTorchCheckpoint(src: ByteSource): Promise<TensorMap> {
  const head = readBytes(src, 0, 32, true);
  const format = torchFormat(head);
  if (format === 'zip') return readZipTorch(src);
  if (format === 'legacy') return readLegacyTorch(src);
  const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${src.where}: not a torch.save checkpoint (first bytes ${hex || 'none: the file is empty'}; a zip-format file starts with 50 4b 03 04, a legacy one with the pickled magic number 80 02 8a 0a 6c fc); download it again, or save the model with torch.save / save_pretrained`);
}
