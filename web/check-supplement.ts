/**
 * `make html`'s check of the supplement as a reader gets it: the folder copied to another directory and
 * opened from disk (file://, no server) in headless Chromium. The index and two notebook pages must load
 * with no failed request and no console error, and every figure must draw. Prints the folder's size.
 * `node --import tsx web/check-supplement.ts [DIR]`.
 */
/// <reference lib="dom" />
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((n, e) => {
    const p = join(dir, e);
    return n + (statSync(p).isDirectory() ? folderBytes(p) : statSync(p).size);
  }, 0);
}

/** Open `pages` of a copy of `dir`; the problems found, page by page. */
export async function checkSupplement(dir: string, pages: string[]): Promise<{ problems: string[]; figures: Record<string, number>; bytes: number }> {
  const copy = mkdtempSync(join(tmpdir(), 'dnabert-supplement-'));
  const browser = await chromium.launch({ executablePath: process.env.DNABERT_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    cpSync(dir, copy, { recursive: true });
    const problems: string[] = [];
    const figures: Record<string, number> = {};
    for (const name of pages) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      page.on('requestfailed', (r) => problems.push(`${name}: request failed: ${r.url()} (${r.failure()?.errorText})`));
      page.on('console', (m) => m.type() === 'error' && problems.push(`${name}: console error: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
      await page.goto(`file://${join(copy, name)}`, { waitUntil: 'load' });
      const drawn = await page.evaluate(() => ({
        plots: document.querySelectorAll('div[id^="fig-"]').length,
        drawn: document.querySelectorAll('div[id^="fig-"] .main-svg').length > 0 ? document.querySelectorAll('div[id^="fig-"].js-plotly-plot').length : 0,
        images: Array.from(document.images).map((i) => ({ src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0 })),
      }));
      if (drawn.drawn !== drawn.plots) problems.push(`${name}: ${drawn.drawn} of ${drawn.plots} figures drew`);
      for (const i of drawn.images) if (!i.ok) problems.push(`${name}: image ${i.src} did not load`);
      figures[name] = drawn.plots + drawn.images.length;
      await page.close();
    }
    return { problems, figures, bytes: folderBytes(dir) };
  } finally {
    await browser.close();
    rmSync(copy, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('check-supplement.ts')) {
  const dir = process.argv[2] ?? 'results/html';
  const notebooks = readdirSync(dir).filter((f) => /^\d+_.*\.html$/.test(f)).sort();
  const pages = ['index.html', notebooks[0], notebooks[notebooks.length - 2] ?? notebooks[0]].filter((p, i, a) => p && a.indexOf(p) === i);
  const r = await checkSupplement(dir, pages);
  if (r.problems.length) {
    console.error(`supplement check: ${r.problems.length} problem(s) in a copy of ${dir} opened from disk:\n  ${r.problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`supplement checked from a copy opened from disk: ${Object.entries(r.figures).map(([p, n]) => `${p} (${n} figures)`).join(', ')}; the folder is ${(r.bytes / 2 ** 20).toFixed(1)} MiB`);
}
