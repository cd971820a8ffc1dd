/**
 * `npm run data -- list`                                   the registry, with where each dataset is found
 * `npm run data -- info <name | path> [--test-fraction F] [--seed N]`   classes, counts, lengths, GC
 * `npm run data -- download <name> [--root DIR] [--force]` fetch a dataset into the cache
 * `npm run data -- key <dataset…>`                         the name each dataset's results are filed under
 */
import { describeLengths, lengthReport } from '../data/windows.js';
import { kmerWindow } from '../models/tokenizer.js';
import { DATASETS, expectedTotal } from '../data/registry.js';
import { datasetKey, loadDataset } from '../data/load.js';
import { classStats, formatClassStats } from '../data/stats.js';
import { downloadDataset } from '../data/download.js';
import { locateDataset, PACKAGE_CACHE_ROOT } from '../data/readers.js';
import { bundledFor } from '../data/bundled.js';
import { command, examples, fraction, integer, run } from './command.js';

const cmd = command('data', 'Genomic Benchmarks datasets: list them, describe one, or download one.');

examples(
  cmd.command('list')
    .description('the nine datasets, their classes and sizes, and where each is found locally')
    .action(() => {
      for (const d of DATASETS) {
        const where = locateDataset(d.name);
        const bundled = bundledFor(d.name);
        const n = expectedTotal(d, 'train');
        console.log(
          `${d.paperOrder ? `[paper ${d.paperOrder}]` : '         '} ${d.name.padEnd(34)} classes ${d.classes.join('/')}` +
            `${n !== null ? `, train ${n}, test ${expectedTotal(d, 'test')}` : ''} — ${where ? `found in ${where}` : 'not downloaded'}` +
            (bundled ? `; bundled: ${bundled.path}` : ''),
        );
      }
    }),
  ['npm run data -- list'],
);

/** DNABERT's 512 positions of 6-mers: the longest sequence it takes whole. */
const DNABERT_WINDOW = kmerWindow(512, 6);

examples(
  cmd.command('info')
    .description('classes, counts per split and class, length and GC statistics of a dataset or table')
    .argument('<dataset>', 'registry name, dataset folder, or labelled table (.tsv/.csv[.gz])')
    .option('--test-fraction <f>', 'held-out test fraction when the dataset is a single table', fraction, 0.3)
    .option('--seed <n>', 'seed of that holdout', integer(0), 0)
    .option('--window <bp>', "the longest sequence a model takes whole: what it would keep of each split (DNABERT's 512 positions of 6-mers: 515 bp)", integer(1), DNABERT_WINDOW)
    .action((target: string, o: { testFraction: number; seed: number; window: number }) => {
      const ds = loadDataset(target, { testFraction: o.testFraction, holdoutSeed: o.seed });
      console.log(`${ds.name}: ${ds.source}\nsplit: ${ds.split}\nclasses (index = sorted position): ${ds.classes.map((c, i) => `${i}=${c}`).join(', ')}\n`);
      console.log(formatClassStats(`train (${ds.train.seqs.length} sequences)`, classStats(ds.train, ds.classes)) + '\n');
      console.log(formatClassStats(`test (${ds.test.seqs.length} sequences)`, classStats(ds.test, ds.classes)) + '\n');
      console.log(`a model taking ${o.window} bp whole (longer sequences: the first ${o.window} bp by default, or windows with data.long = 'windows'):`);
      for (const [split, s] of [['train', ds.train], ['test', ds.test]] as const) console.log(`  ${split}: ${describeLengths(lengthReport(s.seqs, o.window), o.window)}`);
    }),
  ['npm run data -- info human_nontata_promoters', 'npm run data -- info data/bundled/human_nontata_promoters.test-split.tsv.gz --test-fraction 0.3 --seed 0', 'npm run data -- info human_enhancers_ensembl --window 251'],
);

examples(
  cmd.command('download')
    .description('fetch a dataset from its Zenodo archive (DNABERT_DATA_URL overrides the address), check it, and move it into place')
    .argument('<dataset>', 'registry name')
    .option('--root <dir>', 'folder that will hold <dataset>/', PACKAGE_CACHE_ROOT)
    .option('--force', 'replace an existing copy', false)
    .action(async (target: string, o: { root: string; force: boolean }) => {
      const dir = await downloadDataset(target, { root: o.root, force: o.force });
      console.log(`${target} is ready in ${dir}`);
    }),
  ['npm run data -- download human_nontata_promoters', 'npm run data -- download demo_human_or_worm --root data'],
);

examples(
  cmd.command('key')
    .description('the name results are filed under (results/runs/<key>/) for each dataset given, one "<dataset><TAB><key>" line each')
    .argument('<dataset...>', 'registry names, dataset folders or labelled tables')
    .action((targets: string[]) => {
      for (const t of targets) console.log(`${t}\t${datasetKey(t)}`);
    }),
  ['npm run data -- key human_nontata_promoters data/bundled/human_nontata_promoters.test-split.tsv.gz'],
);

examples(cmd, ['npm run data -- list', 'npm run data -- info human_nontata_promoters', 'npm run data -- download human_nontata_promoters', 'npm run data -- info --help']);
await run(cmd);
