/**
 * Tables and short texts the notebooks show: run records as a danfojs DataFrame, data frames and
 * Table-2 slices as HTML, and a worked example of k-mer tokenization. Pure functions returning strings
 * or frames, so they are tested outside Jupyter.
 */
import { DataFrame } from 'danfojs-node';
import { armLabel, armOfRecord, armsOf, cellArms, cellText, compareArms, cutOf, DEGENERATE_MARK, formatStat, type Table2Cell } from './aggregate.js';
import type { RunRecord } from '../records/run-record.js';
import { DEGENERATE_SHARE } from '../metrics.js';
import { kmerVocab, tokenizeBatch } from '../models/tokenizer.js';
import { encodeDna, decodeDna } from '../data/dna.js';

const esc = (s: unknown): string => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const pct = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '' : (100 * x).toFixed(1));

/** One row per run record: the per-run table of a dataset notebook. */
export function runsFrame(records: RunRecord[]): DataFrame {
  const arms = armsOf(records);
  const rs = [...records].sort((a, b) => arms.indexOf(armOfRecord(a)) - arms.indexOf(armOfRecord(b)) || a.seed - b.seed);
  return new DataFrame({
    model: rs.map((r) => armLabel(armOfRecord(r))),
    seed: rs.map((r) => r.seed),
    status: rs.map((r) => (r.status === 'done' ? (r.warnings.length ? 'done (warning)' : 'done') : 'not run')),
    'F1 %': rs.map((r) => pct(r.test?.f1)),
    'accuracy %': rs.map((r) => pct(r.test?.accuracy)),
    MCC: rs.map((r) => (r.test ? r.test.mcc.toFixed(3) : '')),
    AUROC: rs.map((r) => (r.test ? r.test.auroc.toFixed(3) : '')),
    steps: rs.map((r) => r.training?.steps ?? ''),
    'best step': rs.map((r) => r.training?.bestStep ?? ''),
    'train s': rs.map((r) => (r.training ? r.training.seconds.toFixed(0) : '')),
    backend: rs.map((r) => r.backend.name),
  });
}

/** A DataFrame as an HTML table. */
/** Each arm's test F1 against random weights (compareArms) as a table: runs, F1, Δ and whether Δ exceeds both arms' std. */
export function armComparisonHtml(records: RunRecord[]): string {
  return frameHtml(new DataFrame(compareArms(records).map((c) => ({
    arm: armLabel(c.arm),
    runs: c.f1.n,
    'F1 %': formatStat(c.f1),
    'Δ vs random': c.arm === 'dnabert-random' ? '' : c.delta.toFixed(1),
    'beyond std': c.arm === 'dnabert-random' ? '' : c.beyondStd ? 'yes' : 'no',
  }))));
}

export function frameHtml(df: DataFrame): string {
  const cols = df.columns as string[];
  const rows = df.values as unknown[][];
  return `<table><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((v) => `<td>${esc(v ?? '')}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** The Table 2 row(s) of the given cells, ours beside the paper's, as HTML. */
export function table2Html(cells: Table2Cell[], expectedSeeds: number): string {
  const datasets = [...new Set(cells.map((c) => c.dataset))];
  const arms = cellArms(cells);
  const head = `<tr><th>dataset</th>${arms.map((a) => `<th>${esc(armLabel(a))}<br>ours</th><th>paper</th>`).join('')}</tr>`;
  const body = datasets
    .map((d) => {
      const tds = arms.map((a) => {
        const c = cells.find((x) => x.dataset === d && x.arm === a)!;
        const ours = cellText(c, expectedSeeds);
        return `<td><b>${esc(ours)}</b></td><td>${c.paper ? `${c.paper.mean.toFixed(1)} ± ${c.paper.std.toFixed(1)}` : '—'}</td>`;
      }).join('');
      const cut = cutOf(cells, d);
      return `<tr><td>${esc(d)}${cut > 0 ? ` <span title="sequences longer than a model were cut: up to ${(100 * cut).toFixed(1)} % of test bases unseen">†</span>` : ''}</td>${tds}</tr>`;
    })
    .join('');
  const splits = datasets.flatMap((d) => [...new Set(cells.filter((c) => c.dataset === d).flatMap((c) => c.splits))].map((sp) => `<li>${esc(d)}: ${esc(sp)}</li>`));
  const cut = (datasets.some((d) => cutOf(cells, d) > 0) ? ' †: sequences longer than a model were cut to their first bases (the authors\' truncation; hover for the share of test bases unseen).' : '') + (cells.some((c) => c.degenerate.length) ? ` ${DEGENERATE_MARK}: a seed's model predicts one class for more than ${100 * DEGENERATE_SHARE} % of the test sequences (a degenerate model).` : '');
  return `<table>${head}${body}</table><p style="font-size:90%">Test F1 of class 1 (%), mean ± sample std over seeds; n = number of finished runs where fewer than ${expectedSeeds}.${cut}</p>${splits.length ? `<p style="font-size:90%">Data:</p><ul style="font-size:90%">${splits.join('')}</ul>` : ''}`;
}

/** The first bases of a sequence, its 6-mers and their ids: how DNABERT sees DNA. */
export function tokenizationExample(seq: Uint8Array | string, k = 6, show = 12): string {
  const bytes = typeof seq === 'string' ? encodeDna(seq, 'example') : seq;
  const head = bytes.subarray(0, show + k - 1);
  const b = tokenizeBatch([head], { k, maxLen: show + 2 });
  const vocab = kmerVocab(k);
  const ids = Array.from(b.ids.subarray(0, b.lengths[0]));
  const lines = [`sequence (first ${head.length} bp): ${decodeDna(head)}`, 'token       id'];
  ids.forEach((id) => lines.push(`${vocab[id].padEnd(10)} ${String(id).padStart(4)}`));
  return lines.join('\n');
}
