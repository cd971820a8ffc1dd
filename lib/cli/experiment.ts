/**
 * `npm run experiment -- --dataset <name|path> --model <model> [--model …] [--seeds 1-5] [--profile quick]`
 *
 * Each (dataset, model, seed) is independent: finished runs are skipped, interrupted ones resume, so
 * runs can be spread over machines (e.g. one Slurm array task per seed) and aggregated afterwards with
 * `npm run aggregate`.
 */
import { MODELS, PROFILES, type ModelName } from '../config.js';
import { availableParallelism } from 'node:os';
import { activeBackend, describeOutcome, parseSeeds, runExperiment } from '../training/runner.js';
import { estimateMatrix, formatEstimate, maxHours, overBudget } from '../training/estimate.js';
import { describeBackend } from '../backend.js';
import { portablePath } from '../paths.js';
import { checked, collect, command, examples, Option, positive, run } from './command.js';

function modelName(v: string): ModelName {
  if (!MODELS.includes(v as ModelName)) throw new Error(`unknown model '${v}'; models: ${MODELS.join(', ')}.`);
  return v as ModelName;
}

const cmd = command('experiment', 'Train and test models on a dataset, one JSON run record per (model, seed); finished runs are skipped, interrupted runs resume.')
  .requiredOption('--dataset <name|path>', 'registry name (see npm run data -- list), a dataset folder with train/ and test/, or a labelled table (.tsv/.csv[.gz])')
  .requiredOption('--model <model>', `model to train, repeatable: ${MODELS.join(', ')}`, collect(checked(modelName)))
  .addOption(new Option('--seeds <list>', 'seeds, e.g. 1-5 or 1,3,5').argParser(checked(parseSeeds)).default(parseSeeds('1-5'), '1-5'))
  .addOption(new Option('--profile <name>', 'configuration profile (lib/config.ts)').choices(PROFILES).default('quick'))
  .option('--results <dir>', 'results folder (records under <dir>/runs/)', 'results')
  .option('--save-model', 'save each trained model under <results>/models/ for npm run predict', false)
  .option('--pretrained <dir>', 'dnabert-pretrained: fine-tune this checkpoint folder (npm run pretrain --out, or any Hugging Face DNABERT folder) instead of the official weights; its runs are filed as dnabert-pretrained.<folder name>')
  .option('--expected-duration', 'first time a few training steps of each model and print how long the runs will take at most (always done for the paper profile and with --max-hours or MAX_HOURS)', false)
  .addOption(new Option('--max-hours <h>', 'stop before training when the measured expected duration of the requested runs is above this (default: MAX_HOURS, else 12)').argParser(positive('hours')))
  .action(async (o: { dataset: string; model: ModelName[]; seeds: number[]; profile: string; results: string; saveModel: boolean; expectedDuration: boolean; pretrained?: string; maxHours?: number }) => {
    if (o.pretrained !== undefined && !o.model.includes('dnabert-pretrained')) throw new Error('--pretrained names the checkpoint of --model dnabert-pretrained, which is not among the models');
    const limit = maxHours(o.maxHours);
    const backend = await activeBackend();
    console.log(describeBackend(backend));
    if (o.expectedDuration || o.maxHours !== undefined || process.env.MAX_HOURS || o.profile === 'paper') {
      const estimate = await estimateMatrix({ dataset: o.dataset, profile: o.profile, seeds: o.seeds, models: o.model, resultsDir: o.results, pretrained: o.pretrained, progress: (line) => console.log(line) });
      console.log(formatEstimate(estimate));
      const stop = overBudget(estimate, limit, { backend: backend.name, device: backend.device, cores: availableParallelism(), gpu: backend.device.startsWith('GPU') });
      if (stop) throw new Error(stop);
    }
    for (const model of o.model) {
      for (const seed of o.seeds) {
        const outcome = await runExperiment({ dataset: o.dataset, model, seed, profile: o.profile, resultsDir: o.results, saveModel: o.saveModel, pretrained: model === 'dnabert-pretrained' ? o.pretrained : undefined });
        console.log(`${describeOutcome(outcome)} → ${portablePath(outcome.path)}`);
      }
    }
  });
examples(cmd, [
  'npm run experiment -- --dataset human_nontata_promoters --model cnn --model dnabert-random --seeds 1-5',
  'npm run experiment -- --dataset data/bundled/human_nontata_promoters.test-split.tsv.gz --model cnn --profile paper',
  'npm run experiment -- --dataset data/bundled/human_nontata_promoters.test-split.tsv.gz --model dnabert-random --profile paper --max-hours 700',
  'npm run experiment -- --dataset data/bundled/human_nontata_promoters.test-split.tsv.gz --model dnabert-pretrained --pretrained results/pretrained/genome',
]);
await run(cmd);
