import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CLS_ID, PAD_ID, SEP_ID, UNK_ID, authorsMaxLen, kmerId, kmerVocab, tokenize, tokenizeBatch, vocabFileText } from '../lib/models/tokenizer.js';
import { encodeDna } from '../lib/data/dna.js';

test('the generated 6-mer vocab is byte-identical to DNABERT vocab.txt (sha256 pinned)', () => {
  const text = vocabFileText(6);
  assert.equal(text.split('\n').length - 1, 4101);
  assert.equal(createHash('sha256').update(text).digest('hex'), 'd8f61c247fc10f9b8c7f6baf4d31876f30076d4aaf9f31ff47b9e68badd62e61');
});

test('k-mer ids follow itertools.product("ATCG") order', () => {
  const table: [string, number][] = [
    ['AAAAAA', 5],
    ['AAAAAT', 6],
    ['AAAAAC', 7],
    ['AAAAAG', 8],
    ['ATGGAA', 501],
    ['GGGGGG', 4100],
    ['AAANAA', UNK_ID],
    ['atggaa', 501],
    ['AAA', 5],
    ['GGG', 5 + 63],
  ];
  for (const [kmer, id] of table) assert.equal(kmerId(kmer), id, kmer);
  for (const k of [3, 4, 5, 6]) {
    const v = kmerVocab(k);
    assert.equal(v.length, 5 + 4 ** k);
    for (const id of [5, 17, v.length - 1]) assert.equal(kmerId(v[id]), id);
  }
  assert.throws(() => kmerVocab(7), /3, 4, 5 or 6/);
});

test('a sequence becomes [CLS] k-mers [SEP] [PAD]…, with a mask over real tokens', () => {
  const b = tokenizeBatch([encodeDna('ATGGAAC', 'x')], { k: 6, maxLen: 6 });
  assert.deepEqual([...b.ids], [CLS_ID, 501, kmerId('TGGAAC'), SEP_ID, PAD_ID, PAD_ID]);
  assert.deepEqual([...b.mask], [1, 1, 1, 1, 0, 0]);
  assert.equal(b.lengths[0], 4);
  const paper = tokenizeBatch(['ATGGAAC'], { k: 6, maxLen: 6, attendToPadding: true });
  assert.deepEqual([...paper.ids], [...b.ids]);
  assert.deepEqual([...paper.mask], [1, 1, 1, 1, 1, 1]);
});

test('k-mers overlapping an N are [UNK]; lower case is accepted', () => {
  assert.deepEqual(tokenize('AAAAAANAAAAAAT', { k: 6, maxLen: 16 }), [
    '[CLS]', 'AAAAAA', '[UNK]', '[UNK]', '[UNK]', '[UNK]', '[UNK]', '[UNK]', 'AAAAAA', 'AAAAAT', '[SEP]',
  ]);
  assert.deepEqual(tokenize('atgGAA', { k: 6, maxLen: 8 }), ['[CLS]', 'ATGGAA', '[SEP]']);
});

test('truncation keeps the first maxLen − 2 k-mers; short sequences give [CLS][SEP]', () => {
  const seq = 'ACGTACGTACGTACGTACGT'; // 15 six-mers
  const b = tokenizeBatch([seq, 'ACG'], { k: 6, maxLen: 7 });
  assert.deepEqual(Array.from(b.ids.subarray(0, 7)), [CLS_ID, ...[0, 1, 2, 3, 4].map((i) => kmerId(seq.slice(i, i + 6))), SEP_ID]);
  assert.deepEqual(Array.from(b.mask.subarray(0, 7)), [1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(b.ids.subarray(7)), [CLS_ID, SEP_ID, PAD_ID, PAD_ID, PAD_ID, PAD_ID, PAD_ID]);
});

test("the authors' maxLen is the longest training sequence, capped at 512", () => {
  assert.equal(authorsMaxLen([{ length: 251 }, { length: 200 }]), 251);
  assert.equal(authorsMaxLen([{ length: 573 }]), 512);
});
