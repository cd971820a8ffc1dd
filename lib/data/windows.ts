/**
 * Sequences longer than a model's input: what truncation drops, and windows instead. A model takes a
 * sequence of at most `window` bp whole (ModelAdapter.window); the authors' code kept the first tokens
 * (the tokenizer's truncation), so the rest of a longer sequence is never seen. With windows, a long
 * sequence becomes overlapping windows of the model's length, each with the sequence's label in
 * training; in evaluation its windows' class probabilities are averaged into one prediction per
 * sequence. `npm run predict` scans long records with the same windows.
 */
import type { LabelledSequences } from './dataset.js';

/** Window starts (0-based) covering a record of `length` bp: every `stride` bp, and the last window flush with the end. */
export function windowStarts(length: number, window: number, stride: number): number[] {
  if (!(window > 0 && stride > 0)) throw new Error(`window (${window}) and stride (${stride}) must be positive`);
  if (length <= window) return [0];
  const starts: number[] = [];
  for (let s = 0; s + window < length; s += stride) starts.push(s);
  starts.push(length - window);
  return starts;
}

/** The stride of windows when none is given: half a window, so every base lies in two windows. */
export function defaultStride(window: number): number {
  return Math.max(1, Math.floor(window / 2));
}

/** What a model taking `window` bp whole keeps of a split cut to its first `window` bp. */
export interface LengthReport {
  sequences: number;
  /** Sequences longer than the window. */
  truncated: number;
  longest: number;
  bases: number;
  /** Bases beyond the window, which truncation never shows the model. */
  basesDropped: number;
  /** basesDropped / bases. */
  shareDropped: number;
}

export function lengthReport(seqs: readonly { length: number }[], window: number): LengthReport {
  let truncated = 0, longest = 0, bases = 0, dropped = 0;
  for (const s of seqs) {
    bases += s.length;
    longest = Math.max(longest, s.length);
    if (s.length > window) {
      truncated++;
      dropped += s.length - window;
    }
  }
  return { sequences: seqs.length, truncated, longest, bases, basesDropped: dropped, shareDropped: bases ? dropped / bases : 0 };
}

/** One line, e.g. "412 of 2,711 sequences longer than 515 bp (longest 1,000 bp): 23.4 % of bases beyond it". */
export function describeLengths(r: LengthReport, window: number): string {
  if (!r.truncated) return `all ${r.sequences.toLocaleString('en')} sequences within ${window.toLocaleString('en')} bp (longest ${r.longest.toLocaleString('en')} bp)`;
  return `${r.truncated.toLocaleString('en')} of ${r.sequences.toLocaleString('en')} sequences longer than ${window.toLocaleString('en')} bp (longest ${r.longest.toLocaleString('en')} bp): ${(100 * r.shareDropped).toFixed(1)} % of bases beyond it`;
}

/** Every sequence as windows of at most `window` bp (a short one as itself), each with its sequence's label and id; `of[i]` is window i's sequence. */
export function windowed(s: LabelledSequences, window: number, stride: number): { windows: LabelledSequences; of: Int32Array } {
  const ids: string[] = [], seqs: Uint8Array[] = [], labels: number[] = [], of: number[] = [];
  s.seqs.forEach((seq, i) => {
    for (const start of windowStarts(seq.length, window, stride)) {
      ids.push(s.ids[i]);
      seqs.push(seq.subarray(start, start + window));
      labels.push(s.labels[i]);
      of.push(i);
    }
  });
  return { windows: { ids, seqs, labels: Int32Array.from(labels) }, of: Int32Array.from(of) };
}

/** Per-sequence class probabilities [n, classes] (row-major): the mean over each sequence's windows of `probs` [windows, classes]. */
export function meanOverWindows(probs: Float32Array, classes: number, of: Int32Array, n: number): Float32Array {
  const out = new Float32Array(n * classes);
  const count = new Int32Array(n);
  of.forEach((seq, w) => {
    count[seq]++;
    for (let c = 0; c < classes; c++) out[seq * classes + c] += probs[w * classes + c];
  });
  for (let i = 0; i < n; i++) for (let c = 0; c < classes; c++) out[i * classes + c] /= Math.max(1, count[i]);
  return out;
}
