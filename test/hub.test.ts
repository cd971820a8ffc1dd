import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { downloadPretrained, hubFileUrl, DNABERT6_REVISION, pretrainedDir, PretrainedUnavailableError } from '../lib/checkpoint/hub.js';
import { loadCheckpoint } from '../lib/checkpoint/hf.js';
import { serve, tempDir } from './helpers.js';

const FIX = new URL('./fixtures/bert/mlm/', import.meta.url).pathname;
const REPO = 'zhihan1996/DNA_bert_6';

test('hub URLs pin the revision', () => {
  assert.equal(hubFileUrl(REPO, DNABERT6_REVISION, 'config.json', 'https://huggingface.co'), `https://huggingface.co/${REPO}/resolve/a79a8fd96ad172f964a4dbef3f4d7545a5034baa/config.json`);
});

test('download from a local hub: no safetensors → pytorch_model.bin, interrupted transfer resumes with a Range request', async () => {
  await tf.setBackend('cpu');
  const files: Record<string, Buffer> = {
    'config.json': readFileSync(join(FIX, 'config.json')),
    'vocab.txt': readFileSync(join(FIX, 'vocab.txt')),
    'pytorch_model.bin': readFileSync(join(FIX, 'pytorch_model.bin')),
  };
  let cutOnce = true;
  const ranges: string[] = [];
  const srv = await serve((path, res) => {
    const m = path.match(new RegExp(`^/${REPO}/resolve/${DNABERT6_REVISION}/(.+)$`));
    const body = m ? files[m[1]] : undefined;
    if (!body) return void res.writeHead(404).end('Entry not found');
    const range = (res.req.headers.range ?? '') as string;
    if (range) ranges.push(`${m![1]} ${range}`);
    const start = range ? Number(range.match(/bytes=(\d+)-/)![1]) : 0;
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, { 'content-length': part.length, ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (m![1] === 'pytorch_model.bin' && cutOnce) {
      cutOnce = false;
      res.write(part.subarray(0, 300_000));
      setTimeout(() => res.destroy(), 20);
    } else res.end(part);
  });
  const cache = tempDir();
  try {
    await assert.rejects(downloadPretrained({ cacheRoot: cache.path, endpoint: srv.url, quiet: true }), /interrupted.*run again to resume[\s\S]*DNABERT_PRETRAINED_DIR/);
    const dir = await downloadPretrained({ cacheRoot: cache.path, endpoint: srv.url, quiet: true });
    assert.deepEqual(ranges.filter((r) => r.startsWith('pytorch_model.bin')).length, 1);
    assert.match(ranges[0], /^pytorch_model\.bin bytes=\d+-$/);
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'pytorch_model.bin', 'vocab.txt']);
    assert.ok(readFileSync(join(dir, 'pytorch_model.bin')).equals(files['pytorch_model.bin']));
    const { report, model } = await loadCheckpoint(dir);
    assert.deepEqual(report.freshlyInitialised.sort(), ['classifier.bias', 'classifier.weight']);
    model.dispose();
    const before = srv.requests.length;
    await downloadPretrained({ cacheRoot: cache.path, endpoint: srv.url, quiet: true });
    assert.equal(srv.requests.length, before, 'complete files are not fetched again');
  } finally {
    cache.cleanup();
    await srv.close();
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
