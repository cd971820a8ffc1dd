/**
 * `npm run aggregate -- [--results DIR] [--profile quick]`
 * Table 2 from the run records: prints Markdown and writes `<results>/table2-<profile>.{md,csv}`.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { readRecords, table2, table2Csv, table2Markdown } from '../aggregate.js';
import { PROFILES, resolveProfile } from '../config.js';
import { command, examples, Option, run } from './command.js';

const cmd = command('aggregate', 'Table 2 from the run records of one profile: prints Markdown and writes <results>/table2-<profile>.{md,csv}.')
  .option('--results <dir>', 'results folder holding runs/', 'results')
  .addOption(new Option('--profile <name>', 'profile whose records are aggregated').choices(PROFILES).default('quick'))
  .action((o: { results: string; profile: string }) => {
    const records = readRecords(o.results, o.profile);
    if (!records.length) throw new Error(`no run records for profile '${o.profile}' under ${join(o.results, 'runs')}`);
    const seeds = resolveProfile(o.profile).seeds.length;
    const cells = table2(records, seeds);
    const md = table2Markdown(cells, seeds);
    for (const [ext, text] of [['md', md], ['csv', table2Csv(cells)]] as const) writeFileAtomic(join(o.results, `table2-${o.profile}.${ext}`), text);
    console.log(md);
  });
examples(cmd, ['npm run aggregate -- --profile quick', 'npm run aggregate -- --results /scratch/results --profile paper']);
await run(cmd);
