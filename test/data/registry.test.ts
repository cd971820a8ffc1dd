import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATASETS, PAPER_DATASETS, expectedTotal, getDataset } from '../../lib/data/registry.js';

test('nine datasets, the paper five in Table 2 order', () => {
  assert.equal(DATASETS.length, 9);
  assert.deepEqual(PAPER_DATASETS.map((d) => d.name), [
    'human_nontata_promoters',
    'demo_human_or_worm',
    'human_enhancers_ensembl',
    'demo_coding_vs_intergenomic_seqs',
    'human_enhancers_cohn',
  ]);
});

test('class names are sorted, so label = sorted position', () => {
  for (const d of DATASETS) assert.deepEqual([...d.classes], [...d.classes].sort(), d.name);
  assert.deepEqual(getDataset('demo_human_or_worm').classes, ['human', 'worm']);
  assert.equal(getDataset('human_ensembl_regulatory').classes.length, 3);
});

test('official counts of the paper datasets', () => {
  const table: [string, number, number][] = [
    ['human_nontata_promoters', 27097, 9034],
    ['demo_human_or_worm', 75000, 25000],
    ['human_enhancers_ensembl', 123872, 30970],
    ['demo_coding_vs_intergenomic_seqs', 75000, 25000],
    ['human_enhancers_cohn', 20843, 6948],
  ];
  for (const [name, train, testN] of table) {
    assert.equal(expectedTotal(getDataset(name), 'train'), train, name);
    assert.equal(expectedTotal(getDataset(name), 'test'), testN, name);
  }
  assert.equal(getDataset('human_nontata_promoters').counts!.test.positive, 4915);
  assert.equal(expectedTotal(getDataset('human_ocr_ensembl'), 'train'), null);
});

test('an unknown dataset name lists the known ones', () => {
  assert.throws(() => getDataset('human_promoters'), /Unknown dataset 'human_promoters'.*human_nontata_promoters/);
});
