/**
 * The one in-memory shape every reader produces.
 *
 * Sequences are upper-case ASCII bytes (see dna.ts); labels are class indices into `classes`, which
 * is sorted, so index = position of the class name in sorted order (negative = 0, positive = 1).
 */

export interface LabelledSequences {
  ids: string[];
  seqs: Uint8Array[];
  labels: Int32Array;
}

export interface Dataset {
  /** Registry name, or a name derived from the file it was read from. */
  name: string;
  /** Sorted class names; label i means classes[i]. */
  classes: string[];
  train: LabelledSequences;
  test: LabelledSequences;
  /** Where the data came from (reader and a portable path: see lib/paths.ts). */
  source: string;
  /** sha256 of the content: a table's text, or a folder's sorted file names and contents (interval datasets: the fetched sequences). */
  sha256: string;
  /** How train and test were obtained, recorded with every result. */
  split: string;
}

export function size(s: LabelledSequences): number {
  return s.seqs.length;
}

/** Take the records at `indices`, in that order. */
export function subset(s: LabelledSequences, indices: ArrayLike<number>): LabelledSequences {
  const ids: string[] = new Array(indices.length);
  const seqs: Uint8Array[] = new Array(indices.length);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    ids[i] = s.ids[j];
    seqs[i] = s.seqs[j];
    labels[i] = s.labels[j];
  }
  return { ids, seqs, labels };
}

/** Count of records per class index. */
export function classCounts(s: LabelledSequences, nClasses: number): number[] {
  const counts = new Array<number>(nClasses).fill(0);
  for (const l of s.labels) counts[l]++;
  return counts;
}

/** Fail on duplicate ids, naming the first duplicate and where it came from. */
export function assertUniqueIds(s: LabelledSequences, where: string): void {
  const seen = new Set<string>();
  for (const id of s.ids) {
    if (seen.has(id)) throw new Error(`${where}: duplicate sequence id '${id}'. Ids must be unique within a split.`);
    seen.add(id);
  }
}
