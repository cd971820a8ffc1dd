/**
 * Pretraining corpora: unlabelled DNA cut into windows of a set length.
 *
 * A corpus is one of
 * - a FASTA file (plain or gzip, streamed, any number of records), e.g. a genome;
 * - a labelled table (.tsv/.csv[.gz]): the training part of the same seeded holdout the fine-tuning
 *   runs use (lib/data/load.ts), labels ignored; its held-out test part is never read;
 * - a Genomic Benchmarks dataset (registry name or folder): its training split, labels ignored.
 * A test split (a `test` folder) is refused: it is what fine-tuned models are scored on.
 *
 * Windows lie inside N-free stretches (runs of A, C, G, T; any other letter, soft-masked bases
 * included after upper-casing, ends a stretch). The last `validFraction` of the corpus's bases, in file
 * order, is held out for validation by position: a stretch that straddles the boundary is cut there, so
 * no validation window can overlap a training window.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { readFasta } from '../data/fasta.js';
import { findDataset } from '../data/registry.js';
import { loadDataset } from '../data/load.js';
import { portablePath } from '../paths.js';
import { seededRng } from '../random.js';

/** A run of A/C/G/T bytes: `seq` is a view into its record. */
export interface Stretch {
  record: string;
  /** 0-based start of the stretch in its record. */
  start: number;
  seq: Uint8Array;
}

export interface Corpus {
  kind: 'fasta' | 'table' | 'dataset';
  /** What it is, with a portable path (for records and notebooks). */
  source: string;
  /** sha256 of the content read (FASTA text; a dataset's or table's checksum as lib/data computes it). */
  sha256: string;
  records: number;
  /** Bases read, and bases in stretches at least one window long (the usable part). */
  bases: number;
  usableBases: number;
  train: Stretch[];
  valid: Stretch[];
  window: number;
}

export interface CorpusOptions {
  /** Window length in bp. */
  window: number;
  /** Share of the usable bases held out for validation (by position, at the end). */
  validFraction: number;
  /** For a table: the holdout that fine-tuning uses (lib/config.ts data.holdoutTestFraction / holdoutSeed). */
  testFraction?: number;
  holdoutSeed?: number;
}

const ACGT = new Uint8Array(256);
for (const c of 'ACGT') ACGT[c.charCodeAt(0)] = 1;

/** N-free stretches of at least `window` bases of one record (upper-cased bytes). */
export function stretchesOf(record: string, text: string | Uint8Array, window: number, out: Stretch[]): Uint8Array {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const up = new Uint8Array(bytes.length);
  let runStart = 0;
  const close = (end: number) => {
    if (end - runStart >= window) out.push({ record, start: runStart, seq: up.subarray(runStart, end) });
  };
  for (let i = 0; i < bytes.length; i++) {
    let c = bytes[i];
    if (c >= 97 && c <= 122) c -= 32;
    up[i] = c;
    if (!ACGT[c]) {
      if (c < 65 || c > 90) throw new Error(`${record}: character '${String.fromCharCode(c)}' at position ${i + 1} is not a base (IUPAC letters are read as N)`);
      close(i);
      runStart = i + 1;
    }
  }
  close(bytes.length);
  return up;
}

/** Cut the stretches (in order) into a training part and the last `fraction` of their bases for validation. */
export function holdOutByPosition(stretches: Stretch[], fraction: number, window: number): { train: Stretch[]; valid: Stretch[] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`validation fraction must be strictly between 0 and 1, got ${fraction}`);
  const total = stretches.reduce((a, s) => a + s.seq.length, 0);
  let want = Math.round(total * fraction);
  const valid: Stretch[] = [];
  let i = stretches.length - 1;
  for (; i >= 0 && want > 0; i--) {
    const s = stretches[i];
    if (s.seq.length <= want) {
      valid.unshift(s);
      want -= s.seq.length;
      continue;
    }
    const cut = s.seq.length - want; // the stretch's tail goes to validation, its head stays in training
    if (want >= window) valid.unshift({ record: s.record, start: s.start + cut, seq: s.seq.subarray(cut) });
    const head = { record: s.record, start: s.start, seq: s.seq.subarray(0, cut) };
    const train = stretches.slice(0, i);
    if (head.seq.length >= window) train.push(head);
    return { train, valid };
  }
  return { train: stretches.slice(0, i + 1), valid };
}

function isFasta(path: string): boolean {
  return /\.(fa|fasta|fna|fas)(\.gz)?$/i.test(path);
}

function isTable(path: string): boolean {
  return /\.(tsv|csv|txt)(\.gz)?$/i.test(path);
}

/** Read a corpus (see the module comment). */
export async function readCorpus(spec: string, o: CorpusOptions): Promise<Corpus> {
  if (!Number.isInteger(o.window) || o.window < 1) throw new Error(`window must be a positive number of bases, got ${o.window}`);
  const isPath = existsSync(spec);
  if (isPath && statSync(spec).isDirectory() && basename(spec.replace(/\/+$/, '')) === 'test') {
    throw new Error(`${spec} is a test split: it cannot be a pretraining corpus, because fine-tuned models are scored on it. Use the dataset's folder (its train split is read) or a genome FASTA.`);
  }
  const stretches: Stretch[] = [];
  let kind: Corpus['kind'], source: string, sha256: string, records = 0, bases = 0;
  if (isPath && !statSync(spec).isDirectory() && isFasta(spec)) {
    kind = 'fasta';
    source = `FASTA ${portablePath(spec)}`;
    const hash = createHash('sha256');
    for await (const rec of readFasta(spec, spec)) {
      hash.update(`>${rec.id}\n${rec.seq}\n`);
      stretchesOf(rec.id, rec.seq, o.window, stretches);
      records++;
      bases += rec.seq.length;
    }
    if (!records) throw new Error(`${spec}: no FASTA records`);
    sha256 = hash.digest('hex');
  } else if ((isPath && (statSync(spec).isDirectory() || isTable(spec))) || (!isPath && findDataset(spec))) {
    const ds = loadDataset(spec, { testFraction: o.testFraction, holdoutSeed: o.holdoutSeed });
    const table = isPath && !statSync(spec).isDirectory();
    kind = table ? 'table' : 'dataset';
    source = `${table ? 'training part of' : 'train split of'} ${ds.source}${table ? ` (${ds.split.replace(/^seeded stratified holdout of .*?: /, '')})` : ''}; labels ignored`;
    sha256 = ds.sha256;
    ds.train.seqs.forEach((s, i) => {
      stretchesOf(ds.train.ids[i], s, o.window, stretches);
      bases += s.length;
    });
    records = ds.train.seqs.length;
  } else {
    throw new Error(`corpus '${spec}' is neither a FASTA file (.fa/.fasta/.fna[.gz]), a labelled table (.tsv/.csv[.gz]), a dataset folder nor a dataset name`);
  }
  const usableBases = stretches.reduce((a, s) => a + s.seq.length, 0);
  if (!usableBases) throw new Error(`${spec}: no N-free stretch of ${o.window} bp or more; use a shorter window`);
  const { train, valid } = holdOutByPosition(stretches, o.validFraction, o.window);
  if (!train.length || !valid.length) throw new Error(`${spec}: too little sequence (${usableBases} usable bp) for a training and a validation part of ${o.window}-bp windows`);
  return { kind, source, sha256, records, bases, usableBases, train, valid, window: o.window };
}

/**
 * Window number `r` of a seeded, endless sequence of windows drawn uniformly over every start position
 * of the stretches. Each window depends only on (seed, r), so windows are made on demand, in any order,
 * and a resumed run sees the same ones.
 */
export function windowSampler(stretches: Stretch[], window: number, seed: number): (r: number) => Uint8Array {
  const starts = stretches.map((s) => s.seq.length - window + 1);
  if (!starts.length || starts.some((c) => c < 1)) throw new Error(`windowSampler: every stretch must hold a window of ${window} bp`);
  const cum = new Float64Array(starts.length + 1);
  starts.forEach((c, i) => (cum[i + 1] = cum[i] + c));
  const total = cum[starts.length];
  return (r) => {
    const u = Math.floor(seededRng((Math.imul(seed, 0x9e3779b1) ^ r) | 0)() * total);
    let lo = 0, hi = starts.length - 1; // the stretch whose range [cum[i], cum[i+1]) holds u
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (cum[mid] <= u) lo = mid;
      else hi = mid - 1;
    }
    const at = u - cum[lo];
    return stretches[lo].seq.subarray(at, at + window);
  };
}

/** The first `n` windows of `windowSampler`. */
export function sampleWindows(stretches: Stretch[], window: number, n: number, seed: number): Uint8Array[] {
  const at = windowSampler(stretches, window, seed);
  return Array.from({ length: n }, (_, r) => at(r));
}

/** Non-overlapping windows tiled over the stretches in order; at most `max`, evenly spread when there are more. */
export function tileWindows(stretches: Stretch[], window: number, max: number): Uint8Array[] {
  const all: Uint8Array[] = [];
  for (const s of stretches) for (let at = 0; at + window <= s.seq.length; at += window) all.push(s.seq.subarray(at, at + window));
  if (all.length <= max) return all;
  return Array.from({ length: max }, (_, i) => all[Math.floor((i * all.length) / max)]);
}

/** One line about a corpus for logs and records. */
export function describeCorpus(c: Corpus): string {
  const pct = (x: number) => `${((100 * x) / Math.max(1, c.bases)).toFixed(1)}%`;
  const sum = (ss: Stretch[]) => ss.reduce((a, s) => a + s.seq.length, 0);
  return `${c.source}: ${c.records.toLocaleString('en')} record(s), ${c.bases.toLocaleString('en')} bp, ${c.usableBases.toLocaleString('en')} bp (${pct(c.usableBases)}) in N-free stretches ≥ ${c.window} bp; training ${sum(c.train).toLocaleString('en')} bp, validation ${sum(c.valid).toLocaleString('en')} bp (held out by position)`;
}
