/**
 * Downloading one file safely: into `<dest>.part`, resumed with an HTTP Range request when a partial
 * file is already there (the answer's Content-Range must start where the partial file ends), checked
 * against the announced length and, where one is given, a sha256, then renamed onto `dest` in one
 * step, so `dest` either does not exist or is complete and verified.
 *
 * Requests ask for the bytes as stored (`Accept-Encoding: identity`: a server that compresses on the
 * fly would otherwise make Content-Length count encoded bytes) and name the project in `User-Agent`.
 * Redirects are followed here, not by fetch, so the first answer's headers (the Hub's X-Linked-Etag)
 * can be checked before any byte is downloaded. 429 and 503 are retried after Retry-After, a bounded
 * number of times; 403 says how to fetch the file by hand.
 */
import { createWriteStream, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { progress } from './progress.js';
import { fileSha256 } from './data/readers.js';
import { findProjectRoot } from './paths.js';
import { join } from 'node:path';

export class HttpError extends Error {
  constructor(readonly status: number, url: string, statusText: string, hint = '') {
    super(`HTTP ${status} ${statusText} for ${url}${hint ? `; ${hint}` : ''}`);
    this.name = 'HttpError';
  }
}

export class ChecksumError extends Error {
  constructor(readonly got: string, readonly expected: string, what: string) {
    super(`${what}: sha256 ${got} differs from the expected ${expected}; the download was deleted`);
    this.name = 'ChecksumError';
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
  /** The sha256 the complete file must have, checked before it is renamed into place; a mismatch deletes it. */
  sha256?: string;
  /**
   * Sees the first answer's headers (before redirects are followed, before any body); may throw to
   * stop, and may return the sha256 the answer announces, checked like `sha256` where that is not given.
   */
  onAnswer?: (headers: Headers) => string | undefined;
  /** 429 / 503: retries (default 4), each after Retry-After (default 5 s) but never longer than maxRetryWaitMs (default 120 s). */
  retries?: number;
  maxRetryWaitMs?: number;
  /** Said after a 403: how to fetch the file by hand and where to put it. */
  forbiddenHint?: string;
}

const MAX_REDIRECTS = 10;

/** `User-Agent` of every download: the project and its version (read once, when the first download starts). */
let userAgent: string | undefined;
export function downloadUserAgent(): string {
  if (userAgent) return userAgent;
  let version = '0';
  try {
    // not import.meta: the notebook kernel loads lib/ as CommonJS
    const root = findProjectRoot();
    if (root) version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // a copy without its package.json
  }
  return (userAgent = `dnabert-genomic-benchmarks-ts/${version} (Node ${process.version})`);
}

/** Retry-After (seconds, or an HTTP date) in ms; `fallback` where absent or unreadable. */
export function retryAfterMs(value: string | null, fallback: number, now = Date.now()): number {
  if (!value) return fallback;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : fallback;
}

/** The first byte a 206 answer's `Content-Range: bytes <first>-<last>/<total>` starts at, or null. */
export function contentRangeStart(value: string | null): number | null {
  const m = value?.match(/^\s*bytes\s+(\d+)-\d+\/(\d+|\*)\s*$/);
  return m ? Number(m[1]) : null;
}

/** GET with our redirect handling and answer timeout; the first answer's headers go to `onAnswer`. */
async function request(url: string, headers: Record<string, string>, o: FetchFileOptions): Promise<{ res: Response; announced: string | undefined }> {
  const answerTimeout = o.answerTimeoutMs ?? 60_000;
  let at = url;
  let announced: string | undefined;
  for (let hop = 0; ; hop++) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${answerTimeout / 1000} s`)), answerTimeout);
    let res: Response;
    try {
      res = await fetch(at, { headers, redirect: 'manual', signal: abort.signal });
    } catch (e) {
      const why = abort.signal.aborted ? (abort.signal.reason as Error).message : ((e as Error & { cause?: Error }).cause?.message ?? (e as Error).message);
      throw new Error(`network error fetching ${at} (${why}); are you offline?`);
    } finally {
      clearTimeout(timer);
    }
    if (hop === 0) announced = o.onAnswer?.(res.headers);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects fetching ${url}`);
      at = new URL(location, at).toString();
      continue;
    }
    return { res, announced };
  }
}

/** Download `url` to `dest`; returns the number of bytes of the complete file. */
export async function fetchFile(url: string, dest: string, opts: FetchFileOptions = {}): Promise<number> {
  const part = `${dest}.part`;
  const what = opts.label ?? url;
  if (!(opts.resume ?? true)) rmSync(part, { force: true });
  const retries = opts.retries ?? 4;
  const maxWait = opts.maxRetryWaitMs ?? 120_000;
  let res: Response;
  let have: number;
  let announced: string | undefined;
  for (let attempt = 0; ; attempt++) {
    have = existsSync(part) ? statSync(part).size : 0;
    const headers: Record<string, string> = { 'user-agent': downloadUserAgent(), ...(opts.headers ?? {}) };
    // with a Range header, fetch itself asks for identity encoding (the Fetch standard), so only one is sent
    if (have > 0) headers.range = `bytes=${have}-`;
    else headers['accept-encoding'] = 'identity';
    ({ res, announced } = await request(url, headers, opts));
    if (res.status === 429 || res.status === 503) {
      await res.body?.cancel();
      const wait = retryAfterMs(res.headers.get('retry-after'), 5_000);
      if (attempt >= retries) throw new HttpError(res.status, url, res.statusText, `still refused after ${retries} retries; try again later`);
      if (wait > maxWait) throw new HttpError(res.status, url, res.statusText, `the server asks to wait ${Math.round(wait / 1000)} s (Retry-After), longer than ${maxWait / 1000} s; try again later`);
      if (!opts.quiet) console.error(`${what}: HTTP ${res.status}, retrying in ${Math.ceil(wait / 1000)} s (${attempt + 1} of ${retries})`);
      await new Promise((r) => setTimeout(r, wait));
      continue;
    }
    if (res.status === 416 && have > 0) {
      // The partial file is already complete (or stale): start over.
      await res.body?.cancel();
      rmSync(part, { force: true });
      continue;
    }
    if (res.status === 206 && have > 0 && contentRangeStart(res.headers.get('content-range')) !== have) {
      // An answer for other bytes than those missing: the partial file cannot be continued.
      await res.body?.cancel();
      if (!opts.quiet) console.error(`${what}: the server resumed at ${res.headers.get('content-range') ?? 'an unstated range'}, not at byte ${have}; starting over`);
      rmSync(part, { force: true });
      continue;
    }
    break;
  }
  if (res.status === 403) throw new HttpError(403, url, res.statusText, opts.forbiddenHint ?? 'the server refused the download');
  if (!res.ok || !res.body) throw new HttpError(res.status, url, res.statusText);
  const encoding = res.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') throw new Error(`${what}: the server sent ${encoding}-encoded bytes although the stored bytes were asked for`);
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
  const expected = opts.sha256 ?? announced;
  if (expected) {
    const got = fileSha256(part);
    if (got !== expected) {
      rmSync(part, { force: true });
      throw new ChecksumError(got, expected, what);
    }
  }
  renameSync(part, dest);
  return received;
}
