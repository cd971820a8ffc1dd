/**
 * One entry point for notebooks and command lines: a dataset by registry name or by path.
 *
 * - a registry name (e.g. `human_nontata_promoters`): the full-sequence folder from the first root
 *   that has it (DNABERT_DATA_DIR, ~/.genomic_benchmarks, data/); never downloaded implicitly;
 * - a folder with `train/` and `test/`: read as the full-sequence layout;
 * - a table file (.tsv/.csv, optionally .gz): one labelled set, split into a seeded, stratified
 *   train/test holdout that every result records.
 *
 * `resolveDataset` adds what notebooks need: an optional download, and the bundled real-data stand-in.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { classCounts, type Dataset } from './dataset.js';
import { findDataset } from './registry.js';
import { defaultRoots, locateDataset, readDatasetFolder, readFolderDataset, readTable, type TableOptions } from './readers.js';
import { stratifiedHoldout } from './splits.js';
import { bundledFor, bundledTablePath } from './bundled.js';
import { downloadDataset, DownloadError } from './download.js';
import { findProjectRoot, portablePath } from '../paths.js';

export class DatasetUnavailableError extends Error {
  constructor(public readonly dataset: string, roots: string[]) {
    super(
      `Dataset '${dataset}' is not available locally (looked in ${roots.map(portablePath).join(', ')}). ` +
        `Download it with \`npm run data -- download ${dataset}\`, place it by hand as <root>/${dataset}/{train,test}/<class>/<id>.txt, ` +
        `or pass the path of a labelled table.`,
    );
    this.name = 'DatasetUnavailableError';
  }
}

export interface LoadOptions extends TableOptions {
  roots?: string[];
  /** For a single table: the held-out test fraction (default 0.3) and the seed of the holdout (default 0). */
  testFraction?: number;
  holdoutSeed?: number;
}

/**
 * A relative path that does not exist from the working directory is tried from the project root, so
 * `make reproduce DATA_…=data/x.tsv` works although notebooks run in notebooks/.
 */
export function resolveDataPath(p: string): string {
  const root = findProjectRoot();
  if (existsSync(p) || isAbsolute(p) || !root) return p;
  return existsSync(join(root, p)) ? join(root, p) : p;
}

/**
 * The name results are filed under, without reading the data: the registry name for the official
 * dataset, a folder's name, or a table's file name without extensions. A table is always a holdout,
 * never the official split, so its name never equals a registry name: `human_nontata_promoters.tsv`
 * is filed as `human_nontata_promoters.table`.
 */
export function datasetKey(nameOrPathIn: string): string {
  const nameOrPath = resolveDataPath(nameOrPathIn);
  if (findDataset(nameOrPath) && !existsSync(nameOrPath)) return nameOrPath;
  if (existsSync(nameOrPath) && statSync(nameOrPath).isDirectory()) return basename(nameOrPath);
  const stem = basename(nameOrPath).replace(/\.(tsv|csv|txt)(\.gz)?$/, '');
  return findDataset(stem) ? `${stem}.table` : stem;
}

export function loadDataset(nameOrPathIn: string, opts: LoadOptions = {}): Dataset {
  const nameOrPath = resolveDataPath(nameOrPathIn);
  if (findDataset(nameOrPath) && !existsSync(nameOrPath)) {
    const roots = opts.roots ?? defaultRoots();
    const root = locateDataset(nameOrPath, roots);
    if (!root) throw new DatasetUnavailableError(nameOrPath, roots);
    return readFolderDataset(root, nameOrPath);
  }
  if (!existsSync(nameOrPath)) {
    throw new Error(`'${nameOrPath}' is neither a known dataset name nor an existing path. Give a Genomic Benchmarks name (npm run data -- list), a labelled table (.tsv/.csv[.gz]) or a dataset folder with train/ and test/.`);
  }
  if (statSync(nameOrPath).isDirectory()) {
    if (!existsSync(join(nameOrPath, 'train'))) throw new Error(`${nameOrPath}: a dataset folder needs train/ and test/ sub-folders.`);
    return readDatasetFolder(nameOrPath, basename(nameOrPath));
  }
  const table = readTable(nameOrPath, opts);
  const testFraction = opts.testFraction ?? 0.3;
  checkHoldoutCounts(nameOrPath, table.classes, classCounts(table, table.classes.length), testFraction);
  return stratifiedHoldout(table, { testFraction, seed: opts.holdoutSeed ?? 0, name: datasetKey(nameOrPath) });
}

/**
 * The fewest rows of a class that a holdout of `testFraction` and a validation split leave usable:
 * at least one in test and two in train (one of them may go to validation).
 */
export function minRowsPerClass(testFraction: number): number {
  for (let n = 1; ; n++) {
    const test = Math.round(n * testFraction);
    if (test >= 1 && n - test >= 2) return n;
  }
}

/** A labelled table must hold two classes or more, each with enough rows for the splits; else an error naming the file, the counts and the minimum. */
export function checkHoldoutCounts(path: string, classes: readonly string[], counts: readonly number[], testFraction: number): void {
  const min = minRowsPerClass(testFraction);
  const shown = classes.map((c, i) => `${c}: ${counts[i]}`).join(', ') || 'no rows';
  const pct = Math.round(testFraction * 100);
  if (classes.length < 2) {
    throw new Error(`${portablePath(path)}: ${classes.length === 1 ? `one class only (rows per class: ${shown})` : 'no labelled rows'}; a classifier needs at least 2 classes, each with at least ${min} rows for the ${100 - pct}/${pct} train/test holdout and the validation split. Add rows of the other class(es), or pass another table.`);
  }
  const short = classes.filter((_, i) => counts[i] < min);
  if (short.length) {
    throw new Error(`${portablePath(path)}: too few rows of class ${short.join(', ')} (rows per class: ${shown}); each class needs at least ${min} rows for the ${100 - pct}/${pct} train/test holdout and the validation split. Add rows, or drop the class from the table.`);
  }
}

export interface ResolvedData {
  /** What to hand to the runner: the registry name, or the path of the data actually used; null where there is none. */
  data: string | null;
  dataset: Dataset | null;
  /** How the data was obtained where that is not simply "found": a download, or the bundled stand-in. */
  notes: string[];
  /** Why there is no data (null when there is). */
  problem: string | null;
}

export interface ResolveOptions extends LoadOptions {
  /** Try to download a missing registry dataset (default false). */
  download?: boolean;
  /** Where a download goes (default the Python package's cache), and from where (default Zenodo or DNABERT_DATA_URL). */
  downloadRoot?: string;
  downloadUrl?: string;
  /** Quiet download (no progress). */
  quiet?: boolean;
}

/**
 * The data a notebook trains on. A path is read as given. A registry name is the official dataset when
 * it is present or (with `download`) can be downloaded; otherwise its bundled real-data stand-in, if the
 * project ships one (see bundled.ts), split into a seeded, stratified holdout that the records name;
 * otherwise nothing, with the reason. Errors other than unavailability (a corrupt copy, a bad path) are thrown.
 */
export async function resolveDataset(nameOrPath: string, opts: ResolveOptions = {}): Promise<ResolvedData> {
  const isName = !!findDataset(nameOrPath) && !existsSync(resolveDataPath(nameOrPath));
  if (!isName) return { data: nameOrPath, dataset: loadDataset(nameOrPath, opts), notes: [], problem: null };
  const notes: string[] = [];
  let reason: string;
  try {
    return { data: nameOrPath, dataset: loadDataset(nameOrPath, opts), notes, problem: null };
  } catch (e) {
    if (!(e instanceof DatasetUnavailableError)) throw e;
    reason = e.message;
  }
  if (opts.download) {
    try {
      const dir = await downloadDataset(nameOrPath, { root: opts.downloadRoot, baseUrl: opts.downloadUrl, quiet: opts.quiet });
      notes.push(`downloaded ${nameOrPath} into ${portablePath(dir)}`);
      return { data: nameOrPath, dataset: loadDataset(nameOrPath, { ...opts, roots: [dirname(dir)] }), notes, problem: null };
    } catch (e) {
      if (!(e instanceof DownloadError)) throw e;
      reason = e.message.split('\n')[0];
    }
  }
  const bundled = bundledFor(nameOrPath);
  if (!bundled) return { data: null, dataset: null, notes, problem: reason };
  const path = bundledTablePath(bundled);
  notes.push(
    `The official ${nameOrPath} dataset is not available here (${reason.split('. ')[0]}). ` +
      `Using the bundled data, ${bundled.what} (${bundled.path}, sha256 ${bundled.sha256.slice(0, 12)}…), split into a seeded, stratified train/test holdout: ` +
      `real DNA, but not the paper's official split.`,
  );
  return { data: path, dataset: loadDataset(path, opts), notes, problem: null };
}
