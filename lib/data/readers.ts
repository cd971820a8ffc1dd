/**
 * Readers that turn the three ways Genomic Benchmarks data arrives into one `Dataset` shape:
 *
 * 1. the full-sequence folder layout of the Python package: `<root>/<name>/{train,test}/<class>/<id>.txt`;
 * 2. a labelled table (TSV/CSV, optionally gzipped) with a sequence column and a label column;
 * 3. interval lists (`id,region,start,end,strand`, 0-based half-open) plus a reference FASTA (`loc2seq`).
 *
 * Every reader validates as it goes and fails with the file and line (or id) of the first problem.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import os from 'node:os';
import Papa from 'papaparse';
import { encodeDna, reverseComplement, SequenceError } from './dna.js';
import { assertUniqueIds, type Dataset, type LabelledSequences } from './dataset.js';
import { datasetFor, findDataset, type DatasetSpec } from './registry.js';
import { openReference } from './fasta.js';
import { portablePath, projectPath } from '../paths.js';

/** The Python package's cache, reused when it exists. */
export const PACKAGE_CACHE_ROOT = join(os.homedir(), '.genomic_benchmarks');

type SplitName = 'train' | 'test';
const SPLITS: SplitName[] = ['train', 'test'];

function listDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Check the class folders of a split against the expected classes. */
function checkClassFolders(splitDir: string, expected: readonly string[]): void {
  const found = listDirs(splitDir);
  const missing = expected.filter((c) => !found.includes(c));
  const extra = found.filter((c) => !expected.includes(c));
  if (missing.length || extra.length) {
    throw new Error(
      `${splitDir}: class folders ${JSON.stringify(found)} do not match the expected classes ${JSON.stringify(expected)}` +
        (missing.length ? `; missing ${missing.join(', ')}` : '') +
        (extra.length ? `; unexpected ${extra.join(', ')}` : '') +
        '. The download may be incomplete: delete the dataset folder and download it again.',
    );
  }
}

export interface FolderOptions {
  /** Compare per-class counts with the registry (default true when the registry knows them). */
  checkCounts?: boolean;
}

/**
 * Read `<root>/<name>/{train,test}/<class>/<id>.txt`. The classes are the registry's for a known
 * dataset, otherwise the sorted class folders of `train`.
 */
export function readFolderDataset(root: string, name: string, opts: FolderOptions = {}): Dataset {
  return readDatasetFolder(join(root, name), name, opts);
}

/** Read one dataset folder (`<dir>/{train,test}/<class>/<id>.txt`); `name` selects the registry entry. */
export function readDatasetFolder(dir: string, name: string, opts: FolderOptions = {}): Dataset {
  if (!existsSync(dir)) throw new Error(`Dataset folder not found: ${dir}`);
  const spec: DatasetSpec | undefined = findDataset(name);
  for (const split of SPLITS) {
    if (!existsSync(join(dir, split))) {
      throw new Error(`${dir}: missing '${split}' folder. Expected ${dir}/{train,test}/<class>/<id>.txt; download the dataset again.`);
    }
  }
  const classes = spec ? [...spec.classes] : listDirs(join(dir, 'train'));
  const out: Partial<Record<SplitName, LabelledSequences>> = {};
  const hash = createHash('sha256');
  for (const split of SPLITS) {
    const splitDir = join(dir, split);
    checkClassFolders(splitDir, classes);
    const ids: string[] = [];
    const seqs: Uint8Array[] = [];
    const labels: number[] = [];
    classes.forEach((cls, label) => {
      const classDir = join(splitDir, cls);
      const files = readdirSync(classDir).filter((f) => f.endsWith('.txt')).sort();
      for (const f of files) {
        const path = join(classDir, f);
        const raw = readFileSync(path);
        const text = raw.toString('latin1').trim();
        hash.update(`${split}/${cls}/${f}\0`).update(raw).update('\0');
        ids.push(`${split}/${cls}/${f.slice(0, -4)}`);
        seqs.push(encodeDna(text, path));
        labels.push(label);
      }
      const want = spec?.counts?.[split][cls];
      if ((opts.checkCounts ?? true) && want !== undefined && want !== files.length) {
        throw new Error(
          `${classDir}: ${files.length} sequences, but the official ${name} ${split} split has ${want} in class '${cls}'. ` +
            'The copy is incomplete or modified: download it again, or read it with checkCounts: false.',
        );
      }
    });
    const s: LabelledSequences = { ids, seqs, labels: Int32Array.from(labels) };
    assertUniqueIds(s, splitDir);
    out[split] = s;
  }
  const sha256 = hash.digest('hex');
  return { name, classes, train: out.train!, test: out.test!, source: `folder ${portablePath(dir)}`, sha256, split: 'official train/test' };
}

/**
 * Where a named dataset's folder lives: the first of `roots` that has it. Default roots: the
 * variable DNABERT_DATA_DIR, the Python package's cache (~/.genomic_benchmarks) and the project's data/.
 */
export function defaultRoots(projectData = projectPath('data')): string[] {
  const roots: string[] = [];
  if (process.env.DNABERT_DATA_DIR) roots.push(process.env.DNABERT_DATA_DIR);
  roots.push(PACKAGE_CACHE_ROOT, projectData);
  return roots;
}

export function locateDataset(name: string, roots: string[] = defaultRoots()): string | null {
  for (const root of roots) if (existsSync(join(root, name, 'train')) && existsSync(join(root, name, 'test'))) return root;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Labelled tables

/** Column names taken as the sequence column, in order of preference (case-insensitive). */
export const SEQ_COLUMNS = ['seq', 'sequence', 'sequences', 'dna', 'text'];
const LABEL_COLUMNS = ['label', 'labels', 'class', 'target', 'y'];

export interface TableOptions {
  /** Column holding the DNA; default: the first of seq, sequence, sequences, dna, text. */
  seqColumn?: string;
  /** Column holding the label; default: the first of label, labels, class, target, y. */
  labelColumn?: string;
  /** Column holding ids; default 'id' if present, else `<file>:<line>`. */
  idColumn?: string;
  /** Names for integer labels 0..k-1 (e.g. ['negative', 'positive']); default: the registry's, if the file name starts with a dataset name. */
  classNames?: string[];
}

export interface LabelledTable extends LabelledSequences {
  classes: string[];
  source: string;
  /** sha256 of the table's text (after decompression), so a gzipped and a plain copy agree. */
  sha256: string;
}

function readBytesMaybeGz(path: string): Buffer {
  const buf = readFileSync(path);
  return buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf;
}

function readTextMaybeGz(path: string): string {
  return readBytesMaybeGz(path).toString('utf8');
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of a file's bytes as stored (e.g. model weights that records name). */
export function fileSha256(path: string): string {
  // in pieces: a 359 MB weights file is not read into memory whole to be hashed
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** sha256 (hex) of a file's content, decompressed first if it is gzipped. */
export function contentSha256(path: string): string {
  return sha256Hex(readBytesMaybeGz(path));
}

function pickColumn(fields: string[], wanted: string | undefined, defaults: string[], what: string, path: string): string {
  if (wanted) {
    if (!fields.includes(wanted)) throw new Error(`${path}: no column '${wanted}' (${what}); the header has ${JSON.stringify(fields)}.`);
    return wanted;
  }
  const lower = fields.map((f) => f.toLowerCase());
  for (const d of defaults) {
    const i = lower.indexOf(d);
    if (i >= 0) return fields[i];
  }
  throw new Error(`${path}: cannot find the ${what} column among ${JSON.stringify(fields)}; name it with the ${what === 'sequence' ? 'seqColumn' : 'labelColumn'} option.`);
}

/** Registry dataset whose name starts the file name (e.g. human_nontata_promoters.test-split.tsv). */
export function datasetForFile(path: string): DatasetSpec | undefined {
  return datasetFor(basename(path));
}

/**
 * Read a TSV/CSV table (by extension; `.gz` allowed) with a header row. Labels may be class names or
 * integer indices; either way classes are sorted and labels re-indexed into that order.
 */
export function readTable(path: string, opts: TableOptions = {}): LabelledTable {
  if (!existsSync(path) || !statSync(path).isFile()) throw new Error(`Table not found: ${path}`);
  const plain = path.replace(/\.gz$/, '');
  if (/\.(fa|fasta|fna)$/i.test(plain)) {
    throw new Error(`${path}: a FASTA file has no labels, so it is not a labelled table; give a TSV/CSV with a sequence and a label column (or a dataset folder), or pretrain on the FASTA with npm run pretrain -- --corpus ${path}`);
  }
  const bytes = readBytesMaybeGz(path);
  const text = bytes.toString('utf8');
  const delimiter = plain.endsWith('.csv') ? ',' : plain.endsWith('.tsv') || plain.endsWith('.txt') ? '\t' : '';
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, delimiter, skipEmptyLines: 'greedy' });
  if (parsed.errors.length) {
    const e = parsed.errors[0];
    const line = e.row !== undefined ? ` line ${e.row + 2}` : '';
    throw new Error(`${path}${line}: ${e.message} (${parsed.errors.length} parse error${parsed.errors.length > 1 ? 's' : ''} in all). A labelled table is tab-separated (.tsv, .txt) or comma-separated (.csv), with a header row naming a sequence and a label column.`);
  }
  const fields = parsed.meta.fields ?? [];
  const seqCol = pickColumn(fields, opts.seqColumn, SEQ_COLUMNS, 'sequence', path);
  const labelCol = pickColumn(fields, opts.labelColumn, LABEL_COLUMNS, 'label', path);
  const idCol = opts.idColumn ?? (fields.includes('id') ? 'id' : undefined);
  if (idCol && !fields.includes(idCol)) throw new Error(`${path}: no id column '${idCol}'; the header has ${JSON.stringify(fields)}.`);

  const rows = parsed.data;
  const rawLabels = rows.map((r, i) => {
    const v = (r[labelCol] ?? '').trim();
    if (v === '') throw new Error(`${path} line ${i + 2}: empty label in column '${labelCol}'.`);
    return v;
  });
  const distinct = [...new Set(rawLabels)];
  const integer = distinct.every((v) => /^\d+$/.test(v));
  let classes: string[];
  let toIndex: (v: string) => number;
  if (integer) {
    const max = Math.max(...distinct.map(Number));
    const names = opts.classNames ?? datasetForFile(path)?.classes;
    if (names && names.length < max + 1) {
      throw new Error(`${path}: label ${max} found, but only ${names.length} class names are known (${names.join(', ')}).`);
    }
    classes = names ? [...names] : Array.from({ length: max + 1 }, (_, i) => String(i));
    const sorted = [...classes].sort();
    if (sorted.some((c, i) => c !== classes[i])) {
      throw new Error(`${path}: class names ${JSON.stringify(classes)} must be given in sorted order so that label i is the i-th sorted name.`);
    }
    toIndex = Number;
  } else {
    classes = opts.classNames ? [...opts.classNames].sort() : distinct.sort();
    const unknown = distinct.filter((d) => !classes.includes(d));
    if (unknown.length) throw new Error(`${path}: unknown label(s) ${unknown.join(', ')}; expected one of ${classes.join(', ')}.`);
    toIndex = (v) => classes.indexOf(v);
  }
  const ids: string[] = new Array(rows.length);
  const seqs: Uint8Array[] = new Array(rows.length);
  const labels = new Int32Array(rows.length);
  const file = basename(path);
  for (let i = 0; i < rows.length; i++) {
    const where = `${path} line ${i + 2}`;
    ids[i] = idCol ? (rows[i][idCol] ?? '').trim() : `${file}:${i + 2}`;
    if (ids[i] === '') throw new Error(`${where}: empty id in column '${idCol}'.`);
    seqs[i] = encodeDna((rows[i][seqCol] ?? '').trim(), where);
    labels[i] = toIndex(rawLabels[i]);
  }
  const out: LabelledTable = { ids, seqs, labels, classes, source: `table ${portablePath(path)}`, sha256: sha256Hex(bytes) };
  assertUniqueIds(out, path);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Interval lists + reference genome (loc2seq)

export interface Interval {
  id: string;
  region: string;
  start: number;
  end: number;
  strand: '+' | '-';
}

/** Parse an interval list (`id,region,start,end,strand`; CSV, optionally gzipped). */
export function readIntervals(path: string): Interval[] {
  const parsed = Papa.parse<Record<string, string>>(readTextMaybeGz(path), { header: true, skipEmptyLines: 'greedy' });
  const need = ['id', 'region', 'start', 'end', 'strand'];
  const fields = parsed.meta.fields ?? [];
  const missing = need.filter((f) => !fields.includes(f));
  if (missing.length) throw new Error(`${path}: missing column(s) ${missing.join(', ')}; an interval list has columns ${need.join(',')}.`);
  return parsed.data.map((r, i) => {
    const where = `${path} line ${i + 2}`;
    const start = Number(r.start), end = Number(r.end);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) {
      throw new Error(`${where}: bad coordinates start=${r.start} end=${r.end} (0-based half-open, end > start >= 0).`);
    }
    if (r.strand !== '+' && r.strand !== '-') throw new Error(`${where}: strand must be '+' or '-', got '${r.strand}'.`);
    return { id: String(r.id), region: r.region, start, end, strand: r.strand };
  });
}

/** Sequences of intervals from a reference, reverse-complemented on the '-' strand. */
export async function intervalsToSequences(intervals: Interval[], fastaPath: string, where: string): Promise<Uint8Array[]> {
  const ref = await openReference(fastaPath);
  const out: Uint8Array[] = [];
  for (const iv of intervals) {
    const size = await ref.size(iv.region);
    if (size === undefined) throw new Error(`${where}: interval '${iv.id}' is on '${iv.region}', which ${ref.describe} does not contain.`);
    if (iv.end > size) throw new Error(`${where}: interval '${iv.id}' ends at ${iv.end}, past the end of '${iv.region}' (${size} bp).`);
    let seq: Uint8Array;
    try {
      seq = encodeDna(await ref.fetch(iv.region, iv.start, iv.end), `${where} interval '${iv.id}'`);
    } catch (e) {
      if (e instanceof SequenceError) throw new Error(`${e.message} (reference ${fastaPath})`);
      throw e;
    }
    out.push(iv.strand === '-' ? reverseComplement(seq) : seq);
  }
  return out;
}

/**
 * Read the interval-list layout `<dir>/{train,test}/<class>.csv.gz` and fetch every sequence from
 * the reference FASTA (the Python package's loc2seq, for users who hold the genome).
 */
export async function readIntervalDataset(dir: string, fastaPath: string, name = basename(dir)): Promise<Dataset> {
  const spec = findDataset(name);
  const splits: Partial<Record<SplitName, LabelledSequences>> = {};
  let classes: string[] | null = spec ? [...spec.classes] : null;
  const hash = createHash('sha256');
  for (const split of SPLITS) {
    const splitDir = join(dir, split);
    if (!existsSync(splitDir)) throw new Error(`${dir}: missing '${split}' folder of interval lists.`);
    const files = readdirSync(splitDir).filter((f) => /\.csv(\.gz)?$/.test(f)).sort();
    const found = files.map((f) => f.replace(/\.csv(\.gz)?$/, ''));
    classes ??= found;
    const missing = classes.filter((c) => !found.includes(c));
    const extra = found.filter((c) => !classes!.includes(c));
    if (missing.length || extra.length) {
      throw new Error(`${splitDir}: interval lists for ${JSON.stringify(found)} do not match the classes ${JSON.stringify(classes)}.`);
    }
    const ids: string[] = [], seqs: Uint8Array[] = [], labels: number[] = [];
    for (const [label, cls] of classes.entries()) {
      const path = join(splitDir, files[found.indexOf(cls)]);
      const ivs = readIntervals(path);
      const s = await intervalsToSequences(ivs, fastaPath, path);
      ivs.forEach((iv, i) => {
        hash.update(`${split}/${cls}/${iv.id}\0`).update(s[i]).update('\0');
        ids.push(`${split}/${cls}/${iv.id}`);
        seqs.push(s[i]);
        labels.push(label);
      });
    }
    const out: LabelledSequences = { ids, seqs, labels: Int32Array.from(labels) };
    assertUniqueIds(out, splitDir);
    splits[split] = out;
  }
  return { name, classes: classes!, train: splits.train!, test: splits.test!, source: `intervals ${portablePath(dir)} + ${portablePath(fastaPath)}`, sha256: hash.digest('hex'), split: 'official train/test' };
}
