/**
 * The Genomic Benchmarks datasets (version 0) as typed constants, so nothing is fetched at run time.
 *
 * Class index convention: a class's index is its position in the sorted list of class names
 * (negative = 0, positive = 1; human = 0, worm = 1; coding_seqs = 0, intergenomic_seqs = 1).
 * F1 is reported for class 1, as in the paper. (The Python genomic_benchmarks package numbers classes
 * in directory-listing order instead, which depends on the file system.)
 *
 * Counts come from the official interval lists. Where they were not verified for this project
 * (the four datasets the paper did not use), they are `null` rather than guessed.
 */

export interface LengthFacts {
  min: number;
  max: number;
  /** Median length in bp where known. */
  median?: number;
}

export interface DatasetSpec {
  name: string;
  version: number;
  /** Class names, sorted; index = label. */
  classes: readonly string[];
  /** Sequences per class in the official splits, or null where not known. */
  counts: { train: Record<string, number>; test: Record<string, number> } | null;
  /** Sequence length facts, or null where not known. */
  length: LengthFacts | null;
  /** Position in the paper's Table 2 (1-based), or null for datasets the paper did not use. */
  paperOrder: number | null;
}

export const DATASETS: readonly DatasetSpec[] = [
  {
    name: 'human_nontata_promoters',
    version: 0,
    classes: ['negative', 'positive'],
    counts: { train: { negative: 12355, positive: 14742 }, test: { negative: 4119, positive: 4915 } },
    length: { min: 251, max: 251, median: 251 },
    paperOrder: 1,
  },
  {
    name: 'demo_human_or_worm',
    version: 0,
    classes: ['human', 'worm'],
    counts: { train: { human: 37500, worm: 37500 }, test: { human: 12500, worm: 12500 } },
    length: { min: 200, max: 200, median: 200 },
    paperOrder: 2,
  },
  {
    name: 'human_enhancers_ensembl',
    version: 0,
    classes: ['negative', 'positive'],
    counts: { train: { negative: 61936, positive: 61936 }, test: { negative: 15485, positive: 15485 } },
    length: { min: 2, max: 573, median: 269 },
    paperOrder: 3,
  },
  {
    name: 'demo_coding_vs_intergenomic_seqs',
    version: 0,
    classes: ['coding_seqs', 'intergenomic_seqs'],
    counts: {
      train: { coding_seqs: 37500, intergenomic_seqs: 37500 },
      test: { coding_seqs: 12500, intergenomic_seqs: 12500 },
    },
    length: { min: 200, max: 200, median: 200 },
    paperOrder: 4,
  },
  {
    name: 'human_enhancers_cohn',
    version: 0,
    classes: ['negative', 'positive'],
    counts: { train: { negative: 10422, positive: 10421 }, test: { negative: 3474, positive: 3474 } },
    length: { min: 500, max: 500, median: 500 },
    paperOrder: 5,
  },
  { name: 'dummy_mouse_enhancers_ensembl', version: 0, classes: ['negative', 'positive'], counts: null, length: null, paperOrder: null },
  { name: 'drosophila_enhancers_stark', version: 0, classes: ['negative', 'positive'], counts: null, length: null, paperOrder: null },
  { name: 'human_ensembl_regulatory', version: 0, classes: ['enhancer', 'ocr', 'promoter'], counts: null, length: null, paperOrder: null },
  { name: 'human_ocr_ensembl', version: 0, classes: ['negative', 'positive'], counts: null, length: null, paperOrder: null },
];

/** The five datasets of the paper, in the order of its Table 2. */
export const PAPER_DATASETS: readonly DatasetSpec[] = DATASETS.filter((d) => d.paperOrder !== null).sort(
  (a, b) => (a.paperOrder ?? 0) - (b.paperOrder ?? 0),
);

export function findDataset(name: string): DatasetSpec | undefined {
  return DATASETS.find((d) => d.name === name);
}

/**
 * The registry dataset a results name or file name stands for: the dataset itself, or the one whose
 * name it starts with (`human_nontata_promoters.test-split` → human_nontata_promoters).
 */
export function datasetFor(name: string): DatasetSpec | undefined {
  return findDataset(name) ?? findDataset(name.split('.')[0]);
}

/** Look a dataset up by name, or fail with the list of known names. */
export function getDataset(name: string): DatasetSpec {
  const spec = findDataset(name);
  if (!spec) {
    throw new Error(`Unknown dataset '${name}'. Known Genomic Benchmarks datasets: ${DATASETS.map((d) => d.name).join(', ')}.`);
  }
  return spec;
}

/** Total sequences in a split according to the registry, or null where counts are unknown. */
export function expectedTotal(spec: DatasetSpec, split: 'train' | 'test'): number | null {
  if (!spec.counts) return null;
  return Object.values(spec.counts[split]).reduce((a, b) => a + b, 0);
}
