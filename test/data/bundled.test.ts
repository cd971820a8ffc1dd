/**
 * The bundled real data and how notebooks fall back to it: the table is intact (checksum, counts), a
 * registry name resolves to the official copy when present, else to a download, else to the bundled
 * holdout, labelled as such; results are filed under a name that never equals the official dataset's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUNDLED, bundledFor, bundledTablePath } from '../../lib/data/bundled.js';
import { datasetKey, resolveDataset } from '../../lib/data/load.js';
import { contentSha256, readTable } from '../../lib/data/readers.js';
import { classCounts } from '../../lib/data/dataset.js';
import { portablePath, projectRoot } from '../../lib/paths.js';
import { serve, tempDir, writeFolderDataset } from '../helpers.js';

const NONTATA = bundledFor('human_nontata_promoters')!;

const COHN = bundledFor('human_enhancers_cohn')!;

// Each bundled table: its checksum, the official test split's class counts and sequence length.
const TABLES = [
  { table: NONTATA, classes: ['negative', 'positive'], counts: [4119, 4915], length: 251 },
  { table: COHN, classes: ['negative', 'positive'], counts: [3474, 3474], length: 500 },
];

test('the bundled tables: recorded checksums, real sequences, the official test counts and lengths', () => {
  assert.deepEqual(BUNDLED.map((b) => b.dataset), ['human_nontata_promoters', 'human_enhancers_cohn']);
  for (const { table, classes, counts, length } of TABLES) {
    const path = bundledTablePath(table);
    const t = readTable(path);
    assert.equal(t.sha256, table.sha256);
    assert.equal(t.seqs.length, table.rows);
    assert.equal(counts.reduce((a, b) => a + b), table.rows);
    assert.deepEqual(t.classes, classes);
    assert.deepEqual(classCounts(t, 2), counts);
    assert.ok(t.seqs.every((s) => s.length === length), `${table.path}: every sequence ${length} bp`);
    assert.equal(t.source, `table ${table.path}`);
  }
});

test('a missing or modified bundled table is refused, naming the file and the remedy', () => {
  const t = tempDir();
  try {
    assert.throws(() => bundledTablePath(NONTATA, t.path), /data\/bundled\/human_nontata_promoters\.test-split\.tsv\.gz is missing from this checkout; restore it with `git checkout -- data\/bundled\//);
    const copy = join(t.path, NONTATA.path);
    mkdirSync(dirname(copy), { recursive: true });
    cpSync(bundledTablePath(NONTATA), copy);
    assert.equal(bundledTablePath(NONTATA, t.path), copy);
    writeFileSync(copy, gzipSync('seq\tlabel\nACGT\t0\n'));
    assert.throws(() => bundledTablePath(NONTATA, t.path), /sha256 [0-9a-f]{64} differs from the recorded e223768c.*the file was modified\. Restore it with `git checkout --/s);
  } finally {
    t.cleanup();
  }
});

test('table checksums are of the text: a gzipped and a plain copy agree', () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.path, 'a.tsv'), 'seq\tlabel\nACGT\t0\n');
    writeFileSync(join(t.path, 'a.tsv.gz'), gzipSync('seq\tlabel\nACGT\t0\n'));
    assert.equal(contentSha256(join(t.path, 'a.tsv')), contentSha256(join(t.path, 'a.tsv.gz')));
    assert.equal(contentSha256(join(t.path, 'a.tsv')), createHash('sha256').update('seq\tlabel\nACGT\t0\n').digest('hex'));
  } finally {
    t.cleanup();
  }
});

test('resolveDataset: the official copy when present, with no note', async () => {
  const t = tempDir();
  try {
    writeFolderDataset(t.path, 'dummy_mouse_enhancers_ensembl', { train: { negative: 3, positive: 3 }, test: { negative: 2, positive: 2 } });
    const r = await resolveDataset('dummy_mouse_enhancers_ensembl', { roots: [t.path], download: true, downloadUrl: 'http://127.0.0.1:9' });
    assert.equal(r.data, 'dummy_mouse_enhancers_ensembl');
    assert.equal(r.dataset?.split, 'official train/test');
    assert.deepEqual(r.notes, []);
    assert.match(r.dataset!.sha256, /^[0-9a-f]{64}$/);
  } finally {
    t.cleanup();
  }
});

test('resolveDataset: offline, a dataset with bundled data trains on its labelled holdout; one without says why', async () => {
  const t = tempDir();
  const srv = await serve((_path, res) => res.writeHead(404).end());
  try {
    const r = await resolveDataset('human_nontata_promoters', { roots: [t.path], download: true, downloadRoot: t.path, downloadUrl: srv.url, quiet: true });
    assert.equal(srv.requests.length, 1, 'the download was tried first');
    assert.equal(r.data, bundledTablePath(NONTATA));
    assert.equal(datasetKey(r.data!), 'human_nontata_promoters.test-split');
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0], /not available here \(Could not download dataset 'human_nontata_promoters' from .*HTTP 404/);
    assert.match(r.notes[0], /bundled data, the official test split .*data\/bundled\/human_nontata_promoters\.test-split\.tsv\.gz, sha256 e223768c9a84…\), split into a seeded, stratified train\/test holdout/);
    const ds = r.dataset!;
    assert.equal(ds.train.seqs.length + ds.test.seqs.length, 9034);
    assert.equal(ds.test.seqs.length, Math.round(4119 * 0.3) + Math.round(4915 * 0.3));
    assert.match(ds.split, /^seeded stratified holdout of table data\/bundled\/human_nontata_promoters\.test-split\.tsv\.gz \(sha256 e223768c9a84…\): 70% train \/ 30% test \(seed 0\); not the official split$/);

    const cohn = await resolveDataset('human_enhancers_cohn', { roots: [t.path], download: false });
    assert.equal(cohn.data, bundledTablePath(COHN));
    assert.equal(datasetKey(cohn.data!), 'human_enhancers_cohn.test-split', 'filed under the stand-in name, never the official one');
    assert.match(cohn.notes[0], /bundled data, the official test split of human_enhancers_cohn .*sha256 285b35941530…\), split into a seeded, stratified train\/test holdout/);
    assert.equal(cohn.dataset!.test.seqs.length, 2 * Math.round(3474 * 0.3));

    const none = await resolveDataset('demo_human_or_worm', { roots: [t.path], download: false });
    assert.equal(none.dataset, null);
    assert.equal(none.data, null);
    assert.match(none.problem!, /not available locally .*npm run data -- download demo_human_or_worm/);
  } finally {
    await srv.close();
    t.cleanup();
  }
});

test('results keys: a table is never filed under the official dataset name', () => {
  const t = tempDir();
  try {
    for (const f of ['human_nontata_promoters.tsv', 'human_nontata_promoters.test-split.tsv.gz', 'my_table.csv']) writeFileSync(join(t.path, f), 'seq\tlabel\n');
    assert.equal(datasetKey('human_nontata_promoters'), 'human_nontata_promoters');
    assert.equal(datasetKey(join(t.path, 'human_nontata_promoters.tsv')), 'human_nontata_promoters.table');
    assert.equal(datasetKey(join(t.path, 'human_nontata_promoters.test-split.tsv.gz')), 'human_nontata_promoters.test-split');
    assert.equal(datasetKey(join(t.path, 'my_table.csv')), 'my_table');
  } finally {
    t.cleanup();
  }
});

test('portable paths: project-relative, ~/ under the home folder, else the file name only', () => {
  const root = projectRoot();
  assert.equal(portablePath(join(root, 'data', 'bundled', 'x.tsv')), 'data/bundled/x.tsv');
  assert.equal(portablePath(root), '.');
  assert.equal(portablePath(join(homedir(), '.genomic_benchmarks', 'x')), '~/.genomic_benchmarks/x');
  assert.equal(portablePath('/somewhere/else/table.tsv'), 'table.tsv');
});
