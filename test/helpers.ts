/** Generated fixtures shared by the tests: temporary folders, synthetic datasets, zips, a local HTTP server. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import yazl from 'yazl';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { seededRng } from '../lib/random.js';
import { parseSafetensors } from '../lib/checkpoint/safetensors.js';
import type { ParamSpec } from '../lib/models/dnabert.js';

export function tempDir(prefix = 'dnabert-test-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function randomDna(len: number, rng: () => number, alphabet = 'ACGT'): string {
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(rng() * alphabet.length)];
  return s;
}

/** Write `<root>/<name>/{train,test}/<class>/<id>.txt` with the given counts per split and class. */
export function writeFolderDataset(
  root: string,
  name: string,
  counts: { train: Record<string, number>; test: Record<string, number> },
  len: (i: number) => number = () => 50,
  seed = 1,
): void {
  const rng = seededRng(seed);
  for (const split of ['train', 'test'] as const) {
    for (const [cls, n] of Object.entries(counts[split])) {
      const dir = join(root, name, split, cls);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < n; i++) writeFileSync(join(dir, `${i}.txt`), randomDna(len(i), rng));
    }
  }
}

/** Zip a folder tree (entries relative to `base`). */
export function zipFolder(dir: string, base: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else zip.addFile(p, relative(base, p));
    }
  };
  walk(dir);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

export type Handler = (path: string, res: import('node:http').ServerResponse) => void;

/** A loopback HTTP server for download tests; `url` has no trailing slash. */
export async function serve(handler: Handler): Promise<{ url: string; close(): Promise<void>; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(new URL(req.url ?? '/', 'http://localhost').pathname, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** True under CI=true, where a test never skips for a missing prerequisite. */
export function underCI(): boolean {
  return process.env.CI === 'true';
}

/** An error whose report is its one line (what is missing and the make target that brings it), no stack. */
function prerequisiteError(missing: string): Error {
  const e = new Error(`${missing}; under CI=true a test fails instead of skipping for a missing prerequisite`);
  e.stack = e.message;
  return e;
}

/**
 * The `skip` option of a test registered with a prerequisite that is `missing` (a reason naming the make
 * target that brings it), or false. Outside CI the test is skipped with that reason (make test lists every
 * skip at its end); under CI=true it throws that one line, so the test file fails rather than passing unrun.
 */
export function skipUnlessCI(missing: string | false): string | false {
  if (missing && underCI()) throw prerequisiteError(missing);
  return missing;
}

/**
 * Inside a test: true (and the test is marked skipped) when its prerequisite is `missing`, so the test
 * returns at once; false when it has everything. Under CI=true a missing prerequisite fails the test with
 * one line instead.
 */
export function unmet(t: { skip(message?: string): void }, missing: string | false): boolean {
  if (!missing) return false;
  if (underCI()) throw prerequisiteError(missing);
  t.skip(missing);
  return true;
}

/**
 * For tests of a backend over a compiled addon: false when the addon loads, else the reason (the test is
 * then skipped). With `requireVar`=1 (set by `make test`, whose setup builds both addons) or under CI a
 * missing addon fails instead.
 */
function addonSkip(what: string, requireVar: string, load: { addon: unknown; reason: string }): string | false {
  if (load.addon) return false;
  if (process.env[requireVar] === '1') throw prerequisiteError(`${what} required (${requireVar}=1) but unavailable: ${load.reason} (make setup)`);
  return skipUnlessCI(`${what} unavailable: ${load.reason} (make setup)`);
}

/** Why the native backend's tests are skipped, or false when they run. */
export async function nativeSkip(): Promise<string | false> {
  const { loadAddon } = await import('../lib/native/addon.js');
  return addonSkip('native kernels', 'DNABERT_REQUIRE_NATIVE', loadAddon());
}

/** Why the torch backend's tests are skipped (its addon is built against Debian's libtorch-dev by `make setup`), or false. */
export async function torchSkip(): Promise<string | false> {
  const { loadTorchAddon } = await import('../lib/torch/addon.js');
  return addonSkip('torch backend', 'DNABERT_REQUIRE_TORCH', loadTorchAddon());
}

/**
 * Gradients (tfjs, by variable name) against a PyTorch reference (safetensors, by HF name): one for
 * every reference gradient, each within 1e-3 of its own scale. Gradients that are zero in exact
 * arithmetic (the attention key bias: softmax is invariant to it) are rounding noise on both sides, so
 * an absolute floor of 1e-7 applies. Returns the worst relative error among non-zero gradients.
 */
export async function assertGradsMatch(grads: Record<string, tf.Tensor>, params: Map<string, tf.Variable>, specs: ParamSpec[], refFile: string): Promise<number> {
  const refGrads = parseSafetensors(readFileSync(refFile));
  const byVar = new Map([...params].map(([name, v]) => [v.name, name]));
  const kinds = new Map(specs.map((s) => [s.name, s.kind]));
  const maxAbs = (a: ArrayLike<number>, b?: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - (b ? b[i] : 0)));
    return m;
  };
  let checked = 0, worst = 0;
  for (const [varName, g] of Object.entries(grads)) {
    const name = byVar.get(varName)!;
    const r = refGrads.get(name);
    assert.ok(r, `reference has a gradient for ${name}`);
    const ours = kinds.get(name) === 'linear' ? tf.transpose(g) : g; // [in, out] here, [out, in] in PyTorch
    const scale = maxAbs(r.data as Float32Array);
    const err = maxAbs(await ours.data(), r.data as Float32Array);
    assert.ok(err <= 1e-3 * scale + 1e-7, `${name}: gradient error ${err} at scale ${scale}`);
    if (scale > 1e-6) worst = Math.max(worst, err / scale);
    checked++;
  }
  assert.equal(checked, refGrads.size, 'a gradient for every reference parameter');
  return worst;
}

/** A learnable two-class table (class 1 GC-rich, class 0 AT-rich), `n` rows of `length` bp, seeded. */
export function writeToyTable(path: string, n: number, o: { length?: number; seed?: number } = {}): void {
  const rng = seededRng(o.seed ?? 42);
  const rows = ['seq\tlabel'];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    rows.push(`${randomDna(o.length ?? 60, rng, label ? 'GGCCA' : 'AATTG')}\t${label}`);
  }
  writeFileSync(path, rows.join('\n') + '\n');
}
