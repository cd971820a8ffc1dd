/**
 * `npm run aggregate -- [--results DIR] [--profile quick] [--figure]`
 * Table 2 from the run records: prints Markdown and writes `<results>/table2-<profile>.{md,csv}` (and
 * with --figure its figure as .svg and .png).
 */
import { join } from 'node:path';
import { exportFigure } from '../report/export.js';
import { table2Figure } from '../report/plots.js';
import { writeFileAtomic } from '../atomic.js';
import { readRecords, table2, table2Csv, table2Markdown } from '../report/aggregate.js';
import { PROFILES, resolveProfile } from '../config.js';
import { command, examples, Option, run } from './command.js';

const cmd = command('aggregate', 'Table 2 from the run records of one profile: prints Markdown and writes <results>/table2-<profile>.{md,csv}.')
  .option('--results <dir>', 'results folder holding runs/', 'results')
  .addOption(new Option('--profile <name>', 'profile whose records are aggregated').choices(PROFILES).default('quick'))
  .option('--figure', 'also export the Table 2 figure as <results>/table2-<profile>.{svg,png} (headless Chromium)', false)
  .action(async (o: { results: string; profile: string; figure: boolean }) => {
    const records = readRecords(o.results, o.profile);
    if (!records.length) throw new Error(`no run records for profile '${o.profile}' under ${join(o.results, 'runs')}`);
    const seeds = resolveProfile(o.profile).seeds.length;
    const cells = table2(records, seeds);
    const md = table2Markdown(cells, seeds);
    for (const [ext, text] of [['md', md], ['csv', table2Csv(cells)]] as const) writeFileAtomic(join(o.results, `table2-${o.profile}.${ext}`), text);
    console.log(md);
    if (o.figure) console.log(await exportFigure(table2Figure(cells), join(o.results, `table2-${o.profile}`)));
  });
examples(cmd, ['npm run aggregate -- --profile quick', 'npm run aggregate -- --profile paper --figure', 'npm run aggregate -- --results /scratch/results --profile paper']);
await run(cmd);
