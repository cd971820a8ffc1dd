/** The references of a masked-LM validation (lib/pretrain/references.ts) on hand-computed cases and on DNABERT's masking. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hiddenBases, kmerFrequencyNats, oracleNats, ReferenceTally } from '../../lib/pretrain/references.js';
import { maskTokens } from '../../lib/pretrain/masking.js';
import { CLS_ID, SEP_ID, UNK_ID, MASK_ID, tokenizeBatch } from '../../lib/models/tokenizer.js';
import { seededRng } from '../../lib/random.js';
import { randomDna } from '../helpers.js';

test('hidden bases by hand (k = 3): a span inside a row hides the base no neighbour covers; a span at the edge hides more; [UNK] shows nothing', () => {
  // [CLS] then 9 k-mer tokens (ids ≥ 5), [SEP]; token t covers bases t − 1 … t + 1
  const L = 11;
  const row = (unkAt = -1) => Int32Array.from({ length: L }, (_, t) => (t === 0 ? CLS_ID : t === L - 1 ? SEP_ID : t === unkAt ? UNK_ID : 5 + t));
  // masked 4, 5, 6: the unmasked tokens 1–3 cover bases 0–4, tokens 7–9 bases 6–10; base 5 is hidden
  assert.deepEqual(Array.from(hiddenBases(row(), Int32Array.of(4, 5, 6), 1, L, 3)), [1, 1, 1]);
  // masked 1, 2: token 3 covers bases 2–4, so token 1 (bases 0–2) hides 0 and 1, token 2 (bases 1–3) hides 1
  assert.deepEqual(Array.from(hiddenBases(row(), Int32Array.of(1, 2), 1, L, 3)), [2, 1]);
  // the same with token 3 an [UNK]: token 4 covers 3–5, so token 1 hides 0, 1, 2 and token 2 hides 1, 2
  assert.deepEqual(Array.from(hiddenBases(row(3), Int32Array.of(1, 2), 1, L, 3)), [3, 2]);
  // two rows: positions are flat b·L + t; the second row's span is its own
  const two = new Int32Array(2 * L);
  two.set(row(), 0);
  two.set(row(), L);
  assert.deepEqual(Array.from(hiddenBases(two, Int32Array.of(L + 4, L + 5, L + 6), 2, L, 3)), [1, 1, 1]);
  assert.equal(oracleNats(2), 2 * Math.log(4));
});

test('the k-mer frequency baseline: add-one smoothed −log frequencies of k-mer tokens, special tokens never counted', () => {
  // vocabulary of 8: 5 specials and the k-mers 5, 6, 7; counts 2, 1, 0 of 3 tokens
  const nats = kmerFrequencyNats([Int32Array.of(CLS_ID, 5, 5, MASK_ID), Int32Array.of(6, SEP_ID, UNK_ID)], 8);
  assert.equal(nats[CLS_ID], Infinity);
  assert.ok(Math.abs(nats[5] + Math.log(3 / 6)) < 1e-12);
  assert.ok(Math.abs(nats[6] + Math.log(2 / 6)) < 1e-12);
  assert.ok(Math.abs(nats[7] + Math.log(1 / 6)) < 1e-12);
});

test("DNABERT's masking (k = 6) on random DNA: most masked tokens hide one base, the oracle sits near ln 4, far below a uniform guess", () => {
  const rng = seededRng(3);
  const B = 8, maxLen = 248;
  const enc = tokenizeBatch(Array.from({ length: B }, () => randomDna(251, rng)), { k: 6, maxLen });
  const m = maskTokens(enc.ids, B, maxLen, { k: 6, centreProbability: 0.025, vocabSize: 4101 }, 11);
  const hidden = hiddenBases(enc.ids, m.positions, B, maxLen, 6);
  const ones = hidden.filter((h) => h === 1).length;
  assert.ok(ones / hidden.length > 0.6, `${ones} of ${hidden.length} masked tokens hide one base`);
  const tally = new ReferenceTally(new Float64Array(4101).fill(Math.log(4096)));
  tally.add(enc.ids, m.positions, m.targets, new Float32Array(m.positions.length).fill(1), B, maxLen, 6);
  const r = tally.metrics();
  const mean = hidden.reduce((a, h) => a + h, 0) / hidden.length;
  assert.ok(Math.abs(r.oracleLoss - mean * Math.log(4)) < 1e-9);
  assert.ok(r.oracleLoss > Math.log(4) * 0.99 && r.oracleLoss < 3, `oracle ${r.oracleLoss}`);
  assert.ok(Math.abs(r.frequencyLoss - Math.log(4096)) < 1e-9);
  assert.equal(r.maskedAccuracyHidden1, 1);
});
