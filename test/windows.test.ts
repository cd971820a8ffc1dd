/**
 * Sequences longer than the model (lib/data/windows.ts, the runner's data.long): the record says what
 * truncation cut, per split; with windows the model sees every base, and a signal that lies only in the
 * second half of 1,000-bp sequences is found by windows and missed by truncation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeLengths, lengthReport, meanOverWindows, windowed } from '../lib/data/windows.js';
import { runExperiment } from '../lib/training/runner.js';
import { readRecords, table2, table2Markdown } from '../lib/report/aggregate.js';
import { seededRng } from '../lib/random.js';
import { randomDna, tempDir } from './helpers.js';

test('length report, windows with their sequence, and the mean of window probabilities', () => {
  const r = lengthReport([{ length: 100 }, { length: 300 }, { length: 500 }], 250);
  assert.deepEqual(r, { sequences: 3, truncated: 2, longest: 500, bases: 900, basesDropped: 300, shareDropped: 300 / 900 });
  assert.equal(describeLengths(r, 250), '2 of 3 sequences longer than 250 bp (longest 500 bp): 33.3 % of bases beyond it');
  const s = { ids: ['a', 'b'], seqs: [new Uint8Array(10).fill(1), new Uint8Array(4).fill(2)], labels: Int32Array.from([1, 0]) };
  const { windows, of } = windowed(s, 4, 3);
  assert.deepEqual([...of], [0, 0, 0, 1], 'starts 0, 3, 6 (flush with the end) for the 10-bp sequence; the short one whole');
  assert.deepEqual([...windows.labels], [1, 1, 1, 0]);
  assert.deepEqual(windows.seqs.map((x) => x.length), [4, 4, 4, 4]);
  const probs = Float32Array.from([0.2, 0.8, 0.4, 0.6, 0.9, 0.1, 0.7, 0.3]);
  assert.deepEqual([...meanOverWindows(probs, 2, of, 2)].map((x) => +x.toFixed(4)), [0.5, 0.5, 0.7, 0.3]);
});

/** 1,000-bp sequences whose first half is random and whose second half is G/C (class 1) or A/T (class 0). */
function secondHalfSignal(path: string, n: number): void {
  const rng = seededRng(7);
  const rows = ['seq\tlabel'];
  for (let i = 0; i < n; i++) rows.push(`${randomDna(500, rng)}${randomDna(500, rng, i % 2 ? 'GC' : 'AT')}\t${i % 2}`);
  writeFileSync(path, rows.join('\n') + '\n');
}

test('a signal in the second half of 1,000-bp sequences: truncation is at chance and says what it cut; windows find it', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'long.tsv');
    secondHalfSignal(table, 200);
    const overrides = { dnabert: { evalEvery: 30, patience: 3, maxEpochs: 2 } };
    const run = (profile: string) => runExperiment({ dataset: table, model: 'dnabert-random', seed: 1, profile, overrides, resultsDir: t.path, quiet: true });
    const cut = (await run('smoke')).record;
    const lengths = cut.data!.lengths!;
    assert.equal(lengths.long, 'truncate');
    assert.equal(lengths.window, 64 - 2 + 6 - 1, "the smoke BERT's 64 positions of 6-mers");
    for (const split of ['train', 'valid', 'test'] as const) {
      assert.equal(lengths[split].truncated, lengths[split].sequences, `${split}: every sequence is longer than the model`);
      assert.ok(Math.abs(lengths[split].shareDropped - (1 - 67 / 1000)) < 1e-9, `${split}: ${lengths[split].shareDropped}`);
    }
    assert.ok(cut.warnings.some((w) => /^sequences longer than the model's 67 bp were cut to their first 67 bp \(the authors' truncation\), so the rest was never seen: train: 96 of 96 sequences .*93\.3 % of bases beyond it.*data\.long = 'windows'/.test(w)), cut.warnings.join('\n'));
    assert.ok(cut.test!.accuracy <= 0.7, `truncation sees only random bases: accuracy ${cut.test!.accuracy}`);

    const win = (await run('smoke-windows')).record;
    assert.equal(win.data!.lengths!.long, 'windows');
    assert.deepEqual(win.data!.sizes, cut.data!.sizes, 'the same sequences');
    assert.ok(win.data!.lengths!.windows!.test > 20 * win.data!.sizes.test, `${win.data!.lengths!.windows!.test} test windows`);
    assert.equal(win.test!.n, cut.test!.n, 'test metrics per sequence, not per window');
    assert.deepEqual(win.warnings, []);
    assert.ok(win.test!.accuracy >= 0.9, `windows see the second half: accuracy ${win.test!.accuracy}`);

    const md = table2Markdown(table2(readRecords(t.path, 'smoke'), 1), 1);
    assert.match(md, /\| long † \|/);
    assert.match(md, /- long †: sequences longer than a model were cut to their first bases \(the authors' truncation\): up to 93\.3 % of test bases unseen/);
    assert.doesNotMatch(table2Markdown(table2(readRecords(t.path, 'smoke-windows'), 1), 1), /†/);
  } finally {
    t.cleanup();
  }
});
