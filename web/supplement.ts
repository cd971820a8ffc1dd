/**
 * `make html`'s last step: the rendered notebooks become a supplement that works when the folder is copied
 * anywhere and opened offline, with no server (the scoring page aside, which fetches its models).
 *
 * - Each page loaded plotly.js (10.8 MB) inline, from the notebook's loader cell; it now loads the one
 *   minified copy of the scoring page (`predict/plotly.min.js`, web/build.ts).
 * - nbconvert's template loads require.js and MathJax from the rendering machine's own files
 *   (`file:///usr/share/javascript/…`); the notebooks use neither, and the tags are removed.
 * - `index.html` ties it together: what this is, Table 2 with its figure, the pretraining ladder, the
 *   pages, the commit and profile they were made from.
 *
 * `node --import tsx web/supplement.ts --dir results/html --results results --profile quick`
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { command, examples, run } from '../lib/cli/command.js';
import { readRecords, table2 } from '../lib/report/aggregate.js';
import { table2Html } from '../lib/report/tables.js';
import { resolveProfile } from '../lib/config.js';
import { gitState } from '../lib/git.js';
import { writeFileAtomic } from '../lib/atomic.js';
import { PLOTLY_FILE } from './build.js';

/** The scoring page's folder inside the supplement, and its plotly.js as the pages load it. */
const PREDICT = 'predict';
const PLOTLY_SRC = `${PREDICT}/${PLOTLY_FILE}`;

/** The notebook loader cell's inline plotly.js (lib/report/plots.ts plotlyLoaderHtml): up to its own closing brace and tag. */
const INLINE_PLOTLY = /<script type="text\/javascript">if \(!window\.Plotly\) \{\n[\s\S]*?\n\}<\/script>/g;
/** A script or stylesheet from the rendering machine's files. */
const LOCAL_ASSET = /<script[^>]*\ssrc="file:\/\/[^"]*"[^>]*>\s*<\/script>|<link[^>]*\shref="file:\/\/[^"]*"[^>]*>/g;

/** A rendered notebook page that loads the shared plotly.js and nothing from the rendering machine. */
export function portablePage(html: string, where: string): string {
  const out = html.replace(INLINE_PLOTLY, `<script type="text/javascript" src="${PLOTLY_SRC}"></script>`).replace(LOCAL_ASSET, '');
  const left = out.match(/(?:src|href)="(?:file:\/\/|\/(?:usr|home|root|tmp|work)\/)[^"]*"/);
  if (left) throw new Error(`${where}: still refers to the rendering machine's files (${left[0]}); the page would not open elsewhere`);
  return out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The index page: what this is, Table 2 and its figure, the ladder, the pages, and what they were made from. */
export function indexPage(o: { pages: string[]; table: string; figures: { file: string; caption: string }[]; commit: string; dirty: boolean; profile: string; hasPredict: boolean }): string {
  const title = (f: string) => f.replace(/\.html$/, '').replace(/^(\d+)_/, '$1 · ').replace(/_/g, ' ');
  const figures = o.figures.map((f) => `<figure><img src="${f.file}" alt="${esc(f.caption)}" style="max-width:100%"><figcaption>${esc(f.caption)}</figcaption></figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fine-Tuning Transformers For Genomic Tasks — supplementary notebooks</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;font-size:90%}figcaption{font-size:90%;color:#555}code{background:#f4f4f4;padding:0 .2rem}</style>
</head><body>
<h1>Fine-Tuning Transformers For Genomic Tasks: supplementary notebooks</h1>
<p>A TypeScript reproduction of Martinek, Cechak, Gresova, Alexiou and Simecek, <i>Fine-Tuning Transformers For Genomic
Tasks</i>: DNA sequences of Genomic Benchmarks datasets classified by DNABERT fine-tuned from its pretrained weights, the
same architecture from random weights, and a CNN, each trained with 5 seeds; test F1 as mean ± std (the paper's Table 2).
Every number on these pages comes from a run record of this repository, which names its code commit, data (with its
checksum), configuration and compute backend.</p>
<p>Made from commit <code>${esc(o.commit.slice(0, 12))}</code>${o.dirty ? ' (with uncommitted changes)' : ''}, profile <code>${esc(o.profile)}</code>.</p>
<h2>Table 2, ours beside the paper's</h2>
${o.table}
${figures}
<h2>The notebooks</h2>
<ul>
${o.pages.map((p) => `<li><a href="${p}">${esc(title(p))}</a></li>`).join('\n')}
${o.hasPredict ? `<li><a href="${PREDICT}/index.html">Score your own DNA with a trained model</a> (the scoring page; it fetches its models, so serve the folder: <code>node --import tsx web/serve.ts results/html</code>)</li>` : ''}
</ul>
</body></html>
`;
}

/** Rewrite the pages in `dir` and write its index.html, with Table 2 from the records of `profile` under `results`. */
export function writeSupplement(o: { dir: string; results: string; profile: string }): { pages: string[] } {
  const pages = readdirSync(o.dir).filter((f) => f.endsWith('.html') && f !== 'index.html').sort();
  if (!existsSync(join(o.dir, PLOTLY_SRC))) throw new Error(`${join(o.dir, PLOTLY_SRC)} is missing: the pages load plotly.js from the scoring page's folder; build it first (make web)`);
  for (const p of pages) {
    const file = join(o.dir, p);
    writeFileSync(file, portablePage(readFileSync(file, 'utf8'), file));
  }
  const records = readRecords(o.results, o.profile);
  const seeds = resolveProfile(o.profile).seeds.length;
  const figures: { file: string; caption: string }[] = [];
  for (const [name, caption] of [
    [`table2-${o.profile}.svg`, `Table 2 (profile ${o.profile}): test F1 per dataset and model, ours beside the paper's`],
    ['pretraining-ladder.svg', 'The pretraining ladder: pretrained − random weights (F1 and AUROC) against pretraining tokens'],
  ] as const) {
    if (!existsSync(join(o.results, name))) continue;
    copyFileSync(join(o.results, name), join(o.dir, name));
    figures.push({ file: name, caption });
  }
  const code = gitState();
  const table = records.length ? table2Html(table2(records, seeds), seeds) : `<p>No run records of profile ${esc(o.profile)} under ${esc(o.results)}/runs yet (make reproduce).</p>`;
  writeFileAtomic(join(o.dir, 'index.html'), indexPage({ pages, table, figures, commit: code.commit, dirty: code.dirty, profile: o.profile, hasPredict: existsSync(join(o.dir, PREDICT, 'index.html')) }));
  return { pages };
}

if (process.argv[1]?.endsWith('supplement.ts')) {
  const cmd = command('supplement', 'Make the rendered notebooks portable (one shared plotly.js, nothing from the rendering machine) and write their index.html.')
    .option('--dir <dir>', 'the rendered pages', 'results/html')
    .option('--results <dir>', 'results folder (records, figures)', 'results')
    .option('--profile <name>', 'the profile of Table 2 on the index', process.env.PROFILE ?? 'quick')
    .action((o: { dir: string; results: string; profile: string }) => {
      const { pages } = writeSupplement(o);
      console.log(`supplement: ${pages.length} pages made portable; ${join(o.dir, 'index.html')}`);
    });
  examples(cmd, ['node --import tsx web/supplement.ts --dir results/html --profile quick']);
  await run(cmd);
}
