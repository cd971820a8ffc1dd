/**
 * Downloading one file safely: into `<dest>.part`, resumed with an HTTP Range request when a partial
 * file is already there, checked against the announced length, then renamed onto `dest` in one step,
 * so `dest` either does not exist or is complete.
 */
import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { progress } from './training/progress.js';

export class HttpError extends Error {
  constructor(readonly status: number, url: string, statusText: string) {
    super(`HTTP ${status} ${statusText} for ${url}`);
    this.name = 'HttpError';
  }
}

export interface FetchFileOptions {
  /** Keep and resume a `.part` file left by an interrupted download (default true). */
  resume?: boolean;
  quiet?: boolean;
  label?: string;
  headers?: Record<string, string>;
  /** Give up when the server has not answered (status and headers) within this many ms (default 60 s). */
  answerTimeoutMs?: number;
}

/** Download `url` to `dest`; returns the number of bytes of the complete file. */
export async function fetchFile(url: string, dest: string, opts: FetchFileOptions = {}): Promise<number> {
  const part = `${dest}.part`;
  const resume = opts.resume ?? true;
  if (!resume) rmSync(part, { force: true });
  const have = resume && existsSync(part) ? statSync(part).size : 0;
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (have > 0) headers.range = `bytes=${have}-`;
  let res: Response;
  const answerTimeout = opts.answerTimeoutMs ?? 60_000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${answerTimeout / 1000} s`)), answerTimeout);
  try {
    res = await fetch(url, { headers, redirect: 'follow', signal: abort.signal });
  } catch (e) {
    const why = abort.signal.aborted ? (abort.signal.reason as Error).message : ((e as Error & { cause?: Error }).cause?.message ?? (e as Error).message);
    throw new Error(`network error fetching ${url} (${why}); are you offline?`);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 416 && have > 0) {
    // The partial file is already complete (or stale): start over once.
    rmSync(part, { force: true });
    return fetchFile(url, dest, { ...opts, resume: false });
  }
  if (!res.ok || !res.body) throw new HttpError(res.status, url, res.statusText);
  const appending = res.status === 206 && have > 0;
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? length + (appending ? have : 0) : NaN;
  const bar = opts.quiet ? null : progress(opts.label ?? `download ${url}`, Number.isFinite(total) ? total : 0, 'bytes');
  let received = appending ? have : 0;
  const body = Readable.fromWeb(res.body as ReadableStream);
  body.on('data', (chunk: Buffer) => {
    received += chunk.length;
    bar?.update(received);
  });
  try {
    await pipeline(body, createWriteStream(part, { flags: appending ? 'a' : 'w' }));
  } catch (e) {
    throw new Error(`transfer of ${url} interrupted after ${received} bytes (${(e as Error).message}); run again to resume`);
  } finally {
    bar?.stop();
  }
  if (Number.isFinite(total) && received !== total) {
    throw new Error(`transfer of ${url} interrupted: received ${received} of ${total} bytes; run again to resume`);
  }
  renameSync(part, dest);
  return received;
}
