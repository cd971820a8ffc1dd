/**
 * The code a result came from: the commit of the checkout and whether tracked files other than results
 * differ from it (records written earlier in the same run do not make the code dirty), read once per process (later commits do not change code already loaded). Run and pretraining
 * records carry it.
 */
import { execFileSync } from 'node:child_process';

let code: { commit: string; dirty: boolean } | null = null;

/** The commit of the code this process runs: read once, when the first run starts (later commits do not change loaded code). */
export function gitState(): { commit: string; dirty: boolean } {
  code ??= readGitState();
  return code;
}

function readGitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)results'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown (not a git checkout)', dirty: false };
  }
}
