/**
 * The working tree as a GPU machine receives it: the files git tracks, and the untracked ones it does not
 * ignore (such a machine may take at most 64 MiB of them with build/gpu). Three commands over it:
 *
 *   untrack-checkpoints   take the committed checkpoints (results/pretrained, results/models; 43 MiB) out of
 *                         git's index, the files staying on disk and ignored through .git/info/exclude, so
 *                         that a copy of the tree leaves them behind (bench/gpu.sh needs none of them)
 *   retrack-checkpoints   undo that: the index entries come back from HEAD and the exclude lines go
 *   rehearse              copy what would travel, with build/gpu, to build/gpu-rehearsal/tree and run
 *                         bench/gpu.sh there on the CPU (GPU_CHECK_DEVICE=cpu): no node_modules, no
 *                         addon built, Node from the bundle, as on the GPU machine
 *
 *   node --import tsx bench/gpu-tree.ts <command>      (make gpu-untrack-checkpoints, gpu-retrack-checkpoints,
 *                                                       gpu-rehearsal)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What a GPU machine accepts in one call: the working tree, build/gpu and the corpus together. */
export const UPLOAD_LIMIT = 64 * 2 ** 20;
/** What comes back from one call: at most this many files in $OUT, each at most this large. */
const RETURN_FILES = 8;
const RETURN_FILE_BYTES = 16 * 2 ** 20;
/** bench/gpu.sh's tar of the pretrained run and its snapshots, split into parts that each come back ($OUT/pretrained.tar.gz.part-aa, …). */
export const PRETRAINED_PARTS = 'pretrained.tar.gz.part-';
/** The committed checkpoints: needed by notebooks and the ladder, not by bench/gpu.sh. */
export const CHECKPOINT_DIRS = ['results/pretrained', 'results/models'] as const;
/** What bench/gpu.sh takes from build/gpu (make gpu-bundle), beside its node-include/ headers. */
const BUNDLE_FILES = ['node.xz', 'tests.mjs', 'bench.mjs', 'pretrain.mjs', 'pretrain-report.mjs'];
/** The pretraining corpus of the GPU call (make genome): ignored by git, so it travels as a carried path. */
export const GPU_CORPUS = 'data/genome/human_GRCh37_chrX_first70Mb.fa.gz';

/** Stop with one line (no stack) where the corpus is missing: `make gpu-bundle` and `make gpu-rehearsal` fetch it first. */
export function requireCorpus(who: string): void {
  if (existsSync(GPU_CORPUS)) return;
  console.error(`${who}: ${GPU_CORPUS} is missing: the GPU call pretrains on it. make genome fetches it (make gpu-bundle and make gpu-rehearsal do so first)`);
  process.exit(1);
}
const BEGIN = '# >>> checkpoints left out of the index for a GPU upload (make gpu-retrack-checkpoints removes this)';
const END = '# <<< checkpoints left out of the index';

function git(args: string[], what: string): string {
  const r = spawnSync('git', args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`${what}: git ${args.join(' ')} failed: ${(r.stderr ?? '').trim()}`);
  return r.stdout;
}

export interface TreeFile {
  path: string;
  bytes: number;
}

/** The files a copy of the working tree holds: tracked or untracked-not-ignored, on disk, links as links. */
export function travellingFiles(): TreeFile[] {
  const listed = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], 'the working tree');
  const files: TreeFile[] = [];
  for (const path of new Set(listed.split('\0').filter(Boolean))) {
    try {
      const s = lstatSync(path);
      if (s.isFile() || s.isSymbolicLink()) files.push({ path, bytes: s.isFile() ? s.size : 0 });
    } catch {
      // in the index but not on disk (deleted, or left out by a sparse checkout): nothing travels
    }
  }
  return files;
}

function excludeFile(): string {
  return git(['rev-parse', '--git-path', 'info/exclude'], 'the exclude file').trim();
}

/** Whether untrack-checkpoints is in effect (its lines are in .git/info/exclude). */
export function checkpointsUntracked(): boolean {
  const f = excludeFile();
  return existsSync(f) && readFileSync(f, 'utf8').includes(BEGIN);
}

function untrack(): void {
  if (checkpointsUntracked()) {
    console.log('gpu-tree: the checkpoints are already out of the index (make gpu-retrack-checkpoints puts them back)');
    return;
  }
  const dirty = git(['status', '--porcelain', '--', ...CHECKPOINT_DIRS], 'untrack-checkpoints').trim();
  if (dirty) throw new Error(`untrack-checkpoints: ${CHECKPOINT_DIRS.join(' and ')} have changes that are not committed:\n${dirty}\ncommit or stash them first, so that retrack-checkpoints can restore the index from HEAD`);
  git(['rm', '-r', '-q', '--cached', '--ignore-unmatch', '--', ...CHECKPOINT_DIRS], 'untrack-checkpoints');
  const f = excludeFile();
  mkdirSync(dirname(f), { recursive: true });
  const before = existsSync(f) ? readFileSync(f, 'utf8') : '';
  const block = [BEGIN, ...CHECKPOINT_DIRS.map((d) => `/${d}/`), END].join('\n');
  writeFileSync(f, `${before}${before && !before.endsWith('\n') ? '\n' : ''}${block}\n`);
  console.log(`gpu-tree: ${CHECKPOINT_DIRS.join(' and ')} are out of git's index and ignored; the files are still on disk.`);
  console.log('gpu-tree: git status now lists their deletion: do not commit it. After the GPU call: make gpu-retrack-checkpoints');
}

function retrack(): void {
  if (!checkpointsUntracked()) {
    console.log(`gpu-tree: nothing to undo: untrack-checkpoints is not in effect (to restore the index from HEAD by hand: git reset -q HEAD -- ${CHECKPOINT_DIRS.join(' ')})`);
    return;
  }
  git(['reset', '-q', 'HEAD', '--', ...CHECKPOINT_DIRS], 'retrack-checkpoints');
  const f = excludeFile();
  if (existsSync(f)) {
    const text = readFileSync(f, 'utf8');
    const a = text.indexOf(BEGIN), b = text.indexOf(END);
    if (a >= 0 && b > a) writeFileSync(f, text.slice(0, a) + text.slice(b + END.length).replace(/^\n/, ''));
  }
  const left = git(['status', '--porcelain', '--', ...CHECKPOINT_DIRS], 'retrack-checkpoints').trim();
  console.log(left ? `gpu-tree: the index is back from HEAD; what still differs there:\n${left}` : `gpu-tree: ${CHECKPOINT_DIRS.join(' and ')} are tracked again, as in HEAD.`);
}

function rehearse(): void {
  const bundle = join('build', 'gpu');
  for (const f of BUNDLE_FILES)
    if (!existsSync(join(bundle, f))) throw new Error(`rehearse: ${join(bundle, f)} is missing: run make gpu-bundle first`);
  const root = join('build', 'gpu-rehearsal');
  const tree = join(root, 'tree');
  rmSync(root, { recursive: true, force: true });
  const files = travellingFiles();
  for (const { path } of files) {
    const to = join(tree, path);
    mkdirSync(dirname(to), { recursive: true });
    if (lstatSync(path).isSymbolicLink()) symlinkSync(readlinkSync(path), to);
    else copyFileSync(path, to);
  }
  const headers = join(bundle, 'node-include');
  mkdirSync(join(tree, headers), { recursive: true });
  for (const f of BUNDLE_FILES) copyFileSync(join(bundle, f), join(tree, bundle, f));
  for (const f of readdirSync(headers)) copyFileSync(join(headers, f), join(tree, headers, f));
  requireCorpus('rehearse');
  mkdirSync(dirname(join(tree, GPU_CORPUS)), { recursive: true });
  copyFileSync(GPU_CORPUS, join(tree, GPU_CORPUS));
  const sent = files.reduce((a, f) => a + f.bytes, 0) + BUNDLE_FILES.reduce((a, f) => a + lstatSync(join(bundle, f)).size, 0) + lstatSync(GPU_CORPUS).size;
  const fits = sent <= UPLOAD_LIMIT ? 'within' : 'OVER (make gpu-untrack-checkpoints)';
  console.log(`gpu-tree: rehearsal tree ${tree}: ${files.length} files and build/gpu, ${(sent / 2 ** 20).toFixed(1)} MiB, ${fits} the ${UPLOAD_LIMIT / 2 ** 20} MiB a GPU machine takes`);
  const out = join(process.cwd(), root, 'out');
  const r = spawnSync('bash', ['bench/gpu.sh'], { cwd: tree, stdio: 'inherit', env: { ...process.env, OUT: out, GPU_CHECK_DEVICE: 'cpu' } });
  const summary = existsSync(join(out, 'tests-summary.txt')) ? readFileSync(join(out, 'tests-summary.txt'), 'utf8') : '';
  const failed = /^not ok/m.test(summary) || !/^# pass [1-9]/m.test(summary);
  const benched = existsSync(join(out, 'bench-gpu.md'));
  const returned = existsSync(out) ? readdirSync(out) : [];
  const pretrained = returned.some((f) => f.startsWith(PRETRAINED_PARTS)) && returned.includes('pretrain-gpu.md');
  const backOk = returned.length <= RETURN_FILES && returned.every((f) => /^[A-Za-z0-9._-]+$/.test(f) && lstatSync(join(out, f)).isFile() && lstatSync(join(out, f)).size <= RETURN_FILE_BYTES);
  const ok = r.status === 0 && !failed && benched && pretrained && backOk && sent <= UPLOAD_LIMIT;
  console.log(`gpu-tree: rehearsal ${ok ? 'passed' : 'FAILED'}: upload ${(sent / 2 ** 20).toFixed(1)} MiB (limit ${UPLOAD_LIMIT / 2 ** 20}); tests ${failed ? 'failed or did not run' : 'passed'}; ${pretrained ? 'pretraining parts and pretrain-gpu.md written' : 'no pretraining output'}; ${benched ? 'bench-gpu.md written' : 'no bench-gpu.md'}; ${returned.length} files back (at most ${RETURN_FILES}, each ≤ ${RETURN_FILE_BYTES / 2 ** 20} MiB: ${backOk ? 'yes' : 'NO'}) (${out})`);
  if (!ok) process.exit(1);
}

const command = process.argv[2];
const commands: Record<string, () => void> = { 'untrack-checkpoints': untrack, 'retrack-checkpoints': retrack, rehearse };
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!command || !commands[command]) {
    console.error(`usage: node --import tsx bench/gpu-tree.ts ${Object.keys(commands).join(' | ')}`);
    process.exit(2);
  }
  commands[command]();
}
