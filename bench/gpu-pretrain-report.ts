/**
 * The GPU pretraining stage's results file (bench/gpu.sh): the run's speed and its masked-LM curve, from
 * the pretraining records the run wrote. `node build/gpu/pretrain-report.mjs <run dir> <out.md>`.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { tokensPerStep } from '../lib/config.js';
import { readPretrainRecord } from '../lib/records/pretrain-record.js';
import { ladderArms } from '../lib/pretrain/ladder.js';

const [runDir, outFile] = process.argv.slice(2);
if (!runDir || !outFile) {
  console.error('usage: node bench/gpu-pretrain-report.ts <run dir> <out.md>');
  process.exit(2);
}
const r = readPretrainRecord(runDir);
if (!r) {
  writeFileSync(outFile, `# GPU pretraining\n\nNo finished run in ${basename(runDir)} (see gpu.log).\n`);
  console.error(`gpu-pretrain-report: no pretraining record in ${runDir}`);
  process.exit(1);
}
const perStep = tokensPerStep(r.config);
const tokens = r.training.steps * perStep;
const fmt = (x: number) => x.toLocaleString('en');
const snapshots = ladderArms(runDir).filter((a) => a.pretrained?.startsWith(`${runDir}-step`));
const lines = [
  '# GPU pretraining: the ladder\'s BERT at a GPU\'s batch',
  '',
  `${r.backend.line}; code ${r.code.commit.slice(0, 12)}${r.code.dirty ? ' (uncommitted changes)' : ''}; ${r.startedAt} to ${r.finishedAt}.`,
  '',
  `Configuration ${r.config.name}: ${r.config.description}. Corpus: ${r.corpus.description} (sha256 ${r.corpus.sha256.slice(0, 12)}…).`,
  '',
  `| steps | windows a step | k-mer tokens | seconds | tokens/s | final validation MLM loss | masked-token accuracy |`,
  `|---|---|---|---|---|---|---|`,
  `| ${fmt(r.training.steps)}${r.training.steps < r.config.steps ? ` (time limit; configured ${fmt(r.config.steps)})` : ''} | ${r.config.batchSize * r.config.gradAccum} | ${fmt(tokens)} | ${r.training.seconds.toFixed(0)} | ${fmt(Math.round(r.tokensPerSecond))} | ${r.final.validLoss.toFixed(4)} | ${(100 * r.final.maskedAccuracy).toFixed(2)} % |`,
  '',
  'The masked-LM curve (validation on held-out windows with fixed masks):',
  '',
  '| step | tokens | validation loss | perplexity | masked-token accuracy |',
  '|---|---|---|---|---|',
  ...r.training.history.map((h) => `| ${fmt(h.step)} | ${fmt(h.step * perStep)} | ${h.validLoss.toFixed(4)} | ${(h.metrics?.perplexity ?? Math.exp(h.validLoss)).toFixed(1)} | ${h.metrics?.maskedAccuracy === undefined ? '' : `${(100 * h.metrics.maskedAccuracy).toFixed(2)} %`} |`),
  '',
  `Snapshots (further arms of the ladder once unpacked beside it, \`make gpu-import\`): ${snapshots.map((a) => `${basename(a.pretrained!)} (${fmt(a.tokens)} tokens)`).join(', ') || 'none'}.`,
  '',
];
writeFileSync(outFile, lines.join('\n'));
console.log(`gpu-pretrain-report: ${fmt(r.training.steps)} steps, ${fmt(tokens)} tokens, ${fmt(Math.round(r.tokensPerSecond))} tokens/s, ${snapshots.length} snapshots → ${outFile}`);
