/**
 * Download a Genomic Benchmarks dataset from its Zenodo cache (record 16605299, file
 * `<name>_v<version>.zip`) into a local root, safely:
 *
 * - the archive is written to a temporary file and checked against the announced size (ZIP64
 *   archives too: human_enhancers_ensembl has 154,842 files, more than a classic zip can count);
 * - it is extracted into a temporary folder, checked structurally (class folders and per-class counts
 *   against the registry) and only then moved into place with one rename;
 * - on any failure nothing half-written is left behind, and the error says what failed and how to
 *   place the data by hand.
 *
 * No metadata is fetched at run time: what a dataset must contain comes from the registry.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { getDataset } from './registry.js';
import { readDatasetFolder, readFolderDataset, PACKAGE_CACHE_ROOT } from './readers.js';
import { fetchFile } from '../fetch.js';

export const ZENODO_RECORD = '16605299';
export const DEFAULT_DATA_URL = `https://zenodo.org/records/${ZENODO_RECORD}/files`;

/** URL of a dataset archive; the base may be overridden with DNABERT_DATA_URL (e.g. a mirror). */
export function datasetUrl(name: string, version: number, base = process.env.DNABERT_DATA_URL ?? DEFAULT_DATA_URL): string {
  return `${base.replace(/\/$/, '')}/${name}_v${version}.zip?download=1`;
}

export class DownloadError extends Error {
  constructor(name: string, url: string, root: string, reason: string) {
    super(
      `Could not download dataset '${name}' from ${url}: ${reason}\n` +
        `To place it by hand: fetch that file on a machine with network access, unzip it so that ` +
        `${join(root, name)}/{train,test}/<class>/<id>.txt exist, and run again ` +
        `(or point DNABERT_DATA_DIR at the folder that holds '${name}/').`,
    );
    this.name = 'DownloadError';
  }
}

function unzip(zipPath: string, dest: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    yauzl.open(zipPath, { lazyEntries: true, strictFileNames: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open archive'));
      let files = 0;
      const root = resolve(dest) + sep;
      zip.on('error', reject);
      zip.on('end', () => resolvePromise(files));
      zip.on('entry', (entry: yauzl.Entry) => {
        const target = resolve(dest, entry.fileName);
        if (!target.startsWith(root)) return reject(new Error(`archive entry '${entry.fileName}' points outside the target folder`));
        if (entry.fileName.endsWith('/')) {
          mkdirSync(target, { recursive: true });
          return zip.readEntry();
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error(`cannot read ${entry.fileName}`));
          mkdir(dirname(target), { recursive: true })
            .then(() => pipeline(stream, createWriteStream(target)))
            .then(() => {
              files++;
              zip.readEntry();
            }, reject);
        });
      });
      zip.readEntry();
    });
  });
}

/** Find the dataset folder inside an extracted archive (the archive may or may not wrap it in `<name>/`). */
function findExtracted(tmp: string, name: string): string {
  if (existsSync(join(tmp, name, 'train'))) return join(tmp, name);
  if (existsSync(join(tmp, 'train'))) return tmp;
  throw new Error(`the archive has neither '${name}/train' nor 'train' at its top (found: ${readdirSync(tmp).join(', ') || 'nothing'})`);
}

export interface DownloadOptions {
  /** Where datasets live; default the Python package's cache (~/.genomic_benchmarks). */
  root?: string;
  /** Archive base URL (default Zenodo, or DNABERT_DATA_URL). */
  baseUrl?: string;
  /** Replace an existing copy. */
  force?: boolean;
  /** Quiet: no progress output. */
  quiet?: boolean;
}

/**
 * Make `<root>/<name>` hold a complete copy of the dataset, downloading it if needed.
 * Returns the dataset folder.
 */
export async function downloadDataset(name: string, opts: DownloadOptions = {}): Promise<string> {
  const spec = getDataset(name);
  const root = opts.root ?? PACKAGE_CACHE_ROOT;
  const finalDir = join(root, name);
  if (existsSync(finalDir) && !opts.force) {
    readFolderDataset(root, name); // throws with a clear message if the existing copy is broken
    return finalDir;
  }
  const url = datasetUrl(name, spec.version, opts.baseUrl);
  mkdirSync(root, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const zipPath = join(root, `.${name}.${stamp}.zip`);
  const tmpDir = join(root, `.${name}.${stamp}.extract`);
  const cleanup = () => {
    rmSync(zipPath, { force: true });
    rmSync(`${zipPath}.part`, { force: true });
    rmSync(tmpDir, { recursive: true, force: true });
  };
  try {
    await fetchFile(url, zipPath, {
      resume: false,
      quiet: opts.quiet,
      label: `download ${name}`,
      // Zenodo answers some clients 403 or 429 ("unusual traffic"): 429 is retried after Retry-After
      forbiddenHint: 'Zenodo refused the download (it turns away some automated clients)',
    });
    try {
      await unzip(zipPath, tmpDir);
    } catch (e) {
      throw new Error(`the archive is corrupt or not a zip file (${(e as Error).message})`);
    }
    const extracted = findExtracted(tmpDir, name);
    readDatasetFolder(extracted, name, { checkCounts: true });
    if (existsSync(finalDir)) rmSync(finalDir, { recursive: true, force: true });
    renameSync(extracted, finalDir);
    cleanup();
    return finalDir;
  } catch (e) {
    cleanup();
    throw new DownloadError(name, url, root, (e as Error).message);
  }
}
