/// <reference lib="dom" />
/**
 * The browser page (web/): built with esbuild, served locally, driven in Debian's headless Chromium
 * (playwright-core, no browser download). Its scores equal `npm run predict` on the same model and
 * FASTA within 1e-4, on the page's own backend choice and on wasm; bad input shows its error.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildPage } from '../web/build.js';
import { serveStatic } from '../web/serve.js';
import { predict } from '../lib/cli/predict.js';
import { CnnClassifier, cnnConfig } from '../lib/models/cnn.js';
import { saveCnn } from '../lib/checkpoint/save.js';
import { selectBackend } from '../lib/backend.js';
import { seededRng } from '../lib/random.js';
import { randomDna, tempDir } from './helpers.js';

const CHROMIUM = process.env.DNABERT_CHROMIUM ?? '/usr/bin/chromium';
const BERT = new URL('./fixtures/bert/tiny/', import.meta.url).pathname;
const t = tempDir();
let browser: Browser;
let server: { url: string; close: () => Promise<void> };

/** Records of every kind the page meets: short, lower case, with N and IUPAC codes, and long ones (many windows). */
function writeFasta(path: string): void {
  const rng = seededRng(11);
  const recs = [
    ['short', randomDna(120, rng)],
    ['lower case', randomDna(300, rng).toLowerCase()],
    ['with_N', randomDna(200, rng) + 'NNNNRYK' + randomDna(150, rng)],
    ['long', randomDna(1900, rng)],
    ['long_gc', randomDna(1200, rng, 'GGCCAT')],
  ];
  writeFileSync(path, recs.map(([id, s]) => `>${id} description\n${s.match(/.{1,70}/g)!.join('\n')}\n`).join(''));
}

before(async () => {
  await selectBackend({ requested: 'cpu' });
  await saveCnn(CnnClassifier.random(cnnConfig(253), 3), join(t.path, 'cnn'), { trained_on: 'nothing (random weights)', seed: 3 });
  await buildPage(join(t.path, 'site'), [{ name: 'bert-tiny', dir: BERT }, { name: 'cnn', dir: join(t.path, 'cnn') }]);
  writeFasta(join(t.path, 'in.fa'));
  server = await serveStatic(join(t.path, 'site'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await server?.close();
  t.cleanup();
});

async function openPage(query = ''): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(server.url + query);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 60_000 });
  return page;
}

async function score(page: Page, fasta: string): Promise<{ state: string; tsv: string; error: string | null; backend: string }> {
  await page.fill('#fasta', fasta);
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 120_000 });
  return page.evaluate(() => {
    const s = (window as unknown as { dnabertPage: { scoresTsv: string; error: string | null; backend: string } }).dnabertPage;
    return { state: document.body.dataset.state!, tsv: s.scoresTsv, error: s.error, backend: s.backend };
  });
}

function rows(tsv: string): Record<string, string>[] {
  const [head, ...rest] = tsv.trim().split('\n');
  const cols = head.split('\t');
  return rest.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
}

/** The page's rows against npm run predict's: the same columns and records, probabilities within 1e-4. */
function assertSameScores(page: string, node: string, what: string): void {
  assert.equal(page.split('\n')[0], node.split('\n')[0], `${what}: the same columns`);
  const a = rows(page), b = rows(node);
  assert.equal(a.length, b.length);
  a.forEach((r, i) => {
    for (const c of ['id', 'length', 'windows']) assert.equal(r[c], b[i][c], `${what} ${r.id} ${c}`);
    for (const c of ['prob', 'prob_mean']) assert.ok(Math.abs(Number(r[c]) - Number(b[i][c])) <= 1e-4, `${what} ${r.id} ${c}: page ${r[c]}, node ${b[i][c]}`);
  });
}

for (const [label, query] of [["the page's backend", ''], ['wasm', '?backend=wasm']] as const) {
  test(`scores equal npm run predict within 1e-4 (${label}), both bundled models`, async () => {
    const fasta = readFileSync(join(t.path, 'in.fa'), 'utf8');
    const page = await openPage(query);
    try {
      const options = await page.$$eval('#model-select option', (os) => os.map((o) => o.textContent ?? ''));
      assert.deepEqual(options.slice(1).map((o) => o.split(':')[0]), ['bert-tiny', 'cnn']);
      for (const [i, name, dir] of [[0, 'bert-tiny', BERT], [1, 'cnn', join(t.path, 'cnn')]] as const) {
        await page.selectOption('#model-select', String(i));
        await page.waitForFunction((n) => document.getElementById('model-info')!.textContent!.includes(`models/${n}/`), name);
        const got = await score(page, fasta);
        assert.equal(got.state, 'done', got.error ?? '');
        if (query) assert.equal(got.backend, 'wasm');
        await predict({ model: dir, input: join(t.path, 'in.fa'), output: join(t.path, `${name}.tsv`), quiet: true });
        assertSameScores(got.tsv, readFileSync(join(t.path, `${name}.tsv`), 'utf8'), `${name} on ${got.backend}`);
        assert.ok(rows(got.tsv).some((r) => Number(r.windows) > 1), 'long records are scanned in windows');
        assert.equal(await page.isVisible('#track'), true);
      }
    } finally {
      await page.close();
    }
  });
}

test('bad input gets a clear message on the page: not FASTA, a non-DNA character, no records, not a model folder', async () => {
  const page = await openPage();
  try {
    const cases: [string, RegExp][] = [
      ['ACGT\n>x\nACGT\n', /line 1: sequence data before the first '>' header; is this a FASTA file\?/],
      ['>ok\nACGTACGT\n>bad\nACGTZACGT\n', /record 'bad' \(line 3\): invalid character "Z" at position 5; expected DNA bases or IUPAC codes/],
      ['\n\n', /has no records/],
    ];
    for (const [fasta, message] of cases) {
      const got = await score(page, fasta);
      assert.equal(got.state, 'error');
      assert.match(got.error!, message);
      assert.match((await page.textContent('#error'))!, message);
    }
    // files chosen from disk: a FASTA is not a model; the CNN's files are
    await page.setInputFiles('#model-files', [join(t.path, 'in.fa')]);
    await page.waitForFunction(() => document.body.dataset.state === 'error');
    assert.match((await page.textContent('#error'))!, /is not a saved model: it has no config\.json/);
    await page.setInputFiles('#model-files', ['config.json', 'model.safetensors'].map((f) => join(t.path, 'cnn', f)));
    await page.waitForFunction(() => document.getElementById('model-info')!.textContent!.startsWith('CNN'));
    assert.equal(existsSync(join(t.path, 'site', 'models.json')), true);
  } finally {
    await page.close();
  }
});
