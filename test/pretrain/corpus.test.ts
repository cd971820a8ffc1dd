import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describeCorpus, holdOutByPosition, readCorpus, sampleWindows, stretchesOf, tileWindows, type Stretch } from '../../lib/pretrain/corpus.js';
import { loadDataset } from '../../lib/data/load.js';
import { decodeDna } from '../../lib/data/dna.js';
import { seededRng } from '../../lib/random.js';
import { randomDna, tempDir, writeFolderDataset } from '../helpers.js';

const text = (u: Uint8Array) => decodeDna(u);

test('N-free stretches: N and IUPAC letters end a stretch, lower case is upper-cased, short runs are dropped, other characters are errors', () => {
  const out: Stretch[] = [];
  stretchesOf('chr1', 'acgtACGTNNACGRTTTTTTTT', 4, out);
  assert.deepEqual(out.map((s) => [s.start, text(s.seq)]), [[0, 'ACGTACGT'], [14, 'TTTTTTTT']]);
  assert.throws(() => stretchesOf('chr2', 'ACGT-ACGT', 2, []), /chr2: character '-' at position 5 is not a base/);
});

test('the validation part is the last share of the bases, cut by position: no window can overlap both parts', () => {
  const rng = seededRng(1);
  const seq = randomDna(10_000, rng);
  const stretches: Stretch[] = [];
  stretchesOf('r', seq.slice(0, 3000) + 'N'.repeat(50) + seq.slice(3050), 100, stretches);
  const { train, valid } = holdOutByPosition(stretches, 0.1, 100);
  const sum = (ss: Stretch[]) => ss.reduce((a, s) => a + s.seq.length, 0);
  assert.equal(sum(valid), Math.round(0.1 * 9950));
  assert.equal(sum(train) + sum(valid), 9950);
  const lastTrain = train[train.length - 1];
  assert.equal(lastTrain.start + lastTrain.seq.length, valid[0].start, 'the straddling stretch is cut at the boundary');
  for (const w of sampleWindows(train, 100, 500, 3)) assert.ok(seq.indexOf(text(w)) + 100 <= valid[0].start);
  for (const w of tileWindows(valid, 100, 1000)) assert.ok(seq.indexOf(text(w)) >= valid[0].start);
});

test('windows: seeded samples inside the stretches; tiles do not overlap and are spread when capped', () => {
  const stretches: Stretch[] = [];
  stretchesOf('r', randomDna(1000, seededRng(2)) + 'N' + randomDna(300, seededRng(3)), 50, stretches);
  const a = sampleWindows(stretches, 50, 2000, 9);
  assert.deepEqual(a.map(text), sampleWindows(stretches, 50, 2000, 9).map(text));
  assert.notDeepEqual(a.slice(0, 20).map(text), sampleWindows(stretches, 50, 20, 10).map(text));
  assert.ok(a.every((w) => w.length === 50 && !text(w).includes('N')));
  const inSecond = a.filter((w) => w.buffer === stretches[1].seq.buffer && w.byteOffset >= stretches[1].seq.byteOffset).length;
  assert.ok(Math.abs(inSecond / 2000 - 251 / (951 + 251)) < 0.04, `share from the second stretch ${inSecond / 2000}`);
  const tiles = tileWindows(stretches, 50, 1000);
  assert.equal(tiles.length, 20 + 6);
  assert.equal(tileWindows(stretches, 50, 5).length, 5);
});

test('a FASTA corpus: gzip, many records, checksum of the content; too short a corpus says why', async () => {
  const t = tempDir();
  try {
    const rng = seededRng(4);
    const fa = `>a desc\n${randomDna(400, rng)}\nNNNN${randomDna(100, rng)}\n>b\n${randomDna(600, rng).toLowerCase()}\n`;
    writeFileSync(join(t.path, 'g.fa.gz'), gzipSync(fa));
    writeFileSync(join(t.path, 'g.fa'), fa);
    const c = await readCorpus(join(t.path, 'g.fa.gz'), { window: 120, validFraction: 0.2 });
    assert.equal(c.kind, 'fasta');
    assert.equal(c.records, 2);
    assert.equal(c.bases, 1104);
    assert.equal(c.usableBases, 1000, 'the 100 bp after the Ns are shorter than a window');
    assert.equal(c.sha256, (await readCorpus(join(t.path, 'g.fa'), { window: 120, validFraction: 0.2 })).sha256);
    assert.equal(c.source, 'FASTA g.fa.gz');
    assert.match(describeCorpus(c), /^FASTA g\.fa\.gz: 2 record\(s\), 1,104 bp, 1,000 bp \(90\.6%\) in N-free stretches ≥ 120 bp; training 800 bp, validation 200 bp \(held out by position\)$/);
    await assert.rejects(readCorpus(join(t.path, 'g.fa'), { window: 2000, validFraction: 0.2 }), /no N-free stretch of 2000 bp or more/);
  } finally {
    t.cleanup();
  }
});

test('a table corpus is the training part of the fine-tuning holdout; a dataset gives its train split; a test split is refused', async () => {
  const t = tempDir();
  try {
    const rng = seededRng(5);
    const rows = ['seq\tlabel', ...Array.from({ length: 200 }, (_, i) => `${randomDna(80, rng)}\t${i % 2}`)];
    const table = join(t.path, 'task.tsv');
    writeFileSync(table, rows.join('\n') + '\n');
    const c = await readCorpus(table, { window: 80, validFraction: 0.1, testFraction: 0.3, holdoutSeed: 0 });
    assert.equal(c.kind, 'table');
    assert.equal(c.records, 140);
    assert.match(c.source, /^training part of table task\.tsv \(70% train \/ 30% test \(seed 0\); not the official split\); labels ignored$/);
    const heldOut = new Set(loadDataset(table, { testFraction: 0.3, holdoutSeed: 0 }).test.seqs.map(text));
    const seen = [...c.train, ...c.valid].map((s) => text(s.seq));
    assert.equal(seen.length, 140);
    assert.ok(seen.every((s) => !heldOut.has(s)), 'no held-out test sequence in the corpus');

    writeFolderDataset(t.path, 'my_ds', { train: { a: 6, b: 6 }, test: { a: 3, b: 3 } }, () => 90);
    const d = await readCorpus(join(t.path, 'my_ds'), { window: 90, validFraction: 0.25 });
    assert.equal(d.kind, 'dataset');
    assert.equal(d.records, 12);
    assert.deepEqual([d.train.length, d.valid.length], [9, 3]);
    await assert.rejects(readCorpus(join(t.path, 'my_ds', 'test'), { window: 90, validFraction: 0.25 }), /is a test split: it cannot be a pretraining corpus/);
    mkdirSync(join(t.path, 'x'));
    await assert.rejects(readCorpus(join(t.path, 'notes.md'), { window: 90, validFraction: 0.25 }), /neither a FASTA file/);
  } finally {
    t.cleanup();
  }
});
