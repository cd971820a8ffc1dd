/**
 * `make reproduce`: the main job. It runs every stage that exists in this build and names the
 * stages that do not exist yet, so nothing is faked:
 *
 *   1. the compute backend that would run the models;
 *   2. the paper's five datasets: found locally (with their statistics) or unavailable, with the reason;
 *   3. training and the notebooks: not part of this build yet.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describeBackend, selectBackend } from '../backend.js';
import { PAPER_DATASETS } from '../data/registry.js';
import { loadDataset, DatasetUnavailableError } from '../data/load.js';
import { classStats, formatClassStats } from '../data/stats.js';

const info = await selectBackend();
console.log(`[1/3] ${describeBackend(info)}`);
for (const s of info.skipped) console.log(`      skipped ${s.name}: ${s.reason}`);

console.log('[2/3] datasets of the paper (Table 2 order)');
let available = 0;
for (const spec of PAPER_DATASETS) {
  try {
    const ds = loadDataset(spec.name);
    available++;
    console.log(`  ${spec.name}: ${ds.source}`);
    console.log(formatClassStats('    train', classStats(ds.train, ds.classes)).replace(/\n/g, '\n    '));
  } catch (e) {
    if (!(e instanceof DatasetUnavailableError)) throw e;
    console.log(`  ${spec.name}: unavailable — ${e.message}`);
  }
}
console.log(`  ${available} of ${PAPER_DATASETS.length} datasets available locally.`);

const notebooks = existsSync('notebooks') ? readdirSync('notebooks').filter((f) => f.endsWith('.ipynb')) : [];
console.log(
  `[3/3] training runs and notebooks: ${notebooks.length ? notebooks.join(', ') : 'not part of this build yet'}; ` +
    'no results were produced, and none are reported.',
);
