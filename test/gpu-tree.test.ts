/**
 * bench/gpu-tree.ts: what a copy of the working tree holds for a GPU machine, and leaving the committed
 * checkpoints out of it and back, in a throwaway git repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = new URL('../bench/gpu-tree.ts', import.meta.url).pathname;
const TSX = new URL('../node_modules/tsx/dist/esm/index.mjs', import.meta.url).pathname;

function sh(cwd: string, cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
const tree = (cwd: string) => sh(cwd, process.execPath, ['--import', TSX, '-e', `import(${JSON.stringify(SCRIPT)}).then((m) => console.log(JSON.stringify(m.travellingFiles().map((f) => f.path).sort())))`]);
const gpuTree = (cwd: string, command: string) => sh(cwd, process.execPath, ['--import', TSX, SCRIPT, command]);

test('untrack-checkpoints leaves the checkpoints on disk but out of what travels; retrack-checkpoints restores the index exactly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpu-tree-'));
  try {
    sh(dir, 'git', ['init', '-q']);
    for (const f of ['README.md', 'results/pretrained/quick/model.safetensors', 'results/models/a/model.safetensors', 'results/table2.md']) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), f);
    }
    sh(dir, 'git', ['add', '-A']);
    assert.equal(sh(dir, 'git', ['commit', '-q', '-m', 'x']).status, 0);
    writeFileSync(join(dir, 'notes.txt'), 'untracked, not ignored: travels');
    const all = ['README.md', 'notes.txt', 'results/models/a/model.safetensors', 'results/pretrained/quick/model.safetensors', 'results/table2.md'];
    assert.deepEqual(JSON.parse(tree(dir).out), all);

    const u = gpuTree(dir, 'untrack-checkpoints');
    assert.equal(u.status, 0, u.out);
    assert.deepEqual(JSON.parse(tree(dir).out), ['README.md', 'notes.txt', 'results/table2.md']);
    assert.equal(readFileSync(join(dir, 'results/pretrained/quick/model.safetensors'), 'utf8'), 'results/pretrained/quick/model.safetensors');
    assert.match(gpuTree(dir, 'untrack-checkpoints').out, /already out of the index/);

    const r = gpuTree(dir, 'retrack-checkpoints');
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /tracked again, as in HEAD/);
    assert.deepEqual(JSON.parse(tree(dir).out), all);
    assert.equal(sh(dir, 'git', ['status', '--porcelain']).out, '?? notes.txt\n');
    assert.doesNotMatch(readFileSync(join(dir, '.git/info/exclude'), 'utf8'), /results/);
    assert.match(gpuTree(dir, 'retrack-checkpoints').out, /nothing to undo/);

    // uncommitted changes there are refused, so that the index can come back from HEAD
    writeFileSync(join(dir, 'results/models/a/model.safetensors'), 'changed');
    const refused = gpuTree(dir, 'untrack-checkpoints');
    assert.notEqual(refused.status, 0);
    assert.match(refused.out, /have changes that are not committed[\s\S]*commit or stash them first/);
    assert.equal(sh(dir, 'git', ['ls-files', 'results']).out.split('\n').filter(Boolean).length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gpu-tree names its commands when given none', () => {
  const r = gpuTree(tmpdir(), 'nonsense');
  assert.equal(r.status, 2);
  assert.match(r.out, /untrack-checkpoints \| retrack-checkpoints \| rehearse/);
});
