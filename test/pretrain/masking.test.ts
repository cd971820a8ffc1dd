import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskTokens, spanOffsets } from '../../lib/pretrain/masking.js';
import { tokenizeBatch, CLS_ID, MASK_ID, PAD_ID, SEP_ID, UNK_ID } from '../../lib/models/tokenizer.js';
import { encodeDna } from '../../lib/data/dna.js';
import { seededRng } from '../../lib/random.js';
import { randomDna } from '../helpers.js';

const OPTS = { k: 6, centreProbability: 0.025, vocabSize: 4101 };

function batch(n: number, len: (i: number) => number, seed = 1) {
  const rng = seededRng(seed);
  const seqs = Array.from({ length: n }, (_, i) => encodeDna(randomDna(len(i), rng), `s${i}`));
  const e = tokenizeBatch(seqs, { k: 6, maxLen: 128, attendToPadding: false });
  return { ids: e.ids, B: e.n, L: e.maxLen };
}

test('span offsets are DNABERT\'s MASK_LIST', () => {
  assert.deepEqual(spanOffsets(3), [-1, 1]);
  assert.deepEqual(spanOffsets(4), [-1, 1, 2]);
  assert.deepEqual(spanOffsets(5), [-2, -1, 1, 2]);
  assert.deepEqual(spanOffsets(6), [-2, -1, 1, 2, 3]);
});

test('about 15 % of tokens, in spans of k, never [CLS], [SEP], [PAD] or [UNK]; targets are the original ids', () => {
  const { ids, B, L } = batch(200, (i) => 60 + (i % 70)); // lengths 60..129 bp: padded rows
  const m = maskTokens(ids, B, L, OPTS, 7);
  const real = ids.filter((id) => id !== PAD_ID && id !== CLS_ID && id !== SEP_ID).length;
  const share = m.positions.length / real;
  assert.ok(share > 0.12 && share < 0.16, `masked share ${share}`);
  for (let j = 0; j < m.positions.length; j++) {
    const i = m.positions[j];
    assert.ok(![PAD_ID, CLS_ID, SEP_ID, UNK_ID].includes(ids[i]), `position ${i} holds special token ${ids[i]}`);
    assert.equal(m.targets[j], ids[i]);
    if (j > 0) assert.ok(i > m.positions[j - 1], 'positions ascend');
  }
  // every run of masked tokens that touches neither end of its row's k-mers is at least k long
  const isMasked = new Uint8Array(B * L);
  for (const i of m.positions) isMasked[i] = 1;
  for (let b = 0; b < B; b++) {
    const last = ids.subarray(b * L, (b + 1) * L).indexOf(SEP_ID) - 1;
    for (let t = 1; t <= last; ) {
      if (!isMasked[b * L + t]) { t++; continue; }
      let u = t;
      while (u + 1 <= last && isMasked[b * L + u + 1]) u++;
      if (t > 1 && u < last) assert.ok(u - t + 1 >= 6, `row ${b}: a masked run of ${u - t + 1} tokens at ${t}`);
      t = u + 1;
    }
  }
});

test('80 % [MASK], 10 % random, 10 % kept; outside the masked positions nothing changes', () => {
  const { ids, B, L } = batch(400, () => 129);
  const m = maskTokens(ids, B, L, OPTS, 3);
  let mask = 0, kept = 0;
  for (const i of m.positions) {
    if (m.inputs[i] === MASK_ID) mask++;
    else if (m.inputs[i] === ids[i]) kept++;
  }
  const n = m.positions.length;
  assert.ok(n > 5000);
  assert.ok(Math.abs(mask / n - 0.8) < 0.02, `[MASK] share ${mask / n}`);
  assert.ok(Math.abs(kept / n - 0.1) < 0.02, `kept share ${kept / n}`); // a random token equal to the original counts as kept (p ≈ 1/4101)
  const changed = new Set(m.positions);
  for (let i = 0; i < ids.length; i++) if (!changed.has(i)) assert.equal(m.inputs[i], ids[i]);
});

test('masks repeat with the seed and differ between seeds; a row of [UNK] alone masks nothing', () => {
  const { ids, B, L } = batch(8, () => 100);
  assert.deepEqual(maskTokens(ids, B, L, OPTS, 5), maskTokens(ids, B, L, OPTS, 5));
  assert.notDeepEqual(maskTokens(ids, B, L, OPTS, 5).positions, maskTokens(ids, B, L, OPTS, 6).positions);
  const unk = tokenizeBatch([encodeDna('N'.repeat(40), 'n')], { k: 6, maxLen: 40, attendToPadding: false });
  assert.equal(maskTokens(unk.ids, 1, 40, { ...OPTS, centreProbability: 0.9 }, 1).positions.length, 0);
  assert.throws(() => maskTokens(ids, B, L + 1, OPTS, 1), /ids for a 8 × 129 batch/);
});

test('a batch where no centre is drawn still masks one span, so its loss is defined', () => {
  const { ids, B, L } = batch(2, () => 30);
  const m = maskTokens(ids, B, L, { ...OPTS, centreProbability: 1e-9 }, 1);
  assert.ok(m.positions.length >= 3 && m.positions.length <= 6, `${m.positions.length} masked`);
  const rows = new Set(Array.from(m.positions, (i) => Math.floor(i / L)));
  assert.equal(rows.size, 1, 'one span, in one row');
});
