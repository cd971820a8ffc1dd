import { test } from 'node:test';
import assert from 'node:assert/strict';
import { permutation } from '../../lib/random.js';
import { stratifiedHoldout, validationSplit } from '../../lib/data/splits.js';
import { classCounts, type LabelledSequences } from '../../lib/data/dataset.js';
import { loadDataset, minRowsPerClass } from '../../lib/data/load.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';

function synthetic(n: number, positives: number): LabelledSequences {
  const ids = Array.from({ length: n }, (_, i) => `s${i}`);
  const seqs = ids.map(() => new Uint8Array([65]));
  const labels = Int32Array.from(ids, (_, i) => (i >= n - positives ? 1 : 0));
  return { ids, seqs, labels };
}

test('default validation split = last 20% of the seeded shuffle of train', () => {
  const train = synthetic(1000, 300);
  const v = validationSplit(train, { seed: 3 });
  assert.equal(v.valid.ids.length, 200);
  assert.equal(v.train.ids.length, 800);
  const perm = permutation(1000, 3);
  assert.deepEqual(v.valid.ids, Array.from(perm.subarray(800), (i) => `s${i}`));
  assert.match(v.description, /last 20% of seeded shuffle of train \(seed 3\)/);
});

test('splits are disjoint, cover the input, repeat with a seed and differ across seeds', () => {
  const train = synthetic(501, 123);
  for (const stratified of [false, true]) {
    const a = validationSplit(train, { seed: 11, stratified });
    const b = validationSplit(train, { seed: 11, stratified });
    const c = validationSplit(train, { seed: 12, stratified });
    assert.deepEqual(a.valid.ids, b.valid.ids);
    assert.notDeepEqual(a.valid.ids, c.valid.ids);
    const all = new Set([...a.train.ids, ...a.valid.ids]);
    assert.equal(all.size, 501);
    assert.equal(a.train.ids.length + a.valid.ids.length, 501);
  }
});

test('stratified validation keeps the class balance in both parts', () => {
  const train = synthetic(1000, 300);
  const v = validationSplit(train, { seed: 5, stratified: true, fraction: 0.1 });
  assert.deepEqual(classCounts(v.valid, 2), [70, 30]);
  assert.deepEqual(classCounts(v.train, 2), [630, 270]);
  // not in class blocks
  assert.ok(v.valid.labels.slice(0, 30).some((l) => l === 1));
});

test('stratified holdout of one labelled file', () => {
  const all = { ...synthetic(9034, 4915), classes: ['negative', 'positive'], source: 'table x.tsv', sha256: '0'.repeat(64) };
  const ds = stratifiedHoldout(all, { testFraction: 0.3, seed: 0, name: 'x' });
  assert.deepEqual(classCounts(ds.test, 2), [Math.round(4119 * 0.3), Math.round(4915 * 0.3)]);
  assert.equal(ds.train.ids.length + ds.test.ids.length, 9034);
  const trainIds = new Set(ds.train.ids);
  assert.ok(ds.test.ids.every((id) => !trainIds.has(id)));
  assert.deepEqual(stratifiedHoldout(all, { testFraction: 0.3, seed: 0, name: 'x' }).test.ids, ds.test.ids);
  assert.match(ds.split, /not the official split/);
  assert.throws(() => stratifiedHoldout(all, { testFraction: 1.2, seed: 0, name: 'x' }), /between 0 and 1/);
});

test('a table with one class, or too few rows of a class for the holdout and validation, is an error naming the file, the counts and the minimum', () => {
  const t = tempDir();
  try {
    const write = (name: string, rows: [string, string][]) => {
      const p = join(t.path, name);
      writeFileSync(p, ['seq\tlabel', ...rows.map((r) => r.join('\t'))].join('\n') + '\n');
      return p;
    };
    const seq = 'ACGTACGTACGTACGTACGT';
    assert.equal(minRowsPerClass(0.3), 3);
    assert.equal(minRowsPerClass(0.5), 4);
    const cases: [string, [string, string][], RegExp][] = [
      ['one-class.tsv', Array.from({ length: 50 }, () => [seq, 'negative']), /one-class\.tsv: one class only \(rows per class: negative: 50\); a classifier needs at least 2 classes, each with at least 3 rows for the 70\/30 train\/test holdout and the validation split/],
      ['one-row.tsv', [[seq, '1']], /one-row\.tsv: too few rows of class 0, 1 \(rows per class: 0: 0, 1: 1\); each class needs at least 3 rows/],
      ['short.tsv', [...Array.from({ length: 20 }, (): [string, string] => [seq, 'a']), [seq, 'b'], [seq, 'b']], /short\.tsv: too few rows of class b \(rows per class: a: 20, b: 2\); each class needs at least 3 rows .*Add rows, or drop the class/],
    ];
    for (const [name, rows, want] of cases) assert.throws(() => loadDataset(write(name, rows)), want, name);
    const ok = loadDataset(write('enough.tsv', [...Array.from({ length: 3 }, (): [string, string] => [seq, 'a']), ...Array.from({ length: 3 }, (): [string, string] => [seq, 'b'])]));
    assert.deepEqual([ok.train.seqs.length, ok.test.seqs.length], [4, 2]);
  } finally {
    t.cleanup();
  }
});
