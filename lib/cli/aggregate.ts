/**
 * `npm run aggregate -- [--results DIR] [--profile quick]`
 * Table 2 from the run records: prints Markdown and writes `<results>/table2-<profile>.{md,csv}`.
 */
import { writeFileAtomic } from '../atomic.js';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readRecords, table2, table2Csv, table2Markdown } from '../aggregate.js';
import { resolveProfile } from '../config.js';

const { values } = parseArgs({ options: { results: { type: 'string', default: 'results' }, profile: { type: 'string', default: 'quick' } } });
const records = readRecords(values.results, values.profile);
if (!records.length) {
  console.error(`no run records for profile '${values.profile}' under ${join(values.results!, 'runs')}`);
  process.exitCode = 1;
} else {
  const seeds = resolveProfile(values.profile!).seeds.length;
  const cells = table2(records, seeds);
  const md = table2Markdown(cells, seeds);
  for (const [ext, text] of [['md', md], ['csv', table2Csv(cells)]] as const) {
    writeFileAtomic(join(values.results!, `table2-${values.profile}.${ext}`), text);
  }
  console.log(md);
}
