/**
 * Scanning throughput in its own process: `tsx bench/scan.ts <cnn|bert-small|bert-base> <backend> <kb>`
 * saves a randomly initialised model of that architecture, then runs `predict` over a generated
 * FASTA of <kb> kilobases (windows of the model's full length, stride half a window) and prints one
 * JSON line with bases per second.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../lib/backend.js';
import { BertClassifier, DNABERT6_CONFIG, SMALL_CONFIG } from '../lib/models/dnabert.js';
import { CnnClassifier, cnnConfig } from '../lib/models/cnn.js';
import { saveCheckpoint } from '../lib/checkpoint/hf.js';
import { saveCnn } from '../lib/checkpoint/save.js';
import { predict } from '../lib/cli/predict.js';
import { seededRng } from '../lib/random.js';
import { randomDna } from '../test/helpers.js';

const [workload, backend, kbArg] = process.argv.slice(2);
const info = await selectBackend({ requested: backend });
const dir = mkdtempSync(join(tmpdir(), 'dnabert-scan-'));
try {
  const modelDir = join(dir, 'model');
  if (workload === 'cnn') await saveCnn(CnnClassifier.random(cnnConfig(253), 1), modelDir);
  else await saveCheckpoint(BertClassifier.random(workload === 'bert-base' ? DNABERT6_CONFIG : SMALL_CONFIG, 1), modelDir);
  const rng = seededRng(3);
  const kb = Number(kbArg ?? 50);
  const records: string[] = [];
  for (let i = 0; i < kb / 10; i++) records.push(`>chr${i}\n${randomDna(10_000, rng)}\n`);
  writeFileSync(join(dir, 'in.fa'), records.join(''));
  const r = await predict({ model: modelDir, input: join(dir, 'in.fa'), output: join(dir, 'out.tsv'), batch: 16, quiet: true });
  console.log(JSON.stringify({ workload, backend: info.name, basesPerSec: r.bases / r.seconds, bases: r.bases, seconds: r.seconds }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
