/**
 * `npm run predict -- --model <dir> --input <file.fa|file.fa.gz|file.tsv|-> [--output out.tsv]
 *                     [--batch N] [--logits] [--windows windows.bed] [--window BP] [--stride BP] [--max-len N]`
 *
 * Scores every record with a saved model — a DNABERT directory in Hugging Face layout (ours or any BERT
 * sequence classifier over k-mers) or a CNN saved by this project. Output: a TSV with one row per
 * record (id, length, windows, prob = max over windows of P(class 1), prob_mean, label, and the
 * first window's logits with --logits); with --windows, a BED-like file of every window's score.
 * FASTA input is streamed; progress (records, bases, bases/s) goes to stderr.
 */
import { createWriteStream, existsSync, statSync, type WriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { extname } from 'node:path';
import Papa from 'papaparse';
import { selectBackend, describeBackend } from '../backend.js';
import { loadCheckpoint } from '../checkpoint/hf.js';
import { isCnnDir, loadCnn } from '../checkpoint/cnn.js';
import { bertAdapter, cnnAdapter, type ModelAdapter } from '../models.js';
import { readFasta, openText } from '../data/fasta.js';
import { SEQ_COLUMNS } from '../data/readers.js';
import { modelScorer, scan, type RecordScore, type WindowScore } from '../predict.js';

const USAGE = 'usage: npm run predict -- --model <dir> --input <file.fa|file.fa.gz|file.tsv|-> [--output out.tsv] [--batch N] [--logits] [--windows out.bed] [--window BP] [--stride BP] [--max-len N]';

interface Loaded {
  adapter: ModelAdapter;
  /** Longest window in bp the model takes whole. */
  window: number;
  what: string;
}

export async function loadForPrediction(dir: string, maxLen?: number): Promise<Loaded> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`model directory not found: ${dir}`);
  if (isCnnDir(dir)) {
    const model = loadCnn(dir);
    return { adapter: cnnAdapter(model, 'bce-logits'), window: model.config.inputLen - 2, what: `CNN from ${dir}` };
  }
  const { model, report } = await loadCheckpoint(dir);
  if (report.freshlyInitialised.length) {
    throw new Error(`${report.weightsFile} has no classifier weights (${report.freshlyInitialised.join(', ')}): it is a pretrained, not a fine-tuned, model`);
  }
  const positions = Math.min(maxLen ?? model.config.max_position_embeddings, model.config.max_position_embeddings);
  return {
    adapter: bertAdapter(model, { k: report.k, maxLen: positions, attendToPadding: false }),
    window: positions - 2 + report.k - 1,
    what: `DNABERT (${report.k}-mers, ${positions} positions) from ${dir}`,
  };
}

/** Records of a FASTA (streamed) or of a table with a sequence column (and optional id column). */
export async function* inputRecords(input: string): AsyncGenerator<{ id: string; seq: string; where: string }> {
  const plain = input.replace(/\.gz$/, '');
  if (input !== '-' && ['.tsv', '.csv', '.txt'].includes(extname(plain))) {
    const chunks: Buffer[] = [];
    for await (const c of openText(input)) chunks.push(c as Buffer);
    const parsed = Papa.parse<Record<string, string>>(Buffer.concat(chunks).toString('utf8'), { header: true, skipEmptyLines: 'greedy', delimiter: extname(plain) === '.csv' ? ',' : '\t' });
    const fields = parsed.meta.fields ?? [];
    const seqCol = fields.find((f) => SEQ_COLUMNS.includes(f.toLowerCase()));
    if (!seqCol) throw new Error(`${input}: no sequence column (seq, sequence, dna or text) among ${JSON.stringify(fields)}`);
    const idCol = fields.find((f) => f.toLowerCase() === 'id');
    for (const [i, row] of parsed.data.entries()) {
      const line = i + 2;
      yield { id: idCol ? row[idCol] : `${line - 1}`, seq: (row[seqCol] ?? '').trim(), where: `${input} line ${line}` };
    }
    return;
  }
  for await (const rec of readFasta(input === '-' ? process.stdin : input, input === '-' ? 'stdin' : input)) {
    yield { id: rec.id, seq: rec.seq, where: `${input === '-' ? 'stdin' : input} record '${rec.id}' (line ${rec.line})` };
  }
}

function fmt(x: number): string {
  return x.toPrecision(6);
}

export interface PredictOptions {
  model: string;
  input: string;
  output?: string;
  batch?: number;
  logits?: boolean;
  windows?: string;
  window?: number;
  stride?: number;
  maxLen?: number;
  quiet?: boolean;
}

export async function predict(o: PredictOptions): Promise<{ records: number; bases: number; seconds: number }> {
  const loaded = await loadForPrediction(o.model, o.maxLen);
  const window = Math.min(o.window ?? loaded.window, loaded.window);
  const stride = o.stride ?? Math.max(1, Math.floor(window / 2));
  const out: NodeJS.WritableStream | WriteStream = o.output ? createWriteStream(o.output) : process.stdout;
  const bed = o.windows ? createWriteStream(o.windows) : null;
  const header = ['id', 'length', 'windows', 'prob', 'prob_mean', 'label'];
  if (o.logits) header.push('logits');
  out.write(header.join('\t') + '\n');
  const t0 = Date.now();
  let lastReport = t0, records = 0, bases = 0;
  const result = await scan(inputRecords(o.input), modelScorer(loaded.adapter, !!o.logits), {
    window,
    stride,
    batch: o.batch ?? 32,
    onWindow: bed ? (w: WindowScore) => void bed.write(`${w.id}\t${w.start}\t${w.end}\t${fmt(w.prob)}\n`) : undefined,
    onRecord: (r: RecordScore) => {
      const row = [r.id, r.length, r.windows, fmt(r.prob), fmt(r.probMean), r.label].map(String);
      if (o.logits) row.push((r.logits ?? []).map(fmt).join(','));
      out.write(row.join('\t') + '\n');
      records++;
      bases += r.length;
      const now = Date.now();
      if (!o.quiet && now - lastReport > 2000) {
        lastReport = now;
        process.stderr.write(`predict: ${records} records, ${bases.toLocaleString('en')} bases, ${Math.round(bases / ((now - t0) / 1000)).toLocaleString('en')} bases/s\n`);
      }
    },
  });
  await Promise.all([out !== process.stdout ? new Promise((r) => (out as WriteStream).end(r)) : null, bed ? new Promise((r) => bed.end(r)) : null]);
  loaded.adapter.dispose();
  const seconds = (Date.now() - t0) / 1000;
  if (!o.quiet) process.stderr.write(`predict: ${result.records} records, ${result.bases.toLocaleString('en')} bases in ${seconds.toFixed(1)} s (${loaded.what}, window ${window} bp, stride ${stride} bp)\n`);
  return { ...result, seconds };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      input: { type: 'string' },
      output: { type: 'string' },
      batch: { type: 'string' },
      logits: { type: 'boolean', default: false },
      windows: { type: 'string' },
      window: { type: 'string' },
      stride: { type: 'string' },
      'max-len': { type: 'string' },
    },
  });
  if (!values.model || !values.input) throw new Error(USAGE);
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  const info = await selectBackend();
  process.stderr.write(`${describeBackend(info)}\n`);
  await predict({
    model: values.model,
    input: values.input,
    output: values.output,
    batch: num(values.batch, 'batch'),
    logits: values.logits,
    windows: values.windows,
    window: num(values.window, 'window'),
    stride: num(values.stride, 'stride'),
    maxLen: num(values['max-len'], 'max-len'),
  });
}

if (process.argv[1]?.endsWith('predict.ts')) {
  main().catch((e: Error) => {
    console.error(`error: ${e.message}`);
    process.exitCode = 1;
  });
}
