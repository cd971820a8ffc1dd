import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { downloadPretrained, hubFileUrl, DNABERT6_REVISION, DNABERT6_WEIGHTS_SHA256, pretrainedDir, PinMismatchError, PretrainedUnavailableError } from '../lib/checkpoint/hub.js';
import { contentRangeStart, retryAfterMs } from '../lib/fetch.js';
import { loadCheckpoint } from '../lib/checkpoint/hf.js';
import { serve, tempDir } from './helpers.js';

const FIX = new URL('./fixtures/bert/mlm/', import.meta.url).pathname;
const REPO = 'zhihan1996/DNA_bert_6';

test('hub URLs pin the revision', () => {
  assert.equal(hubFileUrl(REPO, DNABERT6_REVISION, 'config.json', 'https://huggingface.co'), `https://huggingface.co/${REPO}/resolve/a79a8fd96ad172f964a4dbef3f4d7545a5034baa/config.json`);
});

/**
 * A local server that behaves like the Hub: small files answered directly (gzipped only when the
 * client accepts gzip), LFS files (the weights) as a redirect carrying X-Linked-Etag = sha256 to a
 * second path that honours Range; `faults` inject the failures a real download meets.
 */
interface HubFaults {
  /** Answers 429 (Retry-After: 1) this many times to the first request. */
  busy?: number;
  /** Cut the weights transfer after this many bytes, once. */
  cutAt?: number;
  /** X-Linked-Etag to announce (default the weights' real sha256; null: none). */
  etag?: string | null;
  /** Answer a resumed request at the wrong offset, once. */
  badRange?: boolean;
  forbidden?: boolean;
  /** The repository served (default DNABERT-6). */
  repo?: string;
}

async function fakeHub(files: Record<string, Buffer>, faults: HubFaults = {}) {
  const log: { path: string; range: string; encoding: string; agent: string }[] = [];
  const sha = createHash('sha256').update(files['pytorch_model.bin']).digest('hex');
  let busy = faults.busy ?? 0;
  let cut = faults.cutAt;
  let badRange = faults.badRange ?? false;
  const srv = await serve((path, res) => {
    const h = res.req.headers;
    log.push({ path, range: String(h.range ?? ''), encoding: String(h['accept-encoding'] ?? ''), agent: String(h['user-agent'] ?? '') });
    if (busy > 0) {
      busy--;
      return void res.writeHead(429, { 'retry-after': '1' }).end('Too Many Requests');
    }
    if (faults.forbidden) return void res.writeHead(403).end('Forbidden');
    if (path === `/cdn/${sha}`) {
      const body = files['pytorch_model.bin'];
      let start = h.range ? Number(String(h.range).match(/bytes=(\d+)-/)![1]) : 0;
      if (h.range && badRange) {
        badRange = false;
        start = Math.max(0, start - 1000);
      }
      const part = body.subarray(start);
      res.writeHead(h.range ? 206 : 200, { 'content-length': part.length, ...(h.range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
      if (cut !== undefined) {
        res.write(part.subarray(0, cut));
        cut = undefined;
        return void setTimeout(() => res.destroy(), 20);
      }
      return void res.end(part);
    }
    const m = path.match(new RegExp(`^/${faults.repo ?? REPO}/resolve/${DNABERT6_REVISION}/(.+)$`));
    const file = m?.[1];
    if (!file || !files[file]) return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('Entry not found');
    if (file === 'pytorch_model.bin') {
      const etag = faults.etag === undefined ? sha : faults.etag;
      return void res.writeHead(302, { location: `/cdn/${sha}`, ...(etag ? { 'x-linked-etag': `"${etag}"`, 'x-linked-size': String(files[file].length) } : {}) }).end();
    }
    const gzip = /gzip/.test(String(h['accept-encoding'] ?? ''));
    const body = gzip ? gzipSync(files[file]) : files[file];
    res.writeHead(200, { 'content-length': body.length, ...(gzip ? { 'content-encoding': 'gzip' } : {}) }).end(body);
  });
  return { srv, log, sha };
}

const hubFiles = (): Record<string, Buffer> => ({
  'config.json': readFileSync(join(FIX, 'config.json')),
  'vocab.txt': readFileSync(join(FIX, 'vocab.txt')),
  'pytorch_model.bin': readFileSync(join(FIX, 'pytorch_model.bin')),
});

test('download from a Hub-like server: 429 then success, redirect to a Range-honouring CDN, interrupted transfer resumes, checksum checked, nothing half-written in the cache', async () => {
  await tf.setBackend('cpu');
  const files = hubFiles();
  const { srv, log, sha } = await fakeHub(files, { busy: 1, cutAt: 300_000 });
  const cache = tempDir();
  const final = join(cache.path, 'zhihan1996--DNA_bert_6', DNABERT6_REVISION);
  try {
    const opts = { cacheRoot: cache.path, endpoint: srv.url, quiet: true, weightsSha256: sha, maxRetryWaitMs: 2000 };
    await assert.rejects(downloadPretrained(opts), /interrupted.*run again to resume[\s\S]*DNABERT_PRETRAINED_DIR/);
    assert.equal(log[0].path.endsWith('config.json') && log[1].path.endsWith('config.json'), true, 'the 429 was retried');
    assert.equal(existsSync(final), false, 'the cache holds no half-downloaded model');
    const dir = await downloadPretrained(opts);
    assert.equal(dir, final);
    const resumed = log.filter((l) => l.path.startsWith('/cdn/') && l.range);
    assert.equal(resumed.length, 1);
    assert.equal(resumed[0].range, 'bytes=300000-');
    assert.deepEqual([...new Set(log.map((l) => l.encoding))], ['identity'], 'every request asks for the stored bytes');
    assert.ok(log.every((l) => /^dnabert-genomic-benchmarks-ts\/\d+\.\d+\.\d+ \(Node v/.test(l.agent)), log[0].agent);
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'pytorch_model.bin', 'vocab.txt']);
    for (const f of Object.keys(files)) assert.ok(readFileSync(join(dir, f)).equals(files[f]), f);
    assert.deepEqual(readdirSync(join(cache.path, '.incomplete')), [], 'the staging folder was moved into place');
    const { report, model } = await loadCheckpoint(dir);
    assert.deepEqual(report.freshlyInitialised.sort(), ['classifier.bias', 'classifier.weight']);
    model.dispose();
    const before = srv.requests.length;
    await downloadPretrained(opts);
    assert.equal(srv.requests.length, before, 'a complete copy is not fetched again');
  } finally {
    cache.cleanup();
    await srv.close();
  }
});

test('a resumed answer at the wrong offset starts over; the Hub announcing another checksum than the pin stops before any byte', async () => {
  const files = hubFiles();
  const cache = tempDir();
  try {
    const a = await fakeHub(files, { cutAt: 200_000, badRange: true });
    const opts = { cacheRoot: cache.path, endpoint: a.srv.url, quiet: true, weightsSha256: a.sha };
    await assert.rejects(downloadPretrained(opts), /interrupted/);
    const dir = await downloadPretrained(opts);
    assert.ok(readFileSync(join(dir, 'pytorch_model.bin')).equals(files['pytorch_model.bin']));
    assert.deepEqual(a.log.filter((l) => l.path.startsWith('/cdn/')).map((l) => l.range), ['', 'bytes=200000-', ''], 'the mis-ranged answer was dropped and the file fetched whole');
    await a.srv.close();

    const b = await fakeHub(files);
    const other = tempDir();
    const pinned = 'f'.repeat(64);
    await assert.rejects(downloadPretrained({ cacheRoot: other.path, endpoint: b.srv.url, quiet: true, weightsSha256: pinned }), (e: unknown) => {
      assert.ok(e instanceof PinMismatchError);
      assert.match((e as Error).message, new RegExp(`announces sha256 ${b.sha} \\(X-Linked-Etag\\).* but ${pinned} is pinned.*Nothing was downloaded.*DNABERT6_WEIGHTS_SHA256=${b.sha} npm run model -- download`));
      return true;
    });
    assert.equal(b.log.filter((l) => l.path.startsWith('/cdn/')).length, 0, 'no byte of the weights was requested');
    await b.srv.close();
    other.cleanup();
  } finally {
    cache.cleanup();
  }
});

test('a wrong checksum deletes the download; 403 says how to fetch the file by hand', async () => {
  const files = hubFiles();
  const cache = tempDir();
  try {
    const a = await fakeHub(files, { etag: null });
    await assert.rejects(downloadPretrained({ cacheRoot: cache.path, endpoint: a.srv.url, quiet: true, weightsSha256: '0'.repeat(64) }), new RegExp(`pytorch_model\\.bin: sha256 ${a.sha} differs from the expected 0{64}; the download was deleted`));
    const staging = join(cache.path, '.incomplete', `zhihan1996--DNA_bert_6--${DNABERT6_REVISION}`);
    assert.deepEqual(readdirSync(staging).sort(), ['config.json', 'vocab.txt'], 'no weights, whole or partial, are kept');
    assert.equal(existsSync(join(cache.path, 'zhihan1996--DNA_bert_6')), false);
    await a.srv.close();

    // without a pin (another repository), the Hub's X-Linked-Etag is the checksum the download must have
    const b = await fakeHub(files, { etag: 'e'.repeat(64), repo: 'lab/other-bert' });
    const other = tempDir();
    await assert.rejects(downloadPretrained({ repo: 'lab/other-bert', cacheRoot: other.path, endpoint: b.srv.url, quiet: true }), new RegExp(`sha256 ${b.sha} differs from the expected e{64}`));
    await b.srv.close();
    other.cleanup();

    const c = await fakeHub(files, { forbidden: true });
    const third = tempDir();
    await assert.rejects(downloadPretrained({ cacheRoot: third.path, endpoint: c.srv.url, quiet: true, weightsSha256: c.sha }), /HTTP 403 .*the Hub refused the download; fetch http:\/\/127\.0\.0\.1:\d+\/zhihan1996\/DNA_bert_6\/resolve\/a79a8fd9[0-9a-f]+\/config\.json in a browser and put it, with config\.json and vocab\.txt, in .*zhihan1996--DNA_bert_6/);
    await c.srv.close();
    third.cleanup();
  } finally {
    cache.cleanup();
  }
});

test('Retry-After in seconds or as a date; Content-Range starts', () => {
  assert.equal(retryAfterMs('3', 5000), 3000);
  assert.equal(retryAfterMs(null, 5000), 5000);
  assert.equal(retryAfterMs('soon', 5000), 5000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 5000, 4_000), 6000);
  assert.equal(contentRangeStart('bytes 300000-681134/681135'), 300000);
  assert.equal(contentRangeStart('bytes */681135'), null);
  assert.equal(contentRangeStart(null), null);
});

test('DNABERT-6 in a Hugging Face cache (snapshot links into blobs) is found under either name and used in place', async () => {
  const t = tempDir();
  const saved = { hf: process.env.HF_HUB_CACHE, c: process.env.DNABERT_MODEL_CACHE, p: process.env.DNABERT_PRETRAINED_DIR };
  try {
    process.env.HF_HUB_CACHE = join(t.path, 'hub');
    process.env.DNABERT_MODEL_CACHE = join(t.path, 'empty');
    delete process.env.DNABERT_PRETRAINED_DIR;
    assert.throws(() => pretrainedDir(), /Hugging Face cache .*under armheb\/DNA_bert_6 and zhihan1996\/DNA_bert_6/);
    // as huggingface_hub lays it out: blobs named by etag (LFS: the sha256), snapshot files as relative links
    const lay = (repo: string, revision: string) => {
      const base = join(t.path, 'hub', `models--${repo.replace('/', '--')}`);
      mkdirSync(join(base, 'blobs'), { recursive: true });
      mkdirSync(join(base, 'snapshots', revision), { recursive: true });
      for (const [f, blob] of [['config.json', 'c0nf1g'], ['vocab.txt', 'v0cab'], ['pytorch_model.bin', DNABERT6_WEIGHTS_SHA256]]) {
        copyFileSync(join(FIX, f), join(base, 'blobs', blob));
        symlinkSync(join('..', '..', 'blobs', blob), join(base, 'snapshots', revision, f));
      }
      return join(base, 'snapshots', revision);
    };
    const other = lay('zhihan1996/DNA_bert_6', '0123456789abcdef0123456789abcdef01234567');
    assert.equal(pretrainedDir(), other, 'a later snapshot whose weights are the pinned blob');
    const pinned = lay('armheb/DNA_bert_6', DNABERT6_REVISION);
    assert.equal(pretrainedDir(), pinned, 'the pinned revision under the paper\'s name first');
    assert.equal(await downloadPretrained({ cacheRoot: join(t.path, 'empty'), endpoint: 'http://127.0.0.1:9', quiet: true }), pinned, 'no download');
    const { model } = await loadCheckpoint(pinned);
    model.dispose();
  } finally {
    for (const [k, v] of [['HF_HUB_CACHE', saved.hf], ['DNABERT_MODEL_CACHE', saved.c], ['DNABERT_PRETRAINED_DIR', saved.p]] as const) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    t.cleanup();
  }
});

test('without a local copy the pretrained model is reported unavailable with the remedy', () => {
  const cache = tempDir();
  const saved = { c: process.env.DNABERT_MODEL_CACHE, p: process.env.DNABERT_PRETRAINED_DIR };
  try {
    process.env.DNABERT_MODEL_CACHE = cache.path;
    delete process.env.DNABERT_PRETRAINED_DIR;
    assert.throws(() => pretrainedDir(), (e: unknown) => e instanceof PretrainedUnavailableError && /npm run model -- download/.test((e as Error).message));
    process.env.DNABERT_PRETRAINED_DIR = FIX;
    assert.equal(pretrainedDir(), FIX);
    assert.equal(existsSync(join(cache.path, 'x')), false);
  } finally {
    if (saved.c === undefined) delete process.env.DNABERT_MODEL_CACHE; else process.env.DNABERT_MODEL_CACHE = saved.c;
    if (saved.p === undefined) delete process.env.DNABERT_PRETRAINED_DIR; else process.env.DNABERT_PRETRAINED_DIR = saved.p;
    cache.cleanup();
  }
});
