/**
 * The main job as a reader runs it: a fresh clone of HEAD with its committed results, `make reproduce`
 * exactly as README says (the real path, not records only), then `git status`. Finished runs are skipped,
 * so it takes minutes. Then a second `make reproduce` must change nothing, and `make html` must render
 * every page.
 *
 * What `make setup` builds (node_modules, the native and torch addons) and the genome corpus `make
 * genome` fetches are taken from this checkout, as a reader's earlier setup would have left them: hard
 * links, with their make stamps kept newer than the clone's sources, so make finds them up to date. The
 * clone is of HEAD: uncommitted changes are not in it. `make test` fetches the corpus first (make genome);
 * without it the test is skipped, and under CI=true it fails with one line naming what is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempDir, unmet } from './helpers.js';
import { executedNotebooks } from './smoke/executed.js';

const ROOT = new URL('..', import.meta.url).pathname;
const GENOME = 'data/genome/human_GRCh37_chrX_first70Mb.fa.gz';

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { rc: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { rc: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** sha256 of every file under `dir` (path → hash), except the folders named in `skip`. */
function tree(dir: string, skip: string[], base = dir): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (skip.includes(relative(base, p))) continue;
    if (statSync(p).isDirectory()) for (const [k, v] of tree(p, skip, base)) out.set(k, v);
    else out.set(relative(base, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
  }
  return out;
}

const needs = ['node_modules/.package-lock.json', GENOME].filter((p) => !existsSync(join(ROOT, p)));
const missing = needs.length ? `needs ${needs.join(', ')} (make setup, make genome)` : false;

test('a fresh clone: make reproduce passes, leaves git status clean, a second run changes nothing, make html renders every page', { timeout: 30 * 60_000 }, (c) => {
  if (unmet(c, missing)) return;
  const t = tempDir('dnabert-reproduce-');
  try {
    const repo = join(t.path, 'repo');
    assert.equal(sh('git', ['clone', '--quiet', ROOT, repo], t.path).rc, 0);
    // what a reader's make setup and make genome left behind
    for (const built of ['node_modules', 'native/build', 'torch/build']) {
      if (existsSync(join(ROOT, built))) assert.equal(sh('cp', ['-al', join(ROOT, built), join(repo, built)], t.path).rc, 0, built);
    }
    mkdirSync(join(repo, 'data/genome'), { recursive: true });
    assert.equal(sh('cp', ['-l', join(ROOT, GENOME), join(repo, GENOME)], t.path).rc, 0);
    const later = new Date(Date.now() + 60_000);
    for (const stamp of ['node_modules/.package-lock.json', 'native/build/Release/dnabert_native.node', 'torch/build/dnabert_torch.node']) {
      if (existsSync(join(repo, stamp))) utimesSync(join(repo, stamp), later, later);
    }
    // a reader's shell: none of the test run's or an enclosing make's settings
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MAKE|MFLAGS|PROFILE$|RESULTS_DIR$|DATA_|DNABERT_|SEEDS$|NODE_TEST)/.test(k)));

    const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(0);
    let t0 = performance.now();
    const first = sh('make', ['reproduce'], repo, env);
    assert.equal(first.rc, 0, `make reproduce failed:\n${first.out.slice(-4000)}`);
    const notebooks = executedNotebooks(join(repo, 'results/executed'));
    assert.equal(notebooks.length, 7, `executed: ${notebooks.map((n) => n.file).join(', ')}`);
    for (const n of notebooks) assert.deepEqual(n.errors, [], `${n.file} has error output`);
    assert.equal(sh('git', ['status', '--porcelain'], repo).out, '', 'make reproduce left the tree dirty');
    console.log(`fresh clone: make reproduce rc 0 in ${seconds(t0)} s, ${notebooks.length} notebooks executed without an error, git status clean`);

    const results = tree(join(repo, 'results'), ['executed']);
    t0 = performance.now();
    const second = sh('make', ['reproduce'], repo, env);
    assert.equal(second.rc, 0, `the second make reproduce failed:\n${second.out.slice(-4000)}`);
    assert.equal(sh('git', ['status', '--porcelain'], repo).out, '', 'the second make reproduce left the tree dirty');
    assert.deepEqual(tree(join(repo, 'results'), ['executed']), results, 'the second make reproduce changed files under results/');
    console.log(`fresh clone: a second make reproduce rc 0 in ${seconds(t0)} s, git status clean, the ${results.size} files under results/ (executed/ aside) unchanged`);

    const html = sh('make', ['html'], repo, env);
    assert.equal(html.rc, 0, `make html failed:\n${html.out.slice(-4000)}`);
    const pages = readdirSync(join(repo, 'results/html')).filter((f) => f.endsWith('.html'));
    for (const n of notebooks) assert.ok(pages.includes(n.file.replace(/\.ipynb$/, '.html')), `no page for ${n.file}`);
    assert.ok(existsSync(join(repo, 'results/html/predict/index.html')), 'the scoring page');
    assert.ok(existsSync(join(repo, 'results/html/index.html')), 'the index');
    const size = html.out.match(/supplement checked from a copy opened from disk: .*; the folder is ([\d.]+) MiB/);
    assert.ok(size, `make html did not check the supplement:\n${html.out.slice(-2000)}`);
    assert.ok(Number(size[1]) < 15, `the supplement is ${size[1]} MiB; the goal is under 15`);
    console.log(size[0]);
    console.log(`fresh clone: make reproduce ${first.out.match(/executed notebooks: .*/)?.[0] ?? ''}; ${pages.length} pages rendered`);
  } finally {
    t.cleanup();
  }
});
