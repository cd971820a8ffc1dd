/**
 * Load benchmark in its own process: `tsx bench/data_load.ts <root> <name>` reads a full-sequence
 * folder dataset and prints one JSON line with the time and the peak RSS.
 */
import { readFolderDataset } from '../lib/data/readers.js';

const [root, name] = process.argv.slice(2);
const t0 = performance.now();
const ds = readFolderDataset(root, name, { checkCounts: false });
const seconds = (performance.now() - t0) / 1000;
const n = ds.train.seqs.length + ds.test.seqs.length;
console.log(JSON.stringify({ sequences: n, seconds, peakRssGB: process.resourceUsage().maxRSS / 2 ** 20 }));
