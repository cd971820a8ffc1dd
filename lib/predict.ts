/**
 * Applying a trained model to new DNA: records from FASTA or a table, cut into windows that fit the
 * model, scored in batches, and aggregated per record.
 *
 * - A record no longer than the window is one window. A longer one is covered by windows of `window`
 *   bp every `stride` bp, the last window aligned to the record's end so every base is covered.
 * - Per record: `prob` = the maximum window probability of class 1 (a record contains an element if
 *   any window does), `prob_mean` = their mean; the predicted label is `prob ≥ 0.5`. A model of more
 *   than two classes gives one column per class instead, `prob_<class>` = the class's mean window
 *   probability, and the label is the most probable class.
 * - Bases: upper-cased; IUPAC ambiguity codes (R Y S W K M B D H V) count as N, so k-mers over them are
 *   [UNK] for DNABERT and N for the CNN; any other character, and empty records, are errors naming the
 *   record.
 *
 * No Node APIs: `npm run predict` (lib/cli/predict.ts) and the browser page (web/predict/) share it,
 * down to the columns of the output.
 */
import { windowStarts } from './data/windows.js';
import { SequenceError } from './data/dna.js';
import { bertAdapter, cnnAdapter, disposeBatch, makeBatch, type ModelAdapter } from './models/adapters.js';
import { bertClassifierFromFiles, type TorchReader } from './checkpoint/bert.js';
import { cnnFromFiles, isCnnModel } from './checkpoint/cnn.js';
import type { ModelFiles } from './checkpoint/files.js';

const IUPAC = 'ACGTNRYSWKMBDHV';
const NORMAL = new Uint8Array(256);
for (const ch of IUPAC) {
  const up = 'ACGTN'.includes(ch) ? ch.charCodeAt(0) : 'N'.charCodeAt(0);
  NORMAL[ch.charCodeAt(0)] = up;
  NORMAL[ch.toLowerCase().charCodeAt(0)] = up;
}

/** Encode for prediction: upper-case, IUPAC ambiguity codes → N, anything else an error. */
export function encodeForPrediction(seq: string, where: string): Uint8Array {
  if (seq.length === 0) throw new SequenceError(`${where}: empty sequence`);
  const out = new Uint8Array(seq.length);
  for (let i = 0; i < seq.length; i++) {
    const c = seq.charCodeAt(i);
    const b = c < 256 ? NORMAL[c] : 0;
    if (!b) throw new SequenceError(`${where}: invalid character ${JSON.stringify(seq[i])} at position ${i + 1}; expected DNA bases or IUPAC codes`);
    out[i] = b;
  }
  return out;
}

export interface WindowScore {
  id: string;
  start: number;
  end: number;
  /** P(class 1); beyond two classes the probability of the window's most probable class. */
  prob: number;
  /** Beyond two classes: every class's probability. */
  probs?: number[];
  logits?: number[];
}

export interface RecordScore {
  id: string;
  length: number;
  windows: number;
  prob: number;
  probMean: number;
  label: number;
  /** Beyond two classes: each class's mean window probability. */
  classProbs?: number[];
  /** Logits of the first window (single-window records: the record's). */
  logits?: number[];
}

const argmax = (xs: readonly number[]): number => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);

export function aggregate(id: string, length: number, ws: WindowScore[]): RecordScore {
  let max = -Infinity, sum = 0;
  for (const w of ws) {
    max = Math.max(max, w.prob);
    sum += w.prob;
  }
  const logits = ws[0]?.logits;
  if (ws[0]?.probs) {
    const classProbs = ws[0].probs.map((_, k) => ws.reduce((a, w) => a + w.probs![k], 0) / ws.length);
    return { id, length, windows: ws.length, prob: max, probMean: sum / ws.length, label: argmax(classProbs), classProbs, logits };
  }
  return { id, length, windows: ws.length, prob: max, probMean: sum / ws.length, label: max >= 0.5 ? 1 : 0, logits };
}

/** Something that turns a batch of window sequences into class probabilities (row-major [n, classes]; optionally logits). */
export type Scorer = (seqs: Uint8Array[]) => Promise<{ probs: Float32Array; classes: number; logits?: number[][] }>;

/** A scorer from a model adapter (DNABERT or CNN), in evaluation mode. */
export function modelScorer(model: ModelAdapter, withLogits: boolean): Scorer {
  return async (seqs) => {
    const enc = model.encode(seqs);
    const b = makeBatch({ enc, labels: new Int32Array(seqs.length) }, Array.from({ length: seqs.length }, (_, i) => i));
    const { probs } = model.evaluate(b);
    const p = (await probs.data()) as Float32Array;
    let logits: number[][] | undefined;
    if (withLogits) logits = await model.logits(b);
    probs.dispose();
    disposeBatch(b);
    return { probs: p, classes: model.classes, logits };
  };
}

export interface ScanOptions {
  window: number;
  stride: number;
  batch: number;
  onWindow?: (w: WindowScore) => void;
  onRecord: (r: RecordScore) => void;
}

/**
 * Score records as they arrive (an async iterable, e.g. a streaming FASTA reader): windows are batched
 * across records, and a record is reported once all its windows are scored.
 */
export async function scan(records: AsyncIterable<{ id: string; seq: string; where: string }>, scorer: Scorer, o: ScanOptions): Promise<{ records: number; bases: number }> {
  type Pending = { id: string; length: number; left: number; scores: WindowScore[] };
  const queue: { rec: Pending; start: number; seq: Uint8Array }[] = [];
  const open: Pending[] = [];
  let nRecords = 0, nBases = 0;
  const flush = async () => {
    if (!queue.length) return;
    const batch = queue.splice(0, queue.length);
    const { probs, classes, logits } = await scorer(batch.map((q) => q.seq));
    batch.forEach((q, i) => {
      const row = Array.from(probs.subarray(i * classes, (i + 1) * classes));
      const multi = classes > 2;
      const w: WindowScore = { id: q.rec.id, start: q.start, end: q.start + q.seq.length, prob: multi ? Math.max(...row) : row[classes - 1], ...(multi ? { probs: row } : {}), logits: logits?.[i] };
      q.rec.scores.push(w);
      q.rec.left--;
      o.onWindow?.(w);
    });
    while (open.length && open[0].left === 0) {
      const r = open.shift()!;
      r.scores.sort((a, b) => a.start - b.start);
      o.onRecord(aggregate(r.id, r.length, r.scores));
    }
  };
  for await (const r of records) {
    const bytes = encodeForPrediction(r.seq, r.where);
    const starts = windowStarts(bytes.length, o.window, o.stride);
    const rec: Pending = { id: r.id, length: bytes.length, left: starts.length, scores: [] };
    open.push(rec);
    for (const s of starts) {
      queue.push({ rec, start: s, seq: bytes.subarray(s, Math.min(bytes.length, s + o.window)) });
      if (queue.length >= o.batch) await flush();
    }
    nRecords++;
    nBases += bytes.length;
  }
  await flush();
  return { records: nRecords, bases: nBases };
}

export interface Predictor {
  adapter: ModelAdapter;
  /** Class names by index (config.json's id2label, else class_<i>). */
  classes: string[];
  /** Longest window in bp the model takes whole. */
  window: number;
  what: string;
}

/**
 * A saved model ready to score: the CNN (config.json's model_type) or a DNABERT classifier with its
 * classifier weights (a pretrained-only checkpoint is refused: it has not learnt the task).
 */
export async function loadPredictor(files: ModelFiles, o: { maxLen?: number; readTorch?: TorchReader } = {}): Promise<Predictor> {
  // class names for the output; a folder without config.json is refused below by the reader, with its message
  const id2label = files.has('config.json') ? ((JSON.parse(files.text('config.json')) as { id2label?: Record<string, string> }).id2label ?? {}) : {};
  const names = (n: number) => Array.from({ length: n }, (_, i) => id2label[String(i)] ?? `class_${i}`);
  if (isCnnModel(files)) {
    const model = cnnFromFiles(files);
    const adapter = cnnAdapter(model, 'bce-logits');
    return { adapter, classes: names(model.config.numClasses), window: adapter.window, what: `CNN from ${files.where}` };
  }
  const { model, report } = await bertClassifierFromFiles(files, {}, o.readTorch);
  if (report.freshlyInitialised.length) {
    model.dispose();
    throw new Error(`${report.weightsFile} has no classifier weights (${report.freshlyInitialised.join(', ')}): it is a pretrained, not a fine-tuned, model`);
  }
  const positions = Math.min(o.maxLen ?? model.config.max_position_embeddings, model.config.max_position_embeddings);
  const adapter = bertAdapter(model, { k: report.k, maxLen: positions, attendToPadding: false });
  return {
    adapter,
    classes: names(model.config.num_labels),
    window: adapter.window,
    what: `DNABERT (${report.k}-mers, ${positions} positions) from ${files.where}`,
  };
}

/**
 * The columns of the per-record scores (TSV), with the first window's logits if asked for: binary
 * models `prob` and `prob_mean` of class 1; beyond two classes `prob_<class>` for each.
 */
export function scoreHeader(logits: boolean, classes: readonly string[] = ['0', '1']): string[] {
  const probs = classes.length > 2 ? classes.map((c) => `prob_${c}`) : ['prob', 'prob_mean'];
  return ['id', 'length', 'windows', ...probs, 'label', ...(logits ? ['logits'] : [])];
}

const fmt = (x: number): string => x.toPrecision(6);

/** One record's row of the scores, in the columns of scoreHeader (labels by class name beyond two classes). */
export function scoreRow(r: RecordScore, logits: boolean, classes: readonly string[] = ['0', '1']): string[] {
  const probs = r.classProbs ? r.classProbs.map(fmt) : [fmt(r.prob), fmt(r.probMean)];
  const row = [String(r.id), String(r.length), String(r.windows), ...probs, r.classProbs ? classes[r.label] : String(r.label)];
  if (logits) row.push((r.logits ?? []).map(fmt).join(','));
  return row;
}

/** One window's line of the BED-like window scores: id, start, end, score (beyond two classes: the most probable class's, and its name). */
export function windowRow(w: WindowScore, classes: readonly string[] = ['0', '1']): string {
  return `${w.id}\t${w.start}\t${w.end}\t${fmt(w.prob)}${w.probs ? `\t${classes[argmax(w.probs)]}` : ''}`;
}
