/**
 * `npm run pretrain -- --corpus <fasta|table|dataset> --config quick [--steps N] --out DIR`
 *
 * Masked-language-model pretraining of a DNABERT (lib/pretrain/): resumable (run the same command
 * again after an interruption), the output folder a Hugging Face checkpoint plus its run record.
 */
import { PRETRAIN_CONFIGS, resolvePretrainConfig } from '../config.js';
import { describeBackend, selectBackend } from '../backend.js';
import { pretrain } from '../pretrain/pretrain.js';
import { RECORD_FILE } from '../records/pretrain-record.js';
import { checked, command, examples, integer, Option, positive, run } from './command.js';

/** "75,300,1200": whole numbers of steps, ascending. */
function stepList(v: string): number[] {
  const steps = v.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`'${x}' is not a step (a whole number from 1)`);
    return n;
  });
  return [...new Set(steps)].sort((a, b) => a - b);
}

const cmd = command('pretrain', 'Pretrain a DNABERT by masked language modelling on a corpus (DNABERT span masking); resumable; writes a Hugging Face checkpoint and its record.')
  .requiredOption('--corpus <path|name>', 'FASTA (.fa/.fasta/.fna[.gz], any number of records), a labelled table (its fine-tuning holdout\'s training part) or a dataset folder/name (its train split); labels are ignored, test splits refused')
  .requiredOption('--out <dir>', `output folder: config.json, vocab.txt, model.safetensors and ${RECORD_FILE}`)
  .addOption(new Option('--config <name>', 'pretraining configuration (lib/config.ts)').choices(PRETRAIN_CONFIGS).default('quick'))
  .option('--steps <n>', "optimizer steps (default: the configuration's)", integer(1))
  .option('--seed <n>', 'seed of the initialisation, windows and masks', integer(0), 1)
  .option('--batch-size <n>', "windows per optimizer step (default: the configuration's)", integer(1))
  .option('--valid-windows <n>', "held-out windows of each validation (default: the configuration's)", integer(1))
  .addOption(new Option('--max-minutes <m>', 'a time budget: the first step after it is the last, and the run is saved and recorded as finished there (a signal instead leaves a checkpoint to resume)').argParser(positive('minutes')))
  .addOption(new Option('--snapshot-steps <list>', "steps whose weights are saved beside --out as <out>-step<N> (default: the configuration's); continuing a finished run may add steps after its last one").argParser(checked(stepList)))
  .action(async (o: { corpus: string; out: string; config: string; steps?: number; seed: number; snapshotSteps?: number[]; batchSize?: number; validWindows?: number; maxMinutes?: number }) => {
    const given = { ...(o.steps ? { steps: o.steps } : {}), ...(o.batchSize ? { batchSize: o.batchSize } : {}), ...(o.validWindows ? { validWindows: o.validWindows } : {}), ...(o.snapshotSteps ? { snapshotSteps: o.snapshotSteps } : {}) };
    const overrides = Object.keys(given).length ? given : undefined;
    const c = resolvePretrainConfig(o.config, overrides);
    const backend = await selectBackend();
    console.log(describeBackend(backend));
    console.log(`pretraining config ${c.name}: ${c.description}`);
    const { record, skipped } = await pretrain({ corpus: o.corpus, config: o.config, overrides, out: o.out, seed: o.seed, backend, maxMinutes: o.maxMinutes });
    const f = record.final;
    const early = record.training.steps < record.config.steps ? ` (the time limit; the configuration's ${record.config.steps.toLocaleString('en')})` : '';
    console.log(`${skipped ? 'already done' : 'done'}: ${record.training.steps} steps${early}, validation MLM loss ${f.validLoss.toFixed(4)}, perplexity ${f.perplexity.toFixed(1)}, masked-token accuracy ${(100 * f.maskedAccuracy).toFixed(1)}%, ${Math.round(record.tokensPerSecond)} tokens/s → ${o.out}`);
  });
examples(cmd, [
  'npm run pretrain -- --corpus ../genome.fa.gz --config quick --out results/pretrained/genome',
  'npm run pretrain -- --corpus data/bundled/human_nontata_promoters.test-split.tsv.gz --config quick --steps 300 --out results/pretrained/task',
  '# continue the ladder run from 4,800 to 76,800 steps, with snapshots at 19,200 and 76,800 (needs its kept checkpoint, <out>.checkpoint)',
  'npm run pretrain -- --corpus data/genome/human_GRCh37_chrX_first70Mb.fa.gz --config ladder --steps 76800 --snapshot-steps 75,300,1200,4800,19200,76800 --out results/pretrained/ladder/genome',
  '# the ladder on a GPU, for a fixed budget (bench/gpu.sh)',
  'DNABERT_BACKEND=torch npm run pretrain -- --corpus data/genome/human_GRCh37_chrX_first70Mb.fa.gz --config ladder-gpu --max-minutes 5 --out results/pretrained/ladder/genome-gpu',
]);
await run(cmd);
