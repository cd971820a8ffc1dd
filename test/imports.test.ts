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

/** Module → the lib modules it imports at run time (`import type` erases and cannot cycle), or also for types. */
function importGraph(types = false): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const pattern = types ? /^(?:import|export) [^;]*?from '(\.[^']+)';/gms : /^import (?!type\b)[^;]*?from '(\.[^']+)';/gms;
  for (const f of files(LIB)) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(pattern)) deps.push(normalize(join(dirname(f), m[1].replace(/\.js$/, '.ts'))));
    g.set(normalize(f), deps);
  }
  return g;
}

function cyclesOf(g: Map<string, string[]>): string[] {
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
  return cycles;
}

test('lib/ has no import cycles (the notebook kernel cannot load them)', () => {
  assert.deepEqual(cyclesOf(importGraph()), []);
});

test('lib/ has no circle even through type imports: each layer owns its types', () => {
  assert.deepEqual(cyclesOf(importGraph(true)), []);
});
