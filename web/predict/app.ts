/**
 * The browser page (web/predict/index.html): load a saved model — bundled with the page or from the
 * user's disk — and score pasted or dropped FASTA with lib/predict.ts, the code `npm run predict` runs,
 * on the first TensorFlow.js backend that starts (webgpu → webgl → wasm → cpu; `?backend=` forces one).
 * Batches yield to the page between them, so long inputs show progress instead of freezing it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { memoryFiles } from '../../lib/checkpoint/files.js';
import { fastaRecords } from '../../lib/data/fasta-records.js';
import { loadPredictor, modelScorer, scan, scoreHeader, scoreRow, windowRow, type Predictor, type RecordScore, type WindowScore } from '../../lib/predict.js';

declare const Plotly: { newPlot(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown> };

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
const MODEL_FILES = ['config.json', 'vocab.txt', 'model.safetensors'];
const BATCH = 32;
const SHOWN_ROWS = 200;

interface BundledModel {
  name: string;
  path: string;
  files: string[];
}

/** What tests and the benchmark read back. */
interface PageState {
  backend: string;
  model: string | null;
  scoresTsv: string;
  windowsBed: string;
  records: number;
  bases: number;
  seconds: number;
  error: string | null;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const state: PageState = { backend: '', model: null, scoresTsv: '', windowsBed: '', records: 0, bases: 0, seconds: 0, error: null };
(window as unknown as { dnabertPage: PageState }).dnabertPage = state;
let predictor: Predictor | null = null;

function setState(s: 'loading' | 'ready' | 'running' | 'done' | 'error'): void {
  document.body.dataset.state = s;
}

function showError(message: string | null): void {
  state.error = message;
  const box = $('error');
  box.textContent = message ?? '';
  box.style.display = message ? 'block' : 'none';
  if (message) setState('error');
}

async function pickBackend(): Promise<string> {
  setWasmPaths(new URL('./', location.href).href);
  const forced = new URLSearchParams(location.search).get('backend');
  const order = forced ? [forced] : BACKENDS;
  const failed: string[] = [];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return failed.length ? `${name} (${failed.join(', ')} unavailable)` : name;
      }
    } catch {
      // the backend cannot start here (no WebGPU adapter, no WebGL context, …): try the next
    }
    failed.push(name);
  }
  throw new Error(`no TensorFlow.js backend could start (tried ${order.join(', ')})`);
}

/** A model folder's files → a predictor; errors say what the folder lacks. */
async function useModel(where: string, files: Map<string, Uint8Array>): Promise<void> {
  showError(null);
  predictor?.adapter.dispose();
  predictor = null;
  state.model = null;
  $('run').toggleAttribute('disabled', true);
  if (!files.has('config.json')) throw new Error(`${where} is not a saved model: it has no config.json (a model folder holds config.json and model.safetensors, and vocab.txt for DNABERT)`);
  predictor = await loadPredictor(memoryFiles(where, files));
  state.model = predictor.what;
  $('model-info').textContent = `${predictor.adapter.describe()} — window ${predictor.window} bp. Loaded from ${where}.`;
  $('run').toggleAttribute('disabled', false);
  setState('ready');
}

async function fetchBundled(m: BundledModel): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const f of m.files) {
    const r = await fetch(new URL(m.path + f, location.href));
    if (!r.ok) throw new Error(`${m.path}${f}: HTTP ${r.status}`);
    files.set(f, new Uint8Array(await r.arrayBuffer()));
  }
  return files;
}

async function filesOf(list: Iterable<File>): Promise<{ where: string; files: Map<string, Uint8Array> }> {
  const files = new Map<string, Uint8Array>();
  let where = '';
  for (const f of list) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    where ||= rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : 'the chosen files';
    if (MODEL_FILES.includes(f.name)) files.set(f.name, new Uint8Array(await f.arrayBuffer()));
  }
  return { where: where || 'the chosen files', files };
}

/** Every file of dropped items, folders walked. */
async function droppedFiles(items: DataTransferItemList): Promise<File[]> {
  const out: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) out.push(await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail)));
    else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      const entries = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
      for (const e of entries) await walk(e);
    }
  };
  for (const item of Array.from(items)) {
    const entry = item.webkitGetAsEntry();
    if (entry) await walk(entry);
  }
  return out;
}

/** A FASTA file's text, gunzipped when it starts with the gzip magic bytes. */
async function fileText(file: File): Promise<string> {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  if (head[0] === 0x1f && head[1] === 0x8b) return new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).text();
  return file.text();
}

async function* recordsOf(text: string, name: string): AsyncGenerator<{ id: string; seq: string; where: string }> {
  for await (const r of fastaRecords(text.split(/\r?\n/), name)) yield { id: r.id, seq: r.seq, where: `${name} record '${r.id}' (line ${r.line})` };
}

function renderTable(rows: string[][], header: string[]): void {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const shown = rows.slice(0, SHOWN_ROWS);
  $('table').innerHTML = `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${shown
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>${rows.length > shown.length ? `<p class="muted">${shown.length} of ${rows.length} records shown; the download has all.</p>` : ''}`;
}

function renderTrack(windows: WindowScore[], records: RecordScore[]): void {
  const long = records.filter((r) => r.windows > 1);
  const choice = $('track-choice');
  choice.hidden = long.length === 0;
  if (!long.length || typeof Plotly === 'undefined') return;
  const select = $<HTMLSelectElement>('track-select');
  select.innerHTML = long.map((r) => `<option>${r.id.replace(/</g, '&lt;')}</option>`).join('');
  const draw = () => {
    const ws = windows.filter((w) => w.id === select.value);
    void Plotly.newPlot($('track'), [{ type: 'scatter', mode: 'lines+markers', x: ws.map((w) => (w.start + w.end) / 2), y: ws.map((w) => w.prob), text: ws.map((w) => `${w.start}–${w.end}`), name: 'P(class 1)' }], {
      title: { text: `Window scores along ${select.value}` }, xaxis: { title: { text: 'window centre (bp)' } }, yaxis: { title: { text: 'P(class 1)' }, range: [0, 1] }, margin: { t: 40 },
    }, { responsive: true, displaylogo: false });
  };
  select.onchange = draw;
  draw();
}

async function runScoring(): Promise<void> {
  if (!predictor) return;
  showError(null);
  setState('running');
  const text = ($<HTMLTextAreaElement>('fasta')).value;
  const total = text.length;
  const { window, classes } = predictor;
  const strideIn = Number(($<HTMLInputElement>('stride')).value);
  const stride = strideIn > 0 ? Math.floor(strideIn) : Math.max(1, Math.floor(window / 2));
  const base = modelScorer(predictor.adapter, false);
  const bar = $<HTMLProgressElement>('progress');
  let scored = 0;
  const scorer = async (seqs: Uint8Array[]) => {
    const out = await base(seqs);
    scored += seqs.reduce((a, s) => a + s.length, 0);
    bar.value = Math.min(1, scored / Math.max(1, total));
    $('status').textContent = `${scored.toLocaleString('en')} bases in windows scored`;
    await tf.nextFrame(); // let the page draw between batches
    return out;
  };
  const records: RecordScore[] = [];
  const windows: WindowScore[] = [];
  const t0 = performance.now();
  try {
    const n = await scan(recordsOf(text, 'the FASTA input'), scorer, { window, stride, batch: BATCH, onWindow: (w) => windows.push(w), onRecord: (r) => records.push(r) });
    if (n.records === 0) throw new Error('the FASTA input has no records: paste sequences as >name lines followed by bases, or choose a file');
    state.seconds = (performance.now() - t0) / 1000;
    state.records = n.records;
    state.bases = n.bases;
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  const header = scoreHeader(false, classes);
  const rows = records.map((r) => scoreRow(r, false, classes));
  state.scoresTsv = [header, ...rows].map((r) => r.join('\t')).join('\n') + '\n';
  state.windowsBed = windows.map((w) => windowRow(w, classes)).join('\n') + '\n';
  bar.value = 1;
  $('status').textContent = `${state.records} records, ${state.bases.toLocaleString('en')} bases in ${state.seconds.toFixed(1)} s (${Math.round(state.bases / Math.max(state.seconds, 1e-3)).toLocaleString('en')} bases/s) on ${state.backend}; window ${window} bp, stride ${stride} bp`;
  for (const [id, body] of [['download', state.scoresTsv], ['download-windows', state.windowsBed]] as const) {
    const a = $<HTMLAnchorElement>(id);
    a.href = URL.createObjectURL(new Blob([body], { type: 'text/tab-separated-values' }));
    a.hidden = false;
  }
  renderTable(rows, header);
  renderTrack(windows, records);
  setState('done');
}

function dropZone(id: string, onFiles: (files: File[]) => Promise<void>): void {
  const el = $(id);
  el.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.classList.add('over');
  });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (e) => {
    e.preventDefault();
    el.classList.remove('over');
    if (e.dataTransfer) void droppedFiles(e.dataTransfer.items).then(onFiles).catch((err: Error) => showError(err.message));
  });
}

async function main(): Promise<void> {
  state.backend = await pickBackend();
  $('backend').textContent = `${state.backend} (TensorFlow.js ${tf.version.tfjs})`;
  const loadFiles = async (list: Iterable<File>) => {
    const { where, files } = await filesOf(list);
    await useModel(where, files);
  };
  const guard = (f: () => Promise<void>) => () => void f().catch((e: Error) => showError(e.message));
  $('model-folder').addEventListener('change', guard(() => loadFiles(($<HTMLInputElement>('model-folder')).files ?? [])));
  $('model-files').addEventListener('change', guard(() => loadFiles(($<HTMLInputElement>('model-files')).files ?? [])));
  dropZone('model-drop', loadFiles);
  const useFasta = async (file: File) => {
    ($<HTMLTextAreaElement>('fasta')).value = await fileText(file);
  };
  $('fasta-file').addEventListener('change', guard(async () => {
    const f = ($<HTMLInputElement>('fasta-file')).files?.[0];
    if (f) await useFasta(f);
  }));
  dropZone('fasta-drop', async (files) => {
    if (files[0]) await useFasta(files[0]);
  });
  $('run').addEventListener('click', guard(runScoring));
  $('example').addEventListener('click', guard(async () => {
    const r = await fetch(new URL('example.fa', location.href));
    if (!r.ok) throw new Error(`example.fa: HTTP ${r.status}`);
    ($<HTMLTextAreaElement>('fasta')).value = await r.text();
  }));

  const select = $<HTMLSelectElement>('model-select');
  let bundled: BundledModel[] = [];
  try {
    const r = await fetch(new URL('models.json', location.href));
    if (r.ok) bundled = (await r.json()) as BundledModel[];
  } catch {
    // opened without a server, or no bundled models: the disk and drop inputs remain
  }
  for (const [i, m] of bundled.entries()) select.add(new Option(m.name, String(i)));
  select.addEventListener('change', guard(async () => {
    const m = bundled[Number(select.value)];
    if (m) await useModel(m.path, await fetchBundled(m));
  }));
  if (bundled.length) {
    select.value = '0';
    await useModel(bundled[0].path, await fetchBundled(bundled[0]));
  } else setState('ready');
}

main().catch((e: Error) => showError(e.message));
