/**
 * `npm run ladder -- [--run results/pretrained/ladder/genome] [--dataset …] [--seeds 1-5]`
 *
 * The pretraining study's compute ladder (lib/pretrain/ladder.ts): fine-tunes random weights and every
 * snapshot of a pretraining run at each labelled-set size, each arm at the peak learning rate its own
 * validation loss picks, then writes the table of Δ F1 and Δ AUROC against random weights. Resumable:
 * finished runs are skipped, so it can be stopped and run again, or run while snapshots are added. Run it
 * in several terminals (or `make pretraining-study LADDER_WORKERS=2`) and the processes share the runs: each
 * passes over a run another one holds and comes back to it. With --figure it also draws both Δs against
 * tokens into <out>.svg and <out>.png (headless Chromium), the figure the README shows.
 */
import { LADDER_RATES, LADDER_SIZES } from '../config.js';
import { writeFileAtomic } from '../atomic.js';
import { exportFigure } from '../report/export.js';
import { ladderPanelsFigure } from '../report/plots.js';
import { LADDER_DATASET, ladderMarkdown, ladderRows, rateMarkdown, rateRows, runLadder } from '../pretrain/ladder.js';
import { parseSeeds, recordsOnly } from '../training/runner.js';
import { checked, command, examples, Option, run } from './command.js';

const list = (v: string) => v.split(',').map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1) throw new Error(`'${x}' is not a size (a whole number of training sequences)`);
  return n;
});

const cmd = command('ladder', 'Fine-tune random weights and each snapshot of a pretraining run at each labelled-set size and its own best learning rate; write Δ F1 and Δ AUROC against random weights.')
  .option('--run <dir>', 'the pretraining run whose snapshots (<dir>-step<N>) are the arms (npm run pretrain -- --config ladder --out <dir>)', 'results/pretrained/ladder/genome')
  .option('--dataset <name|path>', 'the labelled data to fine-tune on', LADDER_DATASET)
  .addOption(new Option('--seeds <list>', 'seeds; the first one picks each arm\'s learning rate').argParser(checked(parseSeeds)).default(parseSeeds('1-5'), '1-5'))
  .addOption(new Option('--sizes <list>', `labelled-set sizes, of ${LADDER_SIZES.join(', ')}`).argParser(checked(list)).default([...LADDER_SIZES], LADDER_SIZES.join(',')))
  .option('--results <dir>', 'results folder (records under <dir>/runs/)', 'results')
  .option('--out <file>', 'the table (Markdown)', 'results/pretraining-ladder.md')
  .option('--figure', 'also export the figure of Δ F1 and Δ AUROC against tokens beside --out, as .svg and .png (headless Chromium)', false)
  .action(async (o: { run: string; dataset: string; seeds: number[]; sizes: number[]; results: string; out: string; figure: boolean }) => {
    for (const s of o.sizes) if (!(LADDER_SIZES as readonly number[]).includes(s)) throw new Error(`--sizes: ${s} has no ladder profile; sizes: ${LADDER_SIZES.join(', ')} (lib/config.ts LADDER_SIZES)`);
    const cells = await runLadder({ dataset: o.dataset, runDir: o.run, seeds: o.seeds, resultsDir: o.results, sizes: o.sizes, rates: LADDER_RATES, recordsOnly: recordsOnly() });
    const rows = ladderRows(cells);
    const rates = rateRows(cells);
    const md = [
      '# The pretraining ladder: pretrained − random weights against pretraining tokens',
      '',
      `Fine-tuning data: ${o.dataset}. Arms: random weights and the snapshots of ${o.run}. Each arm's peak learning rate is chosen from ${LADDER_RATES.join(', ')} by its validation loss at seed ${o.seeds[0]}; seeds ${o.seeds.join(', ')} then run at that rate. Δ: pretrained − random, paired by seed, with a 95 % t interval. Written by \`npm run ladder\` from the run records under ${o.results}/runs/.`,
      '',
      ladderMarkdown(rows),
      '',
      '## Every arm at every rate (seed ' + o.seeds[0] + ')',
      '',
      rateMarkdown(rates),
      '',
    ].join('\n');
    writeFileAtomic(o.out, md);
    console.log(ladderMarkdown(rows));
    console.log(`→ ${o.out}`);
    if (o.figure) console.log(await exportFigure(ladderPanelsFigure(rows), o.out.replace(/\.md$/, ''), 1200, 520));
  });
examples(cmd, [
  'npm run pretrain -- --corpus data/genome/human_GRCh37_chrX_first70Mb.fa.gz --config ladder --out results/pretrained/ladder/genome',
  'npm run ladder -- --run results/pretrained/ladder/genome --sizes 800 --seeds 1-5',
  'DNABERT_RECORDS_ONLY=1 npm run ladder -- --figure   # redraw the table and figure from the records',
]);
await run(cmd);
