/**
 * Crash-safe writes: a file or a folder is written under a temporary name beside its destination and
 * renamed into place in one step, so readers see either the old complete version or the new one. A
 * write that fails (a full disk: ENOSPC) removes its temporary file, leaves the previous version
 * intact and says which path could not be written.
 */
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The file writer used below; tests replace it to inject a failing disk. */
export const io = { writeFileSync: fs.writeFileSync as (path: string, data: string | Uint8Array) => void };

export class WriteError extends Error {
  /** The system error's code (ENOSPC, EACCES, …), kept so that an enclosing folder write can name itself instead. */
  readonly code: string | undefined;

  constructor(readonly path: string, cause: Error & { code?: string }) {
    super(`cannot write ${path}: ${cause.code ?? cause.message}${cause.code === 'ENOSPC' ? ' (the disk is full)' : ''}; ${fs.existsSync(path) ? 'the previous version is intact' : 'nothing was written'}; free space or fix the cause and run again`);
    this.name = 'WriteError';
    this.code = cause.code;
  }
}

/** Write a file atomically (creating its folder). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  fs.mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    io.writeFileSync(tmp, data);
    fs.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e instanceof WriteError ? e : new WriteError(path, e as Error);
  }
}

/** Write a value as indented JSON (a run record), atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}

/** Fill a fresh sibling folder with `fill`, then replace `dir` with it; on failure nothing is left behind and `dir` is unchanged. */
export async function writeDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const err = e as Error & { code?: string };
    throw err.code ? new WriteError(dir, err) : err;
  }
  if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}
