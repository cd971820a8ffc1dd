/**
 * Pretrained DNABERT weights from the Hugging Face Hub, pinned to a revision and a checksum, cached locally.
 *
 * `armheb/DNA_bert_6` (the paper's model id) now redirects to `zhihan1996/DNA_bert_6`; the revision of
 * the paper's time is pinned so the weights cannot change under a result, and so is the sha256 of its
 * `pytorch_model.bin` (a legacy-format torch file of the original DNABERT release, about 359 MB, read by
 * lib/checkpoint/torch-legacy.ts). Where the weights are looked for, in order: DNABERT_PRETRAINED_DIR,
 * this project's cache, the Hugging Face cache of researchers who ran the Python code (used in place,
 * read-only). Nothing is fetched implicitly: `pretrainedDir` reports, with the remedy, when there is
 * no copy; `downloadPretrained` fetches into a staging folder and moves it into the cache only when
 * every file is complete and the weights match their checksum, so the cache never holds half a model.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import os from 'node:os';
import { fetchFile, HttpError } from '../fetch.js';
import { portablePath } from '../paths.js';

export const DNABERT6_REPO = 'zhihan1996/DNA_bert_6';
/** The paper's model id, which redirects to DNABERT6_REPO. */
export const DNABERT6_PAPER_ID = 'armheb/DNA_bert_6';
export const DNABERT6_REVISION = 'a79a8fd96ad172f964a4dbef3f4d7545a5034baa';
/** sha256 of pytorch_model.bin at DNABERT6_REVISION (the Hub's Git LFS details; unchanged since its upload in 2021). */
export const DNABERT6_WEIGHTS_SHA256 = 'e1688c3a3f881daff02a42b487e04612c4ec9ef33f1f02fa5f4e67d7b9865ca9';
/** Where the pin may be replaced, after reading why in the mismatch message. */
const PIN_OVERRIDE = 'DNABERT6_WEIGHTS_SHA256';

/** Hub endpoint; HF_ENDPOINT overrides it (mirrors, tests). */
export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/$/, '');
}

export function hubFileUrl(repo: string, revision: string, file: string, endpoint = hubEndpoint()): string {
  return `${endpoint}/${repo}/resolve/${revision}/${file}`;
}

/** Cache root for models: DNABERT_MODEL_CACHE, else ~/.cache/dnabert-ts/models. */
export function modelCacheRoot(): string {
  return process.env.DNABERT_MODEL_CACHE ?? join(os.homedir(), '.cache', 'dnabert-ts', 'models');
}

export function cachedModelDir(repo: string, revision: string, root = modelCacheRoot()): string {
  return join(root, repo.replace('/', '--'), revision);
}

/** A directory holds a usable checkpoint: config, vocabulary and one weights file. */
export function isCheckpointDir(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'vocab.txt')) &&
    (existsSync(join(dir, 'model.safetensors')) || existsSync(join(dir, 'pytorch_model.bin')));
}

/** The pinned sha256 of a repository's weights at a revision (DNABERT-6 at the paper's revision), or undefined. */
export function pinnedWeightsSha256(repo: string, revision: string): string | undefined {
  if (![DNABERT6_REPO, DNABERT6_PAPER_ID].includes(repo) || revision !== DNABERT6_REVISION) return undefined;
  return process.env[PIN_OVERRIDE] || DNABERT6_WEIGHTS_SHA256;
}

/** The Hugging Face cache: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hfHubCache(): string {
  return process.env.HF_HUB_CACHE ?? join(process.env.HF_HOME ?? join(os.homedir(), '.cache', 'huggingface'), 'hub');
}

/**
 * DNABERT-6 in the Hugging Face cache (`models--<owner>--<name>/snapshots/<revision>/`, files linked
 * into `blobs/`), under either repository name: the pinned revision's snapshot, or any snapshot whose
 * pytorch_model.bin is the blob named by the pinned checksum (LFS blobs are named by their sha256).
 */
export function hfCacheSnapshot(root = hfHubCache()): string | null {
  const sha = pinnedWeightsSha256(DNABERT6_REPO, DNABERT6_REVISION);
  for (const repo of [DNABERT6_PAPER_ID, DNABERT6_REPO]) {
    const snapshots = join(root, `models--${repo.replace('/', '--')}`, 'snapshots');
    if (!existsSync(snapshots)) continue;
    const pinned = join(snapshots, DNABERT6_REVISION);
    if (isCheckpointDir(pinned)) return pinned;
    for (const rev of readdirSync(snapshots)) {
      const dir = join(snapshots, rev);
      const weights = join(dir, 'pytorch_model.bin');
      if (isCheckpointDir(dir) && existsSync(weights) && basename(realpathSync(weights)) === sha) return dir;
    }
  }
  return null;
}

export interface HubDownloadOptions {
  repo?: string;
  revision?: string;
  cacheRoot?: string;
  endpoint?: string;
  quiet?: boolean;
  /** sha256 pytorch_model.bin must have (default: the pin of DNABERT-6 at the paper's revision; else the Hub's X-Linked-Etag). */
  weightsSha256?: string;
  /** 429/503 retries and the longest wait (tests shorten them). */
  retries?: number;
  maxRetryWaitMs?: number;
}

export class PinMismatchError extends Error {
  constructor(readonly hub: string, readonly pinned: string, repo: string, revision: string) {
    super(
      `The Hub announces sha256 ${hub} (X-Linked-Etag) for pytorch_model.bin of ${repo}@${revision.slice(0, 8)}, but ${pinned} is pinned ` +
        `(lib/checkpoint/hub.ts). Nothing was downloaded. If the Hub's file is the one you want, accept its checksum with ` +
        `${PIN_OVERRIDE}=${hub} npm run model -- download (and results will name the weights by that checksum).`,
    );
    this.name = 'PinMismatchError';
  }
}

/** A Git LFS file's sha256 from the Hub's X-Linked-Etag (quoted, maybe weak), or null for other files. */
export function linkedSha256(headers: Headers): string | null {
  const etag = headers.get('x-linked-etag')?.replace(/^W\//, '').replace(/"/g, '').trim();
  return etag && /^[0-9a-f]{64}$/.test(etag) ? etag : null;
}

/**
 * Download config.json, vocab.txt and the weights (model.safetensors where the repository has it,
 * else pytorch_model.bin) into `<cache>/.incomplete/…`, where an interrupted download resumes; the
 * weights are checked against their pinned sha256 (and the Hub's X-Linked-Etag against the pin before
 * any byte is fetched); then the folder is moved into the cache in one rename. A copy in the cache, or
 * (for DNABERT-6) in the Hugging Face cache, is returned without a download.
 */
export async function downloadPretrained(opts: HubDownloadOptions = {}): Promise<string> {
  const repo = opts.repo ?? DNABERT6_REPO;
  const revision = opts.revision ?? DNABERT6_REVISION;
  const cacheRoot = opts.cacheRoot ?? modelCacheRoot();
  const dir = cachedModelDir(repo, revision, cacheRoot);
  if (isCheckpointDir(dir)) return dir;
  const pin = opts.weightsSha256 ?? pinnedWeightsSha256(repo, revision);
  if (pin && pin === pinnedWeightsSha256(DNABERT6_REPO, DNABERT6_REVISION)) {
    const hf = hfCacheSnapshot();
    if (hf) return hf;
  }
  const staging = join(cacheRoot, '.incomplete', `${repo.replace('/', '--')}--${revision}`);
  mkdirSync(staging, { recursive: true });
  const endpoint = opts.endpoint ?? hubEndpoint();
  const get = async (file: string, weights = false) => {
    const dest = join(staging, file);
    if (existsSync(dest)) return;
    const url = hubFileUrl(repo, revision, file, endpoint);
    const pinned = file === 'pytorch_model.bin' ? pin : undefined;
    await fetchFile(url, dest, {
      quiet: opts.quiet,
      label: `${repo} ${file}`,
      retries: opts.retries,
      maxRetryWaitMs: opts.maxRetryWaitMs,
      forbiddenHint: `the Hub refused the download; fetch ${url} in a browser and put it, with config.json and vocab.txt, in ${dir} (or set DNABERT_PRETRAINED_DIR to the folder that holds them)`,
      // the pin is of pytorch_model.bin; weights without one are checked against what the Hub announces
      sha256: pinned,
      onAnswer: (headers) => {
        const hub = weights ? linkedSha256(headers) : null;
        if (hub && pinned && hub !== pinned) throw new PinMismatchError(hub, pinned, repo, revision);
        return hub ?? undefined;
      },
    });
  };
  try {
    await get('config.json');
    await get('vocab.txt');
    if (!existsSync(join(staging, 'pytorch_model.bin'))) {
      try {
        await get('model.safetensors', true);
      } catch (e) {
        if (!(e instanceof HttpError && e.status === 404)) throw e;
        await get('pytorch_model.bin', true);
      }
    }
  } catch (e) {
    if (e instanceof PinMismatchError) throw e;
    throw new Error(
      `Could not download ${repo}@${revision.slice(0, 8)}: ${(e as Error).message}\n` +
        `To use the pretrained weights offline, copy config.json, vocab.txt and pytorch_model.bin of ${DNABERT6_PAPER_ID} ` +
        `(revision ${revision}) into ${dir}, or set DNABERT_PRETRAINED_DIR to a folder that holds them.`,
    );
  }
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}

export class PretrainedUnavailableError extends Error {
  /** `dir`: the cache folder looked in, named in the message from the cache root (results must not carry absolute paths). */
  constructor(dir: string, cacheRoot = modelCacheRoot()) {
    const where = relative(cacheRoot, dir);
    super(
      `The pretrained DNABERT weights (${DNABERT6_PAPER_ID}, revision ${DNABERT6_REVISION.slice(0, 8)}) are not available locally ` +
        `(looked in ${process.env.DNABERT_PRETRAINED_DIR ? `$DNABERT_PRETRAINED_DIR, ` : ''}the model cache ${portablePath(cacheRoot)}, ${where}, and the Hugging Face cache ` +
        `${portablePath(hfHubCache())} under ${DNABERT6_PAPER_ID} and ${DNABERT6_REPO}). ` +
        'Fetch them with `npm run model -- download` on a machine with network access, or set DNABERT_PRETRAINED_DIR ' +
        'to a folder holding config.json, vocab.txt and pytorch_model.bin.',
    );
    this.name = 'PretrainedUnavailableError';
  }
}

/** The local directory of the pretrained weights: DNABERT_PRETRAINED_DIR, the cache, the Hugging Face cache; never downloads. */
export function pretrainedDir(): string {
  const explicit = process.env.DNABERT_PRETRAINED_DIR;
  if (explicit && isCheckpointDir(explicit)) return explicit;
  const cached = cachedModelDir(DNABERT6_REPO, DNABERT6_REVISION);
  if (isCheckpointDir(cached)) return cached;
  const hf = hfCacheSnapshot();
  if (hf) return hf;
  throw new PretrainedUnavailableError(cached);
}
