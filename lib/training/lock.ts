/**
 * One writer per run: a run holds an exclusive lock file beside its checkpoint naming the host and pid
 * that train it. A second process for the same run (a double sbatch, a second make reproduce beside the
 * first) is refused with the holder's name and exits with its own status (75, "try again later"); a
 * lock whose process is gone (same host, no such pid) is taken over, with a line saying so.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/** The exit status of a command refused because another process holds its run (sysexits' EX_TEMPFAIL). */
export const LOCKED_EXIT = 75;

interface Holder {
  host: string;
  pid: number;
  since: string;
}

export class RunLockedError extends Error {
  readonly exitCode = LOCKED_EXIT;
  constructor(readonly lock: string, readonly holder: Holder) {
    super(`${lock}: this run is being trained by pid ${holder.pid} on ${holder.host} (since ${holder.since}); not starting a second copy — wait for it, or, if that process is gone on another host, delete the lock`);
    this.name = 'RunLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock at `path` (e.g. `<checkpoint>.lock`); returns its release. `log` hears about a taken-over lock. */
export function acquireRunLock(path: string, log: (line: string) => void = console.error): () => void {
  mkdirSync(dirname(path), { recursive: true });
  const me: Holder = { host: hostname(), pid: process.pid, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me) + '\n');
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: Holder;
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    } catch {
      holder = { host: '?', pid: 0, since: '?' }; // unreadable: a writer died mid-write
    }
    const gone = holder.pid === 0 || (holder.host === me.host && !alive(holder.pid));
    if (!gone) throw new RunLockedError(path, holder);
    log(`${path}: taking over the lock of pid ${holder.pid} on ${holder.host} (that process is gone)`);
    rmSync(path, { force: true });
  }
  throw new Error(`${path}: could not take the lock; another process took it at the same moment`);
}
