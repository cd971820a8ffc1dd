/**
 * Where the project is, and paths as results should show them. A run record or a table must read
 * the same on every machine, so a path inside the project is written relative to its root, one under
 * the home folder as `~/…`, and any other only by its file name (records carry a content checksum
 * beside it, which identifies the data wherever it lives).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

const PACKAGE_NAME = 'dnabert-genomic-benchmarks-ts';

function isProjectRoot(dir: string): boolean {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

let found: string | null | undefined;

/** The project's root: DNABERT_PROJECT_ROOT (set by the Makefile), else the nearest folder up from the working directory whose package.json is this project's; null if there is none. */
export function findProjectRoot(): string | null {
  const env = process.env.DNABERT_PROJECT_ROOT;
  if (env && isProjectRoot(env)) return resolve(env);
  if (found !== undefined) return found;
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (isProjectRoot(dir)) return (found = dir);
    if (dirname(dir) === dir) return (found = null);
  }
}

/** The project's root, or an error saying how to name it. */
export function projectRoot(): string {
  const root = findProjectRoot();
  if (!root) throw new Error(`cannot find the project root above ${process.cwd()}: set DNABERT_PROJECT_ROOT to the folder holding this project's package.json`);
  return root;
}

/** A path inside the project, from its root (for files the project ships, such as the bundled data). */
export function projectPath(rel: string): string {
  return join(projectRoot(), rel);
}

function inside(parent: string, p: string): string | null {
  const rel = relative(parent, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)) ? rel : null;
}

/** `p` as results show it: project-relative, `~/…`, or the bare file name. */
export function portablePath(p: string): string {
  const abs = resolve(p);
  const inProject = inside(projectRoot(), abs);
  if (inProject !== null) return inProject || '.';
  const inHome = inside(homedir(), abs);
  if (inHome !== null) return inHome ? `~${sep}${inHome}` : '~';
  return basename(abs);
}
