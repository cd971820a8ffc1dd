/**
 * The committed results travel: no file under results/ names an absolute path of the machine that made
 * it, and every finished run record names its data by portable path and content checksum.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readRecords } from '../lib/report/aggregate.js';

/** An absolute file path (/a/b…), not part of a URL, a relative path or a fraction like "70% / 30%". */
const ABSOLUTE = /(?<![\w:/.~-])\/(?:[\w.+@-]+\/)+[\w.+@-]+/;
const IGNORED = new Set(['executed', 'html', 'checkpoints', 'models']); // not committed (see .gitignore)

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return IGNORED.has(e) ? [] : files(p);
    return /\.(md|csv|json|svg)$/.test(e) ? [p] : [];
  });
}

test('the path pattern finds absolute paths and nothing else', () => {
  for (const s of ['table /work/shared/data/x.tsv', '(looked in /root/.cache/models)', '"/tmp/a/b.json"']) assert.match(s, ABSOLUTE);
  for (const s of ['https://zenodo.org/records/1/files', 'data/bundled/x.tsv.gz', '~/.cache/dnabert-ts', '70% train / 30% test', 'train/test']) assert.doesNotMatch(s, ABSOLUTE);
});

test('no committed result names an absolute path', () => {
  const all = files('results');
  assert.ok(all.length > 0);
  for (const f of all) {
    const m = readFileSync(f, 'utf8').match(ABSOLUTE);
    assert.equal(m, null, `${f} contains the absolute path ${m?.[0]}`);
  }
});

test('every finished run record names its data by portable path and sha256', () => {
  for (const r of readRecords('results').filter((x) => x.status === 'done')) {
    const where = `results/runs/${r.dataset}/${r.profile}/${r.model}/seed-${r.seed}.json`;
    assert.match(r.data?.sha256 ?? '', /^[0-9a-f]{64}$/, `${where}: data.sha256`);
    assert.ok(r.data!.split.includes(r.data!.sha256!.slice(0, 12)) || r.data!.split === 'official train/test', `${where}: the split names the checksum`);
  }
});
