/**
 * Real data shipped inside the repository, so that a fresh clone trains on real DNA without network:
 * the official test splits of human_nontata_promoters (9,034 sequences of 251 bp) and
 * human_enhancers_cohn (6,948 sequences of 500 bp), Genomic Benchmarks v0. Each is used only where
 * its official dataset is neither present nor downloadable, as a seeded, stratified train/test
 * holdout that every run record and Table 2 names (see data/bundled/README.md).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths.js';
import { contentSha256 } from './readers.js';

export interface BundledTable {
  /** The registry dataset it stands in for. */
  dataset: string;
  /** Project-relative path of the table. */
  path: string;
  /** sha256 of the table's text after decompression (the plain TSV's checksum). */
  sha256: string;
  rows: number;
  /** What the table is, for notebooks and records. */
  what: string;
}

export const BUNDLED: readonly BundledTable[] = [
  {
    dataset: 'human_nontata_promoters',
    path: 'data/bundled/human_nontata_promoters.test-split.tsv.gz',
    sha256: 'e223768c9a846506581e702b412211d71290107b798bb1b220b10a158f591e35',
    rows: 9034,
    what: 'the official test split of human_nontata_promoters (Genomic Benchmarks v0): 9,034 sequences of 251 bp, 4,119 negative and 4,915 positive',
  },
  {
    dataset: 'human_enhancers_cohn',
    path: 'data/bundled/human_enhancers_cohn.test-split.tsv.gz',
    sha256: '285b359415300d55b929cb67c861169f5227a40a76a1e98cd14c8a2753d12e1a',
    rows: 6948,
    what: 'the official test split of human_enhancers_cohn (Genomic Benchmarks v0): 6,948 sequences of 500 bp, 3,474 negative and 3,474 positive',
  },
];

export function bundledFor(dataset: string): BundledTable | undefined {
  return BUNDLED.find((b) => b.dataset === dataset);
}

/** The absolute path of a bundled table after checking that it is there and unchanged (`root`: the project's). */
export function bundledTablePath(b: BundledTable, root = projectRoot()): string {
  const path = join(root, b.path);
  if (!existsSync(path)) throw new Error(`${b.path} is missing from this checkout; restore it with \`git checkout -- ${b.path}\`.`);
  const got = contentSha256(path);
  if (got !== b.sha256) {
    throw new Error(`${b.path}: sha256 ${got} differs from the recorded ${b.sha256} (lib/data/bundled.ts); the file was modified. Restore it with \`git checkout -- ${b.path}\`.`);
  }
  return path;
}
