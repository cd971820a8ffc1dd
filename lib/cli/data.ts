/**
 * `npm run data -- info <dataset name | path> [--test-fraction 0.3] [--seed 0]`
 *   classes, counts per split and class, length and GC statistics.
 * `npm run data -- download <name> [--root DIR] [--force]`
 *   fetch a Genomic Benchmarks dataset into the cache (default ~/.genomic_benchmarks).
 * `npm run data -- list`
 *   the registry, with where each dataset is found locally.
 */
import { parseArgs } from 'node:util';
import { DATASETS, expectedTotal } from '../data/registry.js';
import { loadDataset } from '../data/load.js';
import { classStats, formatClassStats } from '../data/stats.js';
import { downloadDataset } from '../data/download.js';
import { locateDataset } from '../data/readers.js';

const USAGE = `usage:
  npm run data -- list
  npm run data -- info <dataset name | path> [--test-fraction F] [--seed N]
  npm run data -- download <dataset name> [--root DIR] [--force]`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    root: { type: 'string' },
    force: { type: 'boolean', default: false },
    'test-fraction': { type: 'string' },
    seed: { type: 'string' },
  },
});
const [command, target] = positionals;

try {
  if (command === 'list') {
    for (const d of DATASETS) {
      const where = locateDataset(d.name);
      const n = expectedTotal(d, 'train');
      console.log(
        `${d.paperOrder ? `[paper ${d.paperOrder}]` : '         '} ${d.name.padEnd(34)} classes ${d.classes.join('/')}` +
          `${n !== null ? `, train ${n}, test ${expectedTotal(d, 'test')}` : ''} — ${where ? `found in ${where}` : 'not downloaded'}`,
      );
    }
  } else if (command === 'info' && target) {
    const ds = loadDataset(target, {
      testFraction: values['test-fraction'] ? Number(values['test-fraction']) : undefined,
      holdoutSeed: values.seed ? Number(values.seed) : undefined,
    });
    console.log(`${ds.name}: ${ds.source}\nsplit: ${ds.split}\nclasses (index = sorted position): ${ds.classes.map((c, i) => `${i}=${c}`).join(', ')}\n`);
    console.log(formatClassStats(`train (${ds.train.seqs.length} sequences)`, classStats(ds.train, ds.classes)) + '\n');
    console.log(formatClassStats(`test (${ds.test.seqs.length} sequences)`, classStats(ds.test, ds.classes)));
  } else if (command === 'download' && target) {
    const dir = await downloadDataset(target, { root: values.root, force: values.force });
    console.log(`${target} is ready in ${dir}`);
  } else {
    console.error(USAGE);
    process.exitCode = 2;
  }
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
}
