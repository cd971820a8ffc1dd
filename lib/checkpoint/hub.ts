/**
 * Pretrained DNABERT weights from the Hugging Face Hub, pinned to a revision, cached locally.
 *
 * `armheb/DNA_bert_6` (the paper's model id) now redirects to `zhihan1996/DNA_bert_6`; the revision of
 * the paper's time is pinned so the weights cannot change under a result. Files are fetched with
 * lib/fetch.ts (resumable, atomic). Nothing is fetched implicitly: `pretrainedDir` looks for a local
 * copy and reports, with the remedy, when there is none.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import os from 'node:os';
import { fetchFile, HttpError } from '../fetch.js';
import { portablePath } from '../paths.js';

export const DNABERT6_REPO = 'zhihan1996/DNA_bert_6';
/** The paper's model id, which redirects to DNABERT6_REPO. */
export const DNABERT6_PAPER_ID = 'armheb/DNA_bert_6';
export const DNABERT6_REVISION = 'a79a8fd96ad172f964a4dbef3f4d7545a5034baa';

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

export interface HubDownloadOptions {
  repo?: string;
  revision?: string;
  cacheRoot?: string;
  endpoint?: string;
  quiet?: boolean;
}

/**
 * Download config.json, vocab.txt and the weights (model.safetensors where the repository has it,
 * else pytorch_model.bin) into the cache; files already complete are not fetched again, and an
 * interrupted weights download resumes. Returns the directory.
 */
export async function downloadPretrained(opts: HubDownloadOptions = {}): Promise<string> {
  const repo = opts.repo ?? DNABERT6_REPO;
  const revision = opts.revision ?? DNABERT6_REVISION;
  const dir = cachedModelDir(repo, revision, opts.cacheRoot);
  mkdirSync(dir, { recursive: true });
  const get = async (file: string) => {
    const dest = join(dir, file);
    if (existsSync(dest)) return;
    await fetchFile(hubFileUrl(repo, revision, file, opts.endpoint ?? hubEndpoint()), dest, { quiet: opts.quiet, label: `${repo} ${file}` });
  };
  try {
    await get('config.json');
    await get('vocab.txt');
    if (!existsSync(join(dir, 'pytorch_model.bin'))) {
      try {
        await get('model.safetensors');
      } catch (e) {
        if (!(e instanceof HttpError && e.status === 404)) throw e;
        await get('pytorch_model.bin');
      }
    }
  } catch (e) {
    throw new Error(
      `Could not download ${repo}@${revision.slice(0, 8)}: ${(e as Error).message}\n` +
        `To use the pretrained weights offline, copy config.json, vocab.txt and pytorch_model.bin of ${DNABERT6_PAPER_ID} ` +
        `(revision ${revision}) into ${dir}, or set DNABERT_PRETRAINED_DIR to a folder that holds them.`,
    );
  }
  return dir;
}

export class PretrainedUnavailableError extends Error {
  /** `dir`: the cache folder looked in, named in the message from the cache root (results must not carry absolute paths). */
  constructor(dir: string, cacheRoot = modelCacheRoot()) {
    const where = relative(cacheRoot, dir);
    super(
      `The pretrained DNABERT weights (${DNABERT6_PAPER_ID}, revision ${DNABERT6_REVISION.slice(0, 8)}) are not available locally ` +
        `(looked in ${process.env.DNABERT_PRETRAINED_DIR ? `$DNABERT_PRETRAINED_DIR and ` : ''}the model cache ${portablePath(cacheRoot)}, ${where}). ` +
        'Fetch them with `npm run model -- download` on a machine with network access, or set DNABERT_PRETRAINED_DIR ' +
        'to a folder holding config.json, vocab.txt and pytorch_model.bin.',
    );
    this.name = 'PretrainedUnavailableError';
  }
}

/** The local directory of the pretrained weights: DNABERT_PRETRAINED_DIR, else the cache; never downloads. */
export function pretrainedDir(): string {
  const explicit = process.env.DNABERT_PRETRAINED_DIR;
  if (explicit && isCheckpointDir(explicit)) return explicit;
  const cached = cachedModelDir(DNABERT6_REPO, DNABERT6_REVISION);
  if (isCheckpointDir(cached)) return cached;
  throw new PretrainedUnavailableError(cached);
}
