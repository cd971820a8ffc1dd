/** Writes the generated labelled table the notebook smoke run uses: 240 sequences of 80 bp, class 1 GC-rich. */
import { writeFileSync } from 'node:fs';
import { seededRng } from '../../lib/random.js';
import { randomDna } from '../helpers.js';

const out = process.argv[2];
if (!out) throw new Error('usage: make_table.ts <out.tsv>');
const rng = seededRng(7);
const rows = ['seq\tlabel'];
for (let i = 0; i < 240; i++) rows.push(`${randomDna(80, rng, i % 2 ? 'GGCCAT' : 'AATTGC')}\t${i % 2}`);
writeFileSync(out, rows.join('\n') + '\n');
