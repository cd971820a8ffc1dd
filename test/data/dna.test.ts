import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composition, decodeDna, encodeDna, gcFraction, reverseComplement } from '../../lib/data/dna.js';

test('encodeDna upper-cases and keeps one byte per base', () => {
  const table: [string, string][] = [
    ['ACGT', 'ACGT'],
    ['acgtn', 'ACGTN'],
    ['AcGtNnA', 'ACGTNNA'],
  ];
  for (const [input, want] of table) assert.equal(decodeDna(encodeDna(input, 'x')), want);
  assert.equal(encodeDna('ACGT', 'x').byteLength, 4);
});

test('encodeDna rejects other characters and empty sequences, naming the place', () => {
  assert.throws(() => encodeDna('ACGRT', 'f.tsv line 7'), /f\.tsv line 7: invalid character "R" at position 4.*IUPAC/);
  assert.throws(() => encodeDna('AC GT', 'rec1'), /rec1: invalid character " " at position 3/);
  assert.throws(() => encodeDna('ACGÅ', 'rec2'), /rec2: invalid character "Å"/);
  assert.throws(() => encodeDna('', 'f.tsv line 3'), /f\.tsv line 3: empty sequence/);
});

test('reverse complement on known values', () => {
  const table: [string, string][] = [
    ['A', 'T'],
    ['ACGT', 'ACGT'],
    ['AACGN', 'NCGTT'],
    ['GATTACA', 'TGTAATC'],
  ];
  for (const [input, want] of table) assert.equal(decodeDna(reverseComplement(encodeDna(input, 'x'))), want);
});

test('composition and GC fraction ignore N in the denominator', () => {
  assert.deepEqual(composition(encodeDna('GGCCAATTNN', 'x')), { length: 10, gc: 4, n: 2 });
  assert.equal(gcFraction(encodeDna('GGCCAATTNN', 'x')), 0.5);
  assert.ok(Number.isNaN(gcFraction(encodeDna('NNN', 'x'))));
});
