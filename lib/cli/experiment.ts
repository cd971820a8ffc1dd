/**
 * `npm run experiment -- --dataset <name|path> --model cnn|dnabert-random|dnabert-pretrained
 *                        --seeds 1-5 --profile quick [--results DIR]`
 *
 * Each (dataset, model, seed) is independent: finished runs are skipped, interrupted ones resume, so
 * runs can be spread over machines (e.g. one Slurm array task per seed) and aggregated afterwards with
 * `npm run aggregate`.
 */
import { parseArgs } from 'node:util';
import { MODELS, PROFILES, type ModelName } from '../config.js';
import { parseSeeds, runExperiment } from '../runner.js';

const USAGE = `usage: npm run experiment -- --dataset <name|path> --model ${MODELS.join('|')} [--seeds 1-5] [--profile ${PROFILES.join('|')}] [--results DIR] [--save-model]`;

const { values } = parseArgs({
  options: {
    dataset: { type: 'string' },
    model: { type: 'string', multiple: true },
    seeds: { type: 'string', default: '1-5' },
    profile: { type: 'string', default: 'quick' },
    results: { type: 'string', default: 'results' },
    'save-model': { type: 'boolean', default: false },
  },
});

try {
  if (!values.dataset || !values.model?.length) throw new Error(USAGE);
  for (const model of values.model) {
    if (!MODELS.includes(model as ModelName)) throw new Error(`unknown model '${model}'\n${USAGE}`);
    for (const seed of parseSeeds(values.seeds!)) {
      const { record, path, skipped } = await runExperiment({ dataset: values.dataset, model: model as ModelName, seed, profile: values.profile!, resultsDir: values.results, saveModel: values['save-model'] });
      const what = skipped ? 'already done' : record.status === 'done' ? 'done' : `not run: ${record.reason}`;
      const f1 = record.test ? ` F1 ${(100 * record.test.f1).toFixed(1)}%, accuracy ${(100 * record.test.accuracy).toFixed(1)}%, ${record.training!.seconds.toFixed(0)} s` : '';
      console.log(`${record.dataset} ${model} seed ${seed}: ${what}${f1} → ${path}`);
    }
  }
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
}
