import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKEND_ORDER,
  BackendUnavailableError,
  defaultCandidates,
  findTfjsNodeBinding,
  selectBackend,
  type BackendCandidate,
  type BackendName,
} from '../lib/backend.js';

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeSkip, tempDir } from './helpers.js';
/** Fake candidates that record activation and claim availability as told. */
function fakes(available: Partial<Record<BackendName, boolean>>, activated: BackendName[]): BackendCandidate[] {
  return BACKEND_ORDER.map((name) => ({
    name,
    probe: async () => (available[name] ? { available: true, reason: '' } : { available: false, reason: `${name} absent` }),
    activate: async () => {
      activated.push(name);
      return `fake device for ${name}`;
    },
  }));
}

test('the real candidates come in the documented priority order', () => {
  assert.deepEqual(
    defaultCandidates().map((c) => c.name),
    ['tensorflow-gpu', 'torch', 'tensorflow', 'native', 'wasm', 'cpu'],
  );
});

test('automatic selection takes the first available backend and reports what it skipped', async () => {
  const table: [Partial<Record<BackendName, boolean>>, BackendName, BackendName[]][] = [
    [{ 'tensorflow-gpu': true, torch: true, tensorflow: true, cpu: true }, 'tensorflow-gpu', []],
    [{ torch: true, tensorflow: true, native: true, cpu: true }, 'torch', ['tensorflow-gpu']],
    [{ tensorflow: true, wasm: true, cpu: true }, 'tensorflow', ['tensorflow-gpu', 'torch']],
    [{ native: true, wasm: true, cpu: true }, 'native', ['tensorflow-gpu', 'torch', 'tensorflow']],
    [{ wasm: true, cpu: true }, 'wasm', ['tensorflow-gpu', 'torch', 'tensorflow', 'native']],
    [{ cpu: true }, 'cpu', ['tensorflow-gpu', 'torch', 'tensorflow', 'native', 'wasm']],
  ];
  for (const [avail, want, skipped] of table) {
    const activated: BackendName[] = [];
    const info = await selectBackend({ requested: '', candidates: fakes(avail, activated) });
    assert.equal(info.name, want);
    assert.deepEqual(activated, [want]);
    assert.deepEqual(info.skipped.map((s) => s.name), skipped);
    assert.equal(info.requested, false);
    assert.equal(info.device, `fake device for ${want}`);
  }
});

test('a named backend that is unavailable is an error naming it and the reason, not a fallback', async () => {
  const activated: BackendName[] = [];
  await assert.rejects(
    selectBackend({ requested: 'tensorflow-gpu', candidates: fakes({ cpu: true }, activated) }),
    (err: unknown) =>
      err instanceof BackendUnavailableError &&
      /'tensorflow-gpu' was requested/.test(err.message) &&
      /tensorflow-gpu absent/.test(err.message),
  );
  assert.deepEqual(activated, []);
});

test('an unknown backend name is rejected with the list of valid names', async () => {
  await assert.rejects(selectBackend({ requested: 'cuda', candidates: fakes({ cpu: true }, []) }), /Unknown backend 'cuda'.*tensorflow-gpu, torch, tensorflow, native, wasm, cpu/);
});

test('a backend that fails to initialise is skipped with its error', async () => {
  const activated: BackendName[] = [];
  const cands = fakes({ wasm: true, cpu: true }, activated);
  cands[4] = { ...cands[4], activate: async () => { throw new Error('boom'); } };
  const info = await selectBackend({ requested: 'auto', candidates: cands });
  assert.equal(info.name, 'cpu');
  assert.match(info.skipped.find((s) => s.name === 'wasm')!.reason, /failed to initialise: boom/);
});

test('the tfjs-node alias installed for danfojs-node is not mistaken for the native binding', () => {
  const r = findTfjsNodeBinding('@tensorflow/tfjs-node');
  // Either the package is the aliased plain tfjs, or it is the real one; it is available only with a binding.
  if (!r.available) assert.match(r.reason, /not the native binding|not installed|not built/);
  assert.equal(findTfjsNodeBinding('@tensorflow/does-not-exist').available, false);
});

test('the real selection activates the cpu backend when asked for it by name', async () => {
  const info = await selectBackend({ requested: 'cpu' });
  assert.equal(info.name, 'cpu');
  assert.equal(info.tfjsBackend, 'cpu');
  assert.equal(info.requested, true);
});

test('the native candidate says why the addon is absent: not built, failed build, unloadable file', async () => {
  const { readAddon } = await import('../lib/native/addon.js');
  const dir = tempDir();
  try {
    mkdirSync(join(dir.path, 'native', 'build', 'Release'), { recursive: true });
    assert.match(readAddon(dir.path).reason, /has not been built \(run make setup, or make native\)/);
    writeFileSync(join(dir.path, 'native', 'build', 'status.json'), JSON.stringify({ ok: false, reason: 'OpenBLAS headers are missing: install Debian libopenblas-openmp-dev' }));
    assert.match(readAddon(dir.path).reason, /not built: OpenBLAS headers are missing/);
    writeFileSync(join(dir.path, 'native', 'build', 'Release', 'dnabert_native.node'), 'not a shared object');
    const r = readAddon(dir.path);
    assert.equal(r.addon, null);
    assert.match(r.reason, /failed to load: .*rebuild with make native/);
  } finally {
    dir.cleanup();
  }
});

test('the native candidate is available where the addon was built, and then auto-selected before wasm', async (t) => {
  const skip = await nativeSkip();
  if (skip) return t.skip(skip);
  const native = defaultCandidates().find((c) => c.name === 'native')!;
  assert.deepEqual(await native.probe(), { available: true, reason: '' });
  const info = await selectBackend({ candidates: defaultCandidates().filter((c) => c.name !== 'tensorflow' && c.name !== 'tensorflow-gpu') });
  assert.equal(info.name, 'native');
  assert.equal(info.tfjsBackend, 'native');
  assert.match(info.device, /native kernels \(OpenBLAS/);
});
