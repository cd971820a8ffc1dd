/**
 * `npm run experiment -- --dataset <name|path> --model <model> [--model …] [--seeds 1-5] [--profile quick]`
 *
 * Each (dataset, model, seed) is independent: finished runs are skipped, interrupted ones resume, so
 * runs can be spread over machines (e.g. one Slurm array task per seed) and aggregated afterwards with
 * `npm run aggregate`.
 */
import { MODELS, PROFILES, type ModelName } from '../config.js';
import { describeOutcome, parseSeeds, runExperiment } from '../training/runner.js';
import { estimateMatrix, formatEstimate } from '../training/estimate.js';
import { portablePath } from '../paths.js';
import { checked, collect, command, examples, Option, run } from './command.js';

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
  .option('--expected-duration', 'first time a few training steps of each model and print how long the runs will take at most', false)
  .action(async (o: { dataset: string; model: ModelName[]; seeds: number[]; profile: string; results: string; saveModel: boolean; expectedDuration: boolean; pretrained?: string }) => {
    if (o.pretrained !== undefined && !o.model.includes('dnabert-pretrained')) throw new Error('--pretrained names the checkpoint of --model dnabert-pretrained, which is not among the models');
    if (o.expectedDuration) console.log(formatEstimate(await estimateMatrix({ dataset: o.dataset, profile: o.profile, seeds: o.seeds, models: o.model, resultsDir: o.results, pretrained: o.pretrained })));
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
  'npm run experiment -- --dataset data/bundled/human_nontata_promoters.test-split.tsv.gz --model dnabert-pretrained --pretrained results/pretrained/genome',
]);
await run(cmd);
