/**
 * The pretraining engine against PyTorch (the micrograd pattern): the same pretraining run — the small
 * preset of test/fixtures/pretrain/export.ts, dropout off — replayed batch by batch through PyTorch's
 * BertForMaskedLM with torch.optim.AdamW and clip_grad_norm_ (torch_pretrain.py, `make fixtures`)
 * gave small.torch.json. Our engine, run again here from the same seed, must give validation MLM
 * losses within 1 % of PyTorch's at every validation (they agree to about 1e-7 on the native backend).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../lib/backend.js';
import { pretrain } from '../../lib/pretrain/pretrain.js';
import { PRESETS } from '../fixtures/pretrain/presets.js';
import { tempDir } from '../helpers.js';

const FIXTURES = new URL('../fixtures/pretrain/', import.meta.url).pathname;

test('60 pretraining steps: validation MLM losses within 1 % of PyTorch replaying the same batches', async () => {
  const torch = JSON.parse(readFileSync(join(FIXTURES, 'small.torch.json'), 'utf8')) as { curve: { step: number; validLoss: number; maskedAccuracy: number }[] };
  const backend = await selectBackend();
  const t = tempDir();
  try {
    const { config, overrides } = PRESETS.small;
    const { record } = await pretrain({ corpus: join(FIXTURES, 'corpus.fa'), config, overrides, out: join(t.path, 'm'), seed: 1, backend, quiet: true });
    const ours = record.training.history;
    assert.deepEqual(ours.map((h) => h.step), torch.curve.map((p) => p.step));
    ours.forEach((h, i) => {
      const ref = torch.curve[i].validLoss;
      assert.ok(Math.abs(h.validLoss - ref) / ref < 0.01, `step ${h.step}: ${h.validLoss} here, ${ref} in PyTorch (${backend.name})`);
    });
    assert.ok(ours[0].validLoss - ours[ours.length - 1].validLoss > 0.3, 'the curve moves, so the comparison says something');
  } finally {
    t.cleanup();
  }
});
