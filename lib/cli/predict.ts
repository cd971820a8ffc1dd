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
import { createWriteStream, existsSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { extname, join } from 'node:path';
import Papa from 'papaparse';
import { selectBackend, describeBackend } from '../backend.js';
import { dirFiles, torchReader } from '../checkpoint/hf.js';
import { readFasta, openText } from '../data/fasta.js';
import { SEQ_COLUMNS } from '../data/readers.js';
import { loadPredictor, modelScorer, scan, scoreHeader, scoreRow, windowRow, type Predictor, type RecordScore, type WindowScore } from '../predict.js';
import { command, examples, integer, run } from './command.js';
import { defaultStride } from '../data/windows.js';

export async function loadForPrediction(dir: string, maxLen?: number): Promise<Predictor> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`model directory not found: ${dir}. Name a saved model folder (npm run experiment -- --save-model writes them under results/models/) or a Hugging Face DNABERT checkpoint folder.`);
  if (!existsSync(join(dir, 'config.json'))) {
    // a folder above the saved models (results/models/<dataset>/<profile>/<arm>/): name the ones inside
    const inside = savedModelsUnder(dir);
    if (inside.length) throw new Error(`${dir} is not a model but holds ${inside.length} saved model${inside.length === 1 ? '' : 's'}: ${inside.slice(0, 6).join(', ')}${inside.length > 6 ? ', …' : ''}. Name one of them with --model.`);
  }
  return loadPredictor(dirFiles(dir), { maxLen, readTorch: torchReader });
}

/** Model folders (with a config.json) below `dir`, up to three levels down, as paths from `dir`'s parent. */
function savedModelsUnder(dir: string, depth = 3): string[] {
  if (depth === 0) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
    .flatMap((e) => {
      const p = join(dir, e.name);
      return existsSync(join(p, 'config.json')) ? [p] : savedModelsUnder(p, depth - 1);
    });
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
  const stride = o.stride ?? defaultStride(window);
  const out: NodeJS.WritableStream | WriteStream = o.output ? createWriteStream(o.output) : process.stdout;
  const bed = o.windows ? createWriteStream(o.windows) : null;
  out.write(scoreHeader(!!o.logits, loaded.classes).join('\t') + '\n');
  const t0 = Date.now();
  let lastReport = t0, records = 0, bases = 0;
  const result = await scan(inputRecords(o.input), modelScorer(loaded.adapter, !!o.logits), {
    window,
    stride,
    batch: o.batch ?? 32,
    onWindow: bed ? (w: WindowScore) => void bed.write(windowRow(w, loaded.classes) + '\n') : undefined,
    onRecord: (r: RecordScore) => {
      out.write(scoreRow(r, !!o.logits, loaded.classes).join('\t') + '\n');
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

function main(): Promise<void> {
  const cmd = command('predict', 'Score DNA with a trained model: one row per record (FASTA, plain or gzipped, or a table with a sequence column); records longer than the model scanned with sliding windows.')
    .requiredOption('--model <dir>', 'a model saved by npm run experiment -- --save-model, or a Hugging Face BERT sequence classifier over k-mers')
    .requiredOption('--input <file>', 'FASTA (.fa, .fasta, .gz), table (.tsv/.csv[.gz]) with a sequence column, or - for FASTA on stdin')
    .option('--output <file>', 'TSV of per-record scores (default: stdout)')
    .option('--batch <n>', 'windows per forward pass', integer(1), 32)
    .option('--logits', "add the first window's logits to each row", false)
    .option('--windows <file>', "BED-like file of every window's score (id, start, end, score)")
    .option('--window <bp>', "window length in bp (default: the model's full length)", integer(1))
    .option('--stride <bp>', 'step between windows in bp (default: half the window)', integer(1))
    .option('--max-len <n>', "token positions of a BERT model (default: the checkpoint's)", integer(3))
    .action(async (o: { model: string; input: string; output?: string; batch: number; logits: boolean; windows?: string; window?: number; stride?: number; maxLen?: number }) => {
      const info = await selectBackend();
      process.stderr.write(`${describeBackend(info)}\n`);
      await predict(o);
    });
  examples(cmd, [
    'npm run predict -- --model results/models/human_nontata_promoters.test-split/quick/cnn/seed-1 --input seqs.fa.gz --output scores.tsv',
    'zcat chrX.fa.gz | npm run predict -- --model <dir> --input - --windows windows.bed --stride 50',
  ]);
  return run(cmd);
}

if (process.argv[1]?.endsWith('predict.ts')) await main();
