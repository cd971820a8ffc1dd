/** Per-dataset statistics for exploration: class balance, lengths, GC content and N counts. */
import { max, mean, median, min, quantileSorted } from 'simple-statistics';
import { composition } from './dna.js';
import type { LabelledSequences } from './dataset.js';

export interface ClassStats {
  class: string;
  count: number;
  fraction: number;
  length: { min: number; q25: number; median: number; q75: number; max: number; mean: number };
  /** Mean GC fraction over called (non-N) bases. */
  gcMean: number;
  /** Sequences containing at least one N, and N bases in all. */
  withN: number;
  nBases: number;
}

export function classStats(s: LabelledSequences, classes: string[]): ClassStats[] {
  const total = s.labels.length;
  return classes.map((cls, label) => {
    const lengths: number[] = [];
    const gcs: number[] = [];
    let withN = 0, nBases = 0;
    for (let i = 0; i < total; i++) {
      if (s.labels[i] !== label) continue;
      const c = composition(s.seqs[i]);
      lengths.push(c.length);
      if (c.length > c.n) gcs.push(c.gc / (c.length - c.n));
      if (c.n > 0) withN++;
      nBases += c.n;
    }
    const sorted = [...lengths].sort((a, b) => a - b);
    const count = lengths.length;
    return {
      class: cls,
      count,
      fraction: total ? count / total : 0,
      length: count
        ? { min: min(sorted), q25: quantileSorted(sorted, 0.25), median: median(sorted), q75: quantileSorted(sorted, 0.75), max: max(sorted), mean: mean(sorted) }
        : { min: NaN, q25: NaN, median: NaN, q75: NaN, max: NaN, mean: NaN },
      gcMean: gcs.length ? mean(gcs) : NaN,
      withN,
      nBases,
    };
  });
}

/** A plain-text table of class statistics for terminals and notebooks. */
export function formatClassStats(title: string, stats: ClassStats[]): string {
  const head = ['class', 'n', 'share', 'len min', 'median', 'max', 'GC', 'with N'];
  const rows = stats.map((s) => [
    s.class,
    String(s.count),
    (100 * s.fraction).toFixed(1) + '%',
    String(s.length.min),
    String(s.length.median),
    String(s.length.max),
    (100 * s.gcMean).toFixed(1) + '%',
    String(s.withN),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [title, fmt(head), ...rows.map(fmt)].join('\n');
}
