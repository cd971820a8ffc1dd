import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { downloadDataset, DownloadError, datasetUrl } from '../../lib/data/download.js';
import { readFolderDataset } from '../../lib/data/readers.js';
import { serve, tempDir, writeFolderDataset, zipFolder } from '../helpers.js';
import { fetchFile } from '../../lib/fetch.js';
import yazl from 'yazl';

// A registry dataset whose counts are not pinned, so a small generated copy passes the structural check.
const NAME = 'dummy_mouse_enhancers_ensembl';

async function makeZip(counts = { train: { negative: 4, positive: 3 }, test: { negative: 2, positive: 2 } }, name = NAME): Promise<Buffer> {
  const src = tempDir();
  try {
    writeFolderDataset(src.path, name, counts);
    return await zipFolder(join(src.path, name), src.path);
  } finally {
    src.cleanup();
  }
}

function leftovers(root: string): string[] {
  return existsSync(root) ? readdirSync(root).filter((f) => f.startsWith('.')) : [];
}

test('the archive URL follows the Zenodo record layout', () => {
  assert.equal(datasetUrl('human_enhancers_cohn', 0, 'https://zenodo.org/records/16605299/files'), 'https://zenodo.org/records/16605299/files/human_enhancers_cohn_v0.zip?download=1');
});

test('download: success extracts atomically and passes the structural check; a second call does not refetch', async () => {
  const zip = await makeZip();
  const srv = await serve((path, res) => {
    if (path === `/${NAME}_v0.zip`) {
      res.writeHead(200, { 'content-length': zip.length });
      res.end(zip);
    } else {
      res.writeHead(404).end();
    }
  });
  const root = tempDir();
  try {
    const dir = await downloadDataset(NAME, { root: root.path, baseUrl: srv.url, quiet: true });
    assert.equal(dir, join(root.path, NAME));
    const ds = readFolderDataset(root.path, NAME);
    assert.equal(ds.train.seqs.length, 7);
    assert.equal(ds.test.seqs.length, 4);
    assert.deepEqual(leftovers(root.path), []);
    await downloadDataset(NAME, { root: root.path, baseUrl: srv.url, quiet: true });
    assert.equal(srv.requests.length, 1);
  } finally {
    root.cleanup();
    await srv.close();
  }
});

test('download: an interrupted transfer leaves nothing behind and says how to place the data by hand', async () => {
  const zip = await makeZip();
  const srv = await serve((_path, res) => {
    res.writeHead(200, { 'content-length': zip.length });
    res.write(zip.subarray(0, Math.floor(zip.length / 2)));
    setTimeout(() => res.destroy(), 20);
  });
  const root = tempDir();
  try {
    await assert.rejects(downloadDataset(NAME, { root: root.path, baseUrl: srv.url, quiet: true }), (e: unknown) => {
      assert.ok(e instanceof DownloadError);
      assert.match(e.message, /interrupted/);
      assert.match(e.message, /To place it by hand/);
      return true;
    });
    assert.equal(existsSync(join(root.path, NAME)), false);
    assert.deepEqual(leftovers(root.path), []);
  } finally {
    root.cleanup();
    await srv.close();
  }
});

test('download: a corrupt archive, an HTTP error and an archive with wrong counts all fail cleanly', async () => {
  const good = await makeZip();
  const corrupt = Buffer.from(good);
  corrupt.fill(0x41, 0, Math.min(200, corrupt.length)); // smash the first local header
  corrupt.fill(0x42, corrupt.length - 40); // and the central directory
  const short = await makeZip({ train: { negative: 1, positive: 1 }, test: { negative: 1, positive: 1 } }, 'human_enhancers_cohn');
  const srv = await serve((path, res) => {
    if (path === `/${NAME}_v0.zip`) res.writeHead(200, { 'content-length': corrupt.length }).end(corrupt);
    else if (path === '/human_enhancers_cohn_v0.zip') res.writeHead(200, { 'content-length': short.length }).end(short);
    else res.writeHead(503).end('quota exceeded');
  });
  const root = tempDir();
  try {
    await assert.rejects(downloadDataset(NAME, { root: root.path, baseUrl: srv.url, quiet: true }), /corrupt or not a zip/);
    await assert.rejects(downloadDataset('human_enhancers_cohn', { root: root.path, baseUrl: srv.url, quiet: true }), /official human_enhancers_cohn train split has 10422/);
    await assert.rejects(downloadDataset('demo_human_or_worm', { root: root.path, baseUrl: srv.url, quiet: true }), /HTTP 503/);
    assert.deepEqual(readdirSync(root.path), []);
  } finally {
    root.cleanup();
    await srv.close();
  }
});

test('download: unreachable host is reported as a network error', async () => {
  const root = tempDir();
  try {
    await assert.rejects(downloadDataset(NAME, { root: root.path, baseUrl: 'http://127.0.0.1:9', quiet: true }), /network error/);
  } finally {
    root.cleanup();
  }
});

test('a server that never answers is given up on after the answer timeout, leaving nothing behind', async () => {
  const srv = await serve(() => {}); // accepts the connection, never responds
  const root = tempDir();
  try {
    const dest = join(root.path, 'x.zip');
    await assert.rejects(fetchFile(`${srv.url}/x.zip`, dest, { quiet: true, answerTimeoutMs: 300 }), /network error fetching .*\(no answer within 0\.3 s\); are you offline\?/);
    assert.deepEqual(readdirSync(root.path), []);
  } finally {
    await srv.close();
    root.cleanup();
  }
});

test('download: a ZIP64 archive (more than 65,535 entries, as human_enhancers_ensembl has) goes through download → unpack → verify', async () => {
  // built in memory: 70,000 one-line sequence files in the Genomic Benchmarks layout
  const zip = new yazl.ZipFile();
  const counts = { train: { negative: 30_000, positive: 30_000 }, test: { negative: 5_000, positive: 5_000 } };
  let n = 0;
  for (const [split, classes] of Object.entries(counts)) {
    for (const [cls, count] of Object.entries(classes)) {
      for (let i = 0; i < count; i++) zip.addBuffer(Buffer.from('ACGT'.repeat(5) + 'ACGT'[n++ % 4]), `${NAME}/${split}/${cls}/${i}.txt`, { compress: false });
    }
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  const bytes = Buffer.concat(chunks);
  // the ZIP64 end-of-central-directory record (signature 0x06064b50) is there, and the classic record's count is saturated
  assert.ok(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'a ZIP64 archive');
  const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.equal(bytes.readUInt16LE(eocd + 10), 0xffff);
  const srv = await serve((_path, res) => res.writeHead(200, { 'content-length': bytes.length }).end(bytes));
  const root = tempDir();
  try {
    await downloadDataset(NAME, { root: root.path, baseUrl: srv.url, quiet: true });
    const ds = readFolderDataset(root.path, NAME);
    assert.equal(ds.train.seqs.length, 60_000);
    assert.equal(ds.test.seqs.length, 10_000);
    assert.deepEqual(leftovers(root.path), []);
  } finally {
    root.cleanup();
    await srv.close();
  }
});
