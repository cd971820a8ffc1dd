/**
 * One entry point for notebooks and command lines: a dataset by registry name or by path.
 *
 * - a registry name (e.g. `human_nontata_promoters`): the full-sequence folder from the first root
 *   that has it (DNABERT_DATA_DIR, ~/.genomic_benchmarks, data/); never downloaded implicitly;
 * - a folder with `train/` and `test/`: read as the full-sequence layout;
 * - a table file (.tsv/.csv, optionally .gz): one labelled set, split into a seeded, stratified
 *   train/test holdout that every result records.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { Dataset } from './dataset.js';
import { findDataset } from './registry.js';
import { datasetForFile, defaultRoots, locateDataset, readDatasetFolder, readFolderDataset, readTable, type TableOptions } from './readers.js';
import { stratifiedHoldout } from './splits.js';

export class DatasetUnavailableError extends Error {
  constructor(public readonly dataset: string, roots: string[]) {
    super(
      `Dataset '${dataset}' is not available locally (looked in ${roots.join(', ')}). ` +
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
 * A relative path that does not exist from the working directory is tried from DNABERT_PROJECT_ROOT
 * (set by the Makefile), so `make reproduce DATA_…=data/x.tsv` works although notebooks run in notebooks/.
 */
export function resolveDataPath(p: string): string {
  const root = process.env.DNABERT_PROJECT_ROOT;
  if (existsSync(p) || isAbsolute(p) || !root) return p;
  return existsSync(join(root, p)) ? join(root, p) : p;
}

/** The name results are filed under, without reading the data: the registry name, a folder's name, or a table's name (a registry name it starts with, else the file name without extensions). */
export function datasetKey(nameOrPathIn: string): string {
  const nameOrPath = resolveDataPath(nameOrPathIn);
  if (findDataset(nameOrPath) && !existsSync(nameOrPath)) return nameOrPath;
  if (existsSync(nameOrPath) && statSync(nameOrPath).isDirectory()) return basename(nameOrPath);
  return datasetForFile(nameOrPath)?.name ?? basename(nameOrPath).replace(/\.(tsv|csv|txt)(\.gz)?$/, '');
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
    throw new Error(`'${nameOrPath}' is neither a known dataset name nor an existing path.`);
  }
  if (statSync(nameOrPath).isDirectory()) {
    if (!existsSync(join(nameOrPath, 'train'))) throw new Error(`${nameOrPath}: a dataset folder needs train/ and test/ sub-folders.`);
    return readDatasetFolder(nameOrPath, basename(nameOrPath));
  }
  const table = readTable(nameOrPath, opts);
  return stratifiedHoldout(table, { testFraction: opts.testFraction ?? 0.3, seed: opts.holdoutSeed ?? 0, name: datasetKey(nameOrPath) });
}

/** Load a dataset, or say why it is unavailable (a missing dataset is not an error in notebooks). */
export function tryLoadDataset(nameOrPath: string, opts: LoadOptions = {}): { dataset: Dataset | null; problem: string | null } {
  try {
    return { dataset: loadDataset(nameOrPath, opts), problem: null };
  } catch (e) {
    if (e instanceof DatasetUnavailableError) return { dataset: null, problem: e.message };
    throw e;
  }
}
