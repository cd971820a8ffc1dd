/**
 * Notebook 01 in a real Jupyter server, run through its interface as a researcher would: Debian's
 * classic Jupyter Notebook (`jupyter-notebook`) on a free loopback port with the project's tslab
 * kernel (JUPYTER_PATH, as README says); headless Chromium (playwright-core, the system's browser)
 * opens the notebook and clicks Cell → Run All with the smoke profile. Every code cell must execute,
 * no output may be an error or TensorFlow.js's "install our node backend" banner, and every plotly
 * figure must render. A screenshot of the executed notebook is kept in build/test-artifacts/.
 *
 * The notebook runs from a copy under build/ (Jupyter saves what it opens): the repository's notebooks
 * are never touched. Skipped, with the reason, where jupyter-notebook or the kernel is missing (under
 * CI=true that fails the test instead).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { tempDir, unmet } from './helpers.js';

const ROOT = new URL('..', import.meta.url).pathname;
const CHROMIUM = process.env.DNABERT_CHROMIUM ?? '/usr/bin/chromium';
const JUPYTER_PATH = join(ROOT, '.jupyter', 'share', 'jupyter');
const NOTEBOOK = '01_human_nontata_promoters.ipynb';
const ARTIFACTS = join(ROOT, 'build', 'test-artifacts');
const TOKEN = 'dnabert-test';

const t = tempDir('dnabert-jupyter-');
let work = '';
let server: ChildProcess | null = null;
let browser: Browser | null = null;
let url = '';
let skip: string | false = false;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

before(async () => {
  if (spawnSync('sh', ['-c', 'command -v jupyter-notebook']).status !== 0) skip = 'jupyter-notebook is not installed (make setup-cluster-test)';
  else if (!existsSync(join(JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json'))) skip = 'the tslab kernel is not installed (make setup)';
  else if (!existsSync(CHROMIUM)) skip = `no Chromium at ${CHROMIUM} (DNABERT_CHROMIUM)`;
  if (skip) return;
  // the notebook's folder: a copy of it, and lib/ and package.json as in notebooks/
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  work = mkdtempSync(join(ROOT, 'build', 'jupyter-'));
  copyFileSync(join(ROOT, 'notebooks', NOTEBOOK), join(work, NOTEBOOK));
  copyFileSync(join(ROOT, 'notebooks', 'package.json'), join(work, 'package.json'));
  symlinkSync(join(ROOT, 'lib'), join(work, 'lib'));
  const table = join(t.path, 'smoke.tsv');
  const made = spawnSync('node', ['--import', 'tsx', 'test/smoke/make_table.ts', table, join(t.path, 'genome.fa.gz')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);

  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn(
    'jupyter-notebook',
    ['--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--NotebookApp.token=${TOKEN}`, `--notebook-dir=${work}`, '--allow-root'],
    {
      cwd: work,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, JUPYTER_PATH, JUPYTER_CONFIG_DIR: join(t.path, 'config'), JUPYTER_RUNTIME_DIR: join(t.path, 'runtime'), PROFILE: 'smoke', RESULTS_DIR: join(t.path, 'results'), DATA_HUMAN_NONTATA_PROMOTERS: table, DNABERT_DOWNLOAD: '0' },
    },
  );
  let log = '';
  server.stderr!.on('data', (d) => (log += d));
  const t0 = Date.now();
  for (;;) {
    try {
      if ((await fetch(`${url}/api/status?token=${TOKEN}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`jupyter-notebook did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  if (work) rmSync(work, { recursive: true, force: true });
  t.cleanup();
});

interface CellState {
  code: number;
  executed: number;
  errors: string[];
  /** Printed text (stdout and stderr) of every cell. */
  streams: string[];
}

test('notebook 01 runs all its cells in a Jupyter server through the interface: no error, no banner, figures drawn', async (c) => {
  if (unmet(c, skip)) return;
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const t0 = Date.now();
  await page.goto(`${url}/notebooks/${NOTEBOOK}?token=${TOKEN}`);
  // the notebook's own kernel, connected
  await page.waitForFunction(() => {
    const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean; name: string } } } }).Jupyter;
    return J?.notebook?.kernel?.is_connected() === true;
  }, null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { kernel: { name: string } } } }).Jupyter.notebook.kernel.name), 'tslab');
  // Cell → Run All, as a person would
  await page.click('#celllink');
  await page.click('#run_all_cells');
  const state = (): Promise<CellState> =>
    page.evaluate(() => {
      type Output = { output_type: string; text?: string; ename?: string; evalue?: string; data?: Record<string, string> };
      type Cell = { cell_type: string; input_prompt_number?: number | string | null; output_area?: { outputs: Output[] } };
      const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): Cell[] } } }).Jupyter.notebook.get_cells().filter((x) => x.cell_type === 'code');
      const outputs = cells.flatMap((x) => x.output_area?.outputs ?? []);
      return {
        code: cells.length,
        executed: cells.filter((x) => typeof x.input_prompt_number === 'number').length,
        errors: outputs.filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`),
        streams: outputs.filter((o) => o.output_type === 'stream').map((o) => o.text ?? ''),
      };
    });
  let s = await state();
  while (s.executed < s.code && s.errors.length === 0 && Date.now() - t0 < 480_000) {
    await new Promise((r) => setTimeout(r, 500));
    s = await state();
  }
  // the kernel is idle once the last cell is done
  await page.waitForFunction(() => document.querySelector('#kernel_indicator_icon')?.classList.contains('kernel_idle_icon') === true, null, { timeout: 60_000 });
  const seconds = (Date.now() - t0) / 1000;
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = join(ARTIFACTS, 'jupyter-01-smoke.png');
  const figures = await page.evaluate(() => {
    const divs = Array.from(document.querySelectorAll('.output_area div[id^="fig-"]'));
    return { figures: divs.length, drawn: divs.filter((d) => d.classList.contains('js-plotly-plot') && d.querySelector('svg.main-svg')).length };
  });
  // the notebook scrolls inside #site: let it take its full height, so the screenshot shows every cell
  await page.evaluate(() => {
    const site = document.querySelector<HTMLElement>('#site')!;
    site.style.height = 'auto';
    site.style.overflow = 'visible';
    window.scrollTo(0, 0);
  });
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();
  assert.deepEqual(s.errors, [], 'no error output');
  assert.equal(s.executed, s.code, `every code cell executed (${s.executed} of ${s.code})`);
  for (const text of s.streams) {
    assert.doesNotMatch(text, /looks like you are running TensorFlow\.js in Node\.js|tfjs-node/, 'no TensorFlow.js banner');
    assert.doesNotMatch(text, /Error:|Cannot find|is not defined/, 'no error printed');
  }
  assert.ok(figures.figures > 0, 'the notebook displays figures');
  assert.equal(figures.drawn, figures.figures, 'every plotly figure is drawn');
  console.log(`jupyter: ${s.executed} of ${s.code} code cells executed through Cell → Run All in ${seconds.toFixed(1)} s, ${figures.drawn} of ${figures.figures} figures drawn, no error output; screenshot ${shot}`);
});
