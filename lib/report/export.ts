/**
 * Static export of a figure (SVG and PNG) with headless Chromium, for papers and slides: the figure is
 * drawn by plotly.js in a local page, `Plotly.toImage` renders the SVG into the page, and Chromium
 * dumps the page (SVG) and takes a screenshot (PNG). Without Chromium the export is skipped with a
 * message saying so.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { plotlyBundle, type Figure } from './plots.js';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--hide-scrollbars'];

/**
 * plotly.js names a figure's clip paths and patterns with random ids, so that each drawing of the same
 * figure differs; these are renumbered in order of appearance (and every reference with them), so the
 * same figure gives the same file and a committed figure changes only when the figure does.
 */
export function stableIds(svg: string): string {
  const ids = [...new Set([...svg.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]))];
  const renamed = new Map(ids.map((id, i) => [id, `f${i}`]));
  return svg.replace(/( id="|#)([A-Za-z][\w-]*)/g, (whole, lead: string, id: string) => (renamed.has(id) ? lead + renamed.get(id)! : whole));
}

export async function exportFigure(fig: Figure, outBase: string, width = 1100, height = 520): Promise<string> {
  if (!existsSync(CHROMIUM)) return `static export skipped: ${CHROMIUM} not found (Debian package chromium; make setup installs it)`;
  const dir = mkdtempSync(join(tmpdir(), 'dnabert-export-'));
  try {
    const bundle = plotlyBundle();
    const spec = JSON.stringify({ data: fig.data, layout: { ...fig.layout, width, height } });
    const page = (svg: boolean) => `<!doctype html><html><head><meta charset="utf-8"><script>${bundle}</script></head>
<body style="margin:0"><div id="g"></div><pre id="out"></pre><script>
var s=${spec};Plotly.newPlot('g',s.data,s.layout,{staticPlot:true}).then(function(gd){${svg ? "return Plotly.toImage(gd,{format:'svg',width:" + width + ',height:' + height + "}).then(function(u){document.getElementById('out').textContent=decodeURIComponent(u.replace(/^data:image\\/svg\\+xml,/,''));document.getElementById('g').remove();});" : ''}});
</script></body></html>`;
    writeFileSync(join(dir, 'svg.html'), page(true));
    writeFileSync(join(dir, 'png.html'), page(false));
    const run = (args: string[]) => execFileSync(CHROMIUM, [...FLAGS, `--user-data-dir=${join(dir, 'profile')}`, '--virtual-time-budget=15000', ...args], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 });
    const dom = run(['--dump-dom', `file://${join(dir, 'svg.html')}`]);
    const m = dom.match(/<pre id="out">([\s\S]*?)<\/pre>/);
    if (!m || !m[1].includes('&lt;svg')) return 'static export failed: Chromium did not render the SVG';
    const svg = m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    writeFileSync(`${outBase}.svg`, stableIds(svg));
    run([`--screenshot=${resolve(`${outBase}.png`)}`, `--window-size=${width},${height}`, `file://${join(dir, 'png.html')}`]);
    return `exported ${outBase}.svg and ${outBase}.png`;
  } catch (e) {
    return `static export failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
