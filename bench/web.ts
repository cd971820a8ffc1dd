/**
 * Scanning throughput of the browser page in headless Chromium: `tsx bench/web.ts <kb>` builds the page
 * with randomly initialised models (the CNN and the small BERT of bench/scan.ts), then for each model
 * and each of the wasm and webgl backends scores a generated FASTA of <kb> kilobases (full-length
 * windows, stride half a window, as npm run predict) and prints one JSON line per measurement.
 */
/// <reference lib="dom" />
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildPage } from '../web/build.js';
import { serveStatic } from '../web/serve.js';
import { BertClassifier, SMALL_CONFIG } from '../lib/models/dnabert.js';
import { CnnClassifier, cnnConfig } from '../lib/models/cnn.js';
import { saveCheckpoint } from '../lib/checkpoint/hf.js';
import { saveCnn } from '../lib/checkpoint/save.js';
import { selectBackend } from '../lib/backend.js';
import { seededRng } from '../lib/random.js';
import { randomDna } from '../test/helpers.js';

const kb = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'dnabert-web-bench-'));
await selectBackend({ requested: 'cpu' });
await saveCnn(CnnClassifier.random(cnnConfig(253), 1), join(dir, 'cnn'));
await saveCheckpoint(BertClassifier.random(SMALL_CONFIG, 1), join(dir, 'bert-small'));
const rng = seededRng(3);
const fasta = Array.from({ length: Math.max(1, Math.round(kb / 10)) }, (_, i) => `>chr${i}\n${randomDna(10_000, rng)}\n`).join('');
const browser = await chromium.launch({ executablePath: process.env.DNABERT_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const servers: { close: () => Promise<void> }[] = [];
try {
  for (const workload of ['cnn', 'bert-small']) {
    // one page per model: it loads its only bundled model on start
    await buildPage(join(dir, `site-${workload}`), [{ name: workload, dir: join(dir, workload) }]);
    const server = await serveStatic(join(dir, `site-${workload}`));
    servers.push(server);
    for (const backend of ['wasm', 'webgl']) {
      const page = await browser.newPage();
      await page.goto(`${server.url}?backend=${backend}`);
      await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 60_000 });
      try {
        if (await page.evaluate(() => document.body.dataset.state === 'ready')) {
          await page.fill('#fasta', fasta);
          await page.click('#run', { timeout: 60_000 });
          await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 1_800_000 });
        }
      } catch (e) {
        console.log(JSON.stringify({ workload, backend, error: `the page did not score: ${(e as Error).message.split('\n')[0]}` }));
        await page.close();
        continue;
      }
      const s = await page.evaluate(() => (window as unknown as { dnabertPage: { backend: string; bases: number; seconds: number; error: string | null } }).dnabertPage);
      console.log(JSON.stringify(s.error ? { workload, backend, error: s.error } : { workload, backend: s.backend, basesPerSec: s.bases / s.seconds, bases: s.bases, seconds: s.seconds }));
      await page.close();
    }
  }
} finally {
  await browser.close();
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
}
