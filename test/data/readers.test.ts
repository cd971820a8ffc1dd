import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { decodeDna } from '../../lib/data/dna.js';
import { intervalsToSequences, readFolderDataset, readIntervalDataset, readIntervals, readTable } from '../../lib/data/readers.js';
import { loadDataset, DatasetUnavailableError } from '../../lib/data/load.js';
import { classStats } from '../../lib/data/stats.js';
import { tempDir, writeFolderDataset } from '../helpers.js';

const REF = new URL('../fixtures/reference/', import.meta.url).pathname;

test('folder layout: classes in sorted order, labels by class folder, ids from file names', () => {
  const t = tempDir();
  try {
    writeFolderDataset(t.path, 'my_set', { train: { zeta: 3, alpha: 2 }, test: { zeta: 1, alpha: 1 } }, (i) => 20 + i);
    const ds = readFolderDataset(t.path, 'my_set');
    assert.deepEqual(ds.classes, ['alpha', 'zeta']);
    assert.equal(ds.train.seqs.length, 5);
    assert.deepEqual([...ds.train.labels], [0, 0, 1, 1, 1]);
    assert.deepEqual(ds.train.ids.slice(0, 2), ['train/alpha/0', 'train/alpha/1']);
    assert.equal(ds.test.seqs.length, 2);
    assert.equal(decodeDna(ds.train.seqs[0]), readFileSync(join(t.path, 'my_set/train/alpha/0.txt'), 'utf8'));
  } finally {
    t.cleanup();
  }
});

test('folder layout errors: counts against the registry, missing class folder, bad base, missing split', () => {
  const t = tempDir();
  try {
    writeFolderDataset(t.path, 'human_enhancers_cohn', { train: { negative: 2, positive: 2 }, test: { negative: 1, positive: 1 } });
    assert.throws(() => readFolderDataset(t.path, 'human_enhancers_cohn'), /2 sequences, but the official human_enhancers_cohn train split has 10422 in class 'negative'/);
    const relaxed = readFolderDataset(t.path, 'human_enhancers_cohn', { checkCounts: false });
    assert.equal(relaxed.train.seqs.length, 4);

    rmSync(join(t.path, 'human_enhancers_cohn/test/positive'), { recursive: true });
    assert.throws(() => readFolderDataset(t.path, 'human_enhancers_cohn', { checkCounts: false }), /test: class folders \["negative"\].*missing positive/);

    writeFolderDataset(t.path, 'other', { train: { a: 1, b: 1 }, test: { a: 1, b: 1 } });
    writeFileSync(join(t.path, 'other/train/b/0.txt'), 'ACGTXACGT');
    assert.throws(() => readFolderDataset(t.path, 'other'), /other\/train\/b\/0\.txt: invalid character "X" at position 5/);
    rmSync(join(t.path, 'other/test'), { recursive: true });
    assert.throws(() => readFolderDataset(t.path, 'other'), /missing 'test' folder/);
  } finally {
    t.cleanup();
  }
});

test('table reader: TSV with integer labels takes class names from the registry by file name', () => {
  const t = tempDir();
  try {
    const p = join(t.path, 'human_nontata_promoters.sample.tsv');
    writeFileSync(p, 'seq\tlabel\nacgtacgt\t0\nGGGGCCCC\t1\nAAAANTTT\t1\n');
    const tab = readTable(p);
    assert.deepEqual(tab.classes, ['negative', 'positive']);
    assert.deepEqual([...tab.labels], [0, 1, 1]);
    assert.equal(decodeDna(tab.seqs[0]), 'ACGTACGT');
    assert.deepEqual(tab.ids, ['human_nontata_promoters.sample.tsv:2', 'human_nontata_promoters.sample.tsv:3', 'human_nontata_promoters.sample.tsv:4']);
  } finally {
    t.cleanup();
  }
});

test('table reader: gzipped CSV with string labels and ids; classes sorted', () => {
  const t = tempDir();
  try {
    const p = join(t.path, 'x.csv.gz');
    writeFileSync(p, gzipSync('id,sequence,class\nr1,ACGT,worm\nr2,CCGG,human\nr3,TTTT,worm\n'));
    const tab = readTable(p);
    assert.deepEqual(tab.classes, ['human', 'worm']);
    assert.deepEqual([...tab.labels], [1, 0, 1]);
    assert.deepEqual(tab.ids, ['r1', 'r2', 'r3']);
  } finally {
    t.cleanup();
  }
});

test('table reader errors name the file and line', () => {
  const t = tempDir();
  try {
    const cases: [string, string, RegExp][] = [
      ['nolabel.tsv', 'seq\tfoo\nACGT\t1\n', /cannot find the label column among \["seq","foo"\]/],
      ['noseq.tsv', 'dna_seq\tlabel\nACGT\t1\n', /cannot find the sequence column/],
      ['empty.tsv', 'seq\tlabel\nACGT\t0\n\t1\n', /empty\.tsv line 3: empty sequence/],
      ['badbase.tsv', 'seq\tlabel\nACGT\t0\nACGU\t1\n', /badbase\.tsv line 3: invalid character "U" at position 4/],
      ['emptylabel.tsv', 'seq\tlabel\nACGT\t0\nACGT\t\n', /emptylabel\.tsv line 3: empty label/],
      ['dupid.csv', 'id,seq,label\na,ACGT,0\na,ACGT,1\n', /duplicate sequence id 'a'/],
      ['ragged.tsv', 'seq\tlabel\nACGT\t0\textra\n', /ragged\.tsv line 2: Too many fields/],
    ];
    for (const [file, body, err] of cases) {
      const p = join(t.path, file);
      writeFileSync(p, body);
      assert.throws(() => readTable(p), err, file);
    }
    const p = join(t.path, 'labels.tsv');
    writeFileSync(p, 'seq\tlabel\nACGT\tcat\nACGT\tdog\n');
    assert.throws(() => readTable(p, { classNames: ['cat', 'cow'] }), /unknown label\(s\) dog; expected one of cat, cow/);
    writeFileSync(p, 'seq\tlabel\nACGT\t0\nACGT\t2\n');
    assert.throws(() => readTable(p, { classNames: ['a', 'b'] }), /label 2 found, but only 2 class names are known/);
    assert.throws(() => readTable(join(t.path, 'missing.tsv')), /Table not found/);
  } finally {
    t.cleanup();
  }
});

test('loc2seq: intervals from plain, gzip and bgzip references match the expected sequences on both strands', async () => {
  const expected = JSON.parse(readFileSync(join(REF, 'expected.json'), 'utf8')) as { id: string; seq: string; strand: string }[];
  const ivs = readIntervals(join(REF, 'intervals.csv'));
  assert.deepEqual(ivs.map((i) => i.strand), expected.map((e) => e.strand));
  assert.ok(expected.some((e) => e.strand === '-'));
  for (const fasta of ['genome.fa', 'genome.plain.fa.gz', 'genome.bgz.fa.gz']) {
    const seqs = await intervalsToSequences(ivs, join(REF, fasta), 'intervals.csv');
    assert.deepEqual(seqs.map(decodeDna), expected.map((e) => e.seq), fasta);
  }
});

test('loc2seq errors: unknown region, interval past the end, bad strand and coordinates', async () => {
  const fa = join(REF, 'genome.fa');
  await assert.rejects(intervalsToSequences([{ id: 'q', region: 'chr9', start: 0, end: 5, strand: '+' }], fa, 'l.csv'), /interval 'q' is on 'chr9'/);
  await assert.rejects(intervalsToSequences([{ id: 'q', region: 'chrM', start: 1490, end: 1510, strand: '+' }], fa, 'l.csv'), /ends at 1510, past the end of 'chrM' \(1500 bp\)/);
  const t = tempDir();
  try {
    const p = join(t.path, 'bad.csv');
    writeFileSync(p, 'id,region,start,end,strand\na,chr1,5,3,+\n');
    assert.throws(() => readIntervals(p), /bad\.csv line 2: bad coordinates start=5 end=3/);
    writeFileSync(p, 'id,region,start,end,strand\na,chr1,1,3,*\n');
    assert.throws(() => readIntervals(p), /bad\.csv line 2: strand must be/);
    writeFileSync(p, 'id,chrom,start,end,strand\n');
    assert.throws(() => readIntervals(p), /missing column\(s\) region/);
  } finally {
    t.cleanup();
  }
});

test('interval-list dataset layout read with a reference FASTA', async () => {
  const t = tempDir();
  try {
    const body = readFileSync(join(REF, 'intervals.csv'), 'utf8').split('\n');
    for (const split of ['train', 'test']) {
      mkdirSync(join(t.path, 'toy', split), { recursive: true });
      writeFileSync(join(t.path, 'toy', split, 'positive.csv.gz'), gzipSync([body[0], body[1], body[2]].join('\n') + '\n'));
      writeFileSync(join(t.path, 'toy', split, 'negative.csv.gz'), gzipSync([body[0], body[3], body[4], body[5]].join('\n') + '\n'));
    }
    const ds = await readIntervalDataset(join(t.path, 'toy'), join(REF, 'genome.bgz.fa.gz'));
    assert.deepEqual(ds.classes, ['negative', 'positive']);
    assert.equal(ds.train.seqs.length, 5);
    assert.deepEqual([...ds.train.labels], [0, 0, 0, 1, 1]);
    assert.deepEqual(ds.train.ids[3], 'train/positive/iv1');
  } finally {
    t.cleanup();
  }
});

test('loadDataset: a table becomes a recorded stratified holdout; a missing dataset says how to get it', () => {
  const t = tempDir();
  try {
    const p = join(t.path, 'demo.tsv');
    const rows = ['seq\tlabel'];
    for (let i = 0; i < 100; i++) rows.push(i < 40 ? 'GGCCGGCC\t0' : 'ACGTACGT\t1');
    writeFileSync(p, rows.join('\n') + '\n');
    const ds = loadDataset(p, { testFraction: 0.3, holdoutSeed: 7 });
    assert.equal(ds.train.seqs.length + ds.test.seqs.length, 100);
    assert.equal(ds.test.seqs.length, 30);
    assert.match(ds.split, /stratified holdout.*70% train \/ 30% test \(seed 7\); not the official split/);
    const stats = classStats(ds.test, ds.classes);
    assert.deepEqual(stats.map((s) => s.count), [12, 18]);
    assert.equal(stats[0].gcMean, 1);
    assert.throws(() => loadDataset('human_enhancers_cohn', { roots: [t.path] }), (e: unknown) => e instanceof DatasetUnavailableError && /npm run data -- download human_enhancers_cohn/.test((e as Error).message));
    assert.throws(() => loadDataset(join(t.path, 'nope.tsv')), /neither a known dataset name nor an existing path/);
  } finally {
    t.cleanup();
  }
});
