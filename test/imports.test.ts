/**
 * lib/ has no import cycles. The notebook kernel (tslab) loads lib/ as CommonJS through its own
 * loader, which recurses without end on a cycle ("Maximum call stack size exceeded" in the imports
 * cell), so a cycle that plain Node tolerates still breaks every notebook.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const LIB = new URL('../lib/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Module → the lib modules it imports at run time (`import type` erases and cannot cycle). */
function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files(LIB)) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(/^import (?!type\b)[^;]*?from '(\.[^']+)';/gms)) deps.push(normalize(join(dirname(f), m[1].replace(/\.js$/, '.ts'))));
    g.set(normalize(f), deps);
  }
  return g;
}

test('lib/ has no import cycles (the notebook kernel cannot load them)', () => {
  const g = importGraph();
  assert.ok(g.size > 20, `found ${g.size} modules`);
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (u: string) => {
    state.set(u, 'open');
    path.push(u);
    for (const v of g.get(u) ?? []) {
      if (state.get(v) === 'open') cycles.push([...path.slice(path.indexOf(v)), v].map((p) => relative(LIB, p)).join(' → '));
      else if (!state.has(v)) visit(v);
    }
    path.pop();
    state.set(u, 'done');
  };
  for (const u of g.keys()) if (!state.has(u)) visit(u);
  assert.deepEqual(cycles, []);
});
