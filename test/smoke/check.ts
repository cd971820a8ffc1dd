/**
 * After the smoke execution: the executed notebooks hold no error output, the dataset notebooks
 * (01, 05) recorded their runs, the pretraining notebook pretrained on both corpora and fine-tuned from each, and
 * the summary wrote Table 2 with those arms.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { executedNotebooks } from './executed.js';

const dir = process.argv[2];
const fail = (msg: string): never => {
  console.error(`smoke check: ${msg}`);
  process.exit(1);
};
for (const { file: f, printed, errors } of executedNotebooks(join(dir, 'executed'))) {
  if (errors.length) fail(`${f} has an error output: ${errors[0]}`);
  if (f.startsWith('01_') && !/expected duration: at most .*\n {2}cnn: /.test(printed)) fail(`${f} does not print the expected duration before training`);
}
// notebook 01 trains on smoke.tsv, notebook 05 on a copy named cohn.tsv
const datasets = readdirSync(join(dir, 'results', 'runs')).sort();
if (datasets.join(',') !== 'cohn,smoke') fail(`expected the runs of notebooks 01 (smoke) and 05 (cohn), found ${datasets.join(', ') || 'none'}`);
for (const d of datasets) {
  for (const model of ['cnn', 'dnabert-random', 'dnabert-pretrained']) {
    if (!existsSync(join(dir, 'results', 'runs', d, 'smoke', model, 'seed-1.json'))) fail(`no run record for ${d} / ${model}`);
  }
}
const runs = join(dir, 'results', 'runs', 'smoke', 'smoke');
for (const corpus of ['genome', 'task']) {
  if (!existsSync(join(dir, 'results', 'pretrained', 'smoke', corpus, 'pretraining.json'))) fail(`notebook 07 did not pretrain on the ${corpus} corpus`);
  for (const seed of [1, 2]) if (!existsSync(join(runs, `dnabert-pretrained.${corpus}`, `seed-${seed}.json`))) fail(`no fine-tuning record of dnabert-pretrained.${corpus} seed ${seed}`);
}
const table = existsSync(join(dir, 'results', 'table2-smoke.md')) ? readFileSync(join(dir, 'results', 'table2-smoke.md'), 'utf8') : fail('the summary did not write table2-smoke.md');
if (!table.includes('DNABERT pretrained (genome)') || !table.includes('DNABERT pretrained (task)')) fail('Table 2 lacks the pretrained arms of notebook 07');
console.log(`smoke check: ${readdirSync(join(dir, 'executed')).length} notebooks without errors, run records and Table 2 present`);
