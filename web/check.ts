/**
 * `make html`'s check of the built page: open it from a local server in headless Chromium, score the
 * example with the first bundled model, fail on any error on the page, and save a screenshot
 * (`<dir>/screenshot.png`) to look at. `node --import tsx web/check.ts [DIR]`.
 */
/// <reference lib="dom" />
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serveStatic } from './serve.js';

const dir = process.argv[2] ?? 'results/html/predict';
const server = await serveStatic(dir);
const browser = await chromium.launch({ executablePath: process.env.DNABERT_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1500 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 60_000 });
  const models = await page.$$eval('#model-select option', (os) => os.length - 1);
  if (models > 0) {
    await page.click('#example');
    await page.waitForFunction(() => (document.getElementById('fasta') as HTMLTextAreaElement).value.startsWith('>'));
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 600_000 });
  }
  const s = await page.evaluate(() => ({ state: document.body.dataset.state, error: document.getElementById('error')!.textContent, status: document.getElementById('status')!.textContent, backend: document.getElementById('backend')!.textContent }));
  await page.screenshot({ path: join(dir, 'screenshot.png'), fullPage: true });
  if (s.error || problems.length) throw new Error(`the page shows an error: ${s.error || problems.join('; ')}`);
  if (models > 0 && s.state !== 'done') throw new Error(`the page did not finish scoring the example (state ${s.state})`);
  console.log(`page checked: backend ${s.backend}; ${models} bundled model(s)${models ? `; example: ${s.status}` : ' (load one from disk on the page)'}; screenshot ${join(dir, 'screenshot.png')}`);
} finally {
  await browser.close();
  await server.close();
}
