/**
 * FASTA access: a streaming record reader (plain or gzip) and random access to a reference genome
 * (indexed with .fai, optionally bgzip-compressed with .gzi, via @gmod/indexedfasta; otherwise
 * loaded into memory once).
 */
import { createReadStream, existsSync, openSync, readSync, closeSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { BgzipIndexedFasta, IndexedFasta } from '@gmod/indexedfasta';
import { fastaRecords, type FastaRecord } from './fasta-records.js';

export type { FastaRecord } from './fasta-records.js';

/** True if the file starts with the gzip magic bytes (plain gzip and bgzip alike). */
export function isGzipped(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const n = readSync(fd, buf, 0, 2, 0);
    return n === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** A text stream of a file, gunzipped when it is gzip or bgzip. */
export function openText(path: string): Readable {
  const raw = createReadStream(path);
  return isGzipped(path) ? raw.pipe(createGunzip()) : raw;
}

/**
 * Stream the records of a FASTA file (plain, gzip or bgzip) or any text stream, one at a time, so a
 * multi-megabase file is never held whole. Errors name the file and line.
 */
export async function* readFasta(source: string | Readable, name = typeof source === 'string' ? source : 'input'): AsyncGenerator<FastaRecord> {
  const stream = typeof source === 'string' ? openText(source) : source;
  yield* fastaRecords(createInterface({ input: stream, crlfDelay: Infinity }), name);
}

/** Random access to named sequences, 0-based half-open coordinates. */
export interface Reference {
  /** Length of a sequence, or undefined if the reference has no such name. */
  size(name: string): Promise<number | undefined>;
  fetch(name: string, start: number, end: number): Promise<string>;
  describe: string;
}

/**
 * Open a reference FASTA. With `<path>.fai` (and `<path>.gzi` for bgzip) regions are read from disk;
 * otherwise the whole file is read once into memory (fine for small genomes and test files).
 */
export async function openReference(path: string): Promise<Reference> {
  if (!existsSync(path)) throw new Error(`Reference FASTA not found: ${path}`);
  const fai = `${path}.fai`;
  const gzi = `${path}.gzi`;
  const gz = isGzipped(path);
  if (existsSync(fai) && (!gz || existsSync(gzi))) {
    const idx = gz ? new BgzipIndexedFasta({ path, faiPath: fai, gziPath: gzi }) : new IndexedFasta({ path, faiPath: fai });
    const sizes = await idx.getSequenceSizes();
    return {
      describe: `${path} (${gz ? 'bgzip + .fai/.gzi' : '.fai'} index)`,
      size: async (name) => sizes[name],
      fetch: async (name, start, end) => (await idx.getSequence(name, start, end)) ?? '',
    };
  }
  const seqs = new Map<string, string>();
  for await (const rec of readFasta(path)) {
    if (seqs.has(rec.id)) throw new Error(`${path} line ${rec.line}: duplicate sequence name '${rec.id}'.`);
    seqs.set(rec.id, rec.seq);
  }
  return {
    describe: `${path} (${gz ? 'gzip, ' : ''}loaded into memory; add a .fai index${gz ? ' and bgzip it' : ''} for large genomes)`,
    size: async (name) => seqs.get(name)?.length,
    fetch: async (name, start, end) => seqs.get(name)?.slice(start, end) ?? '',
  };
}
