/**
 * Writes the generated inputs of the notebook smoke run: a labelled table (240 sequences of 80 bp,
 * class 1 GC-rich) and, when a second path is given, a small gzipped FASTA standing in for a genome
 * (3 records of random DNA with N gaps) for the pretraining notebook.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { seededRng } from '../../lib/random.js';
import { randomDna } from '../helpers.js';

const [out, genome] = process.argv.slice(2);
if (!out) throw new Error('usage: make_table.ts <out.tsv> [genome.fa.gz]');
const rng = seededRng(7);
const rows = ['seq\tlabel'];
for (let i = 0; i < 240; i++) rows.push(`${randomDna(80, rng, i % 2 ? 'GGCCAT' : 'AATTGC')}\t${i % 2}`);
writeFileSync(out, rows.join('\n') + '\n');
if (genome) {
  const records = [1, 2, 3].map((r) => {
    const seq = `${'N'.repeat(50)}${randomDna(3000, rng)}${'N'.repeat(20)}${randomDna(2000, rng)}`;
    return `>chr${r}\n${seq.match(/.{1,60}/g)!.join('\n')}\n`;
  });
  writeFileSync(genome, gzipSync(records.join('')));
}
