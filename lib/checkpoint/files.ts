/**
 * A model folder's files, wherever they are: a directory on disk (`dirFiles` in lib/checkpoint/hf.ts)
 * or files picked, dropped or fetched in a browser (`memoryFiles`). The checkpoint readers take this,
 * so the same code loads a model in Node and on the browser page.
 */
import type { ByteSource } from './tensors.js';

export interface ModelFiles {
  /** Where the files are, for messages: a folder path, a URL or a name. */
  where: string;
  /** A file's name as messages show it (e.g. dir/config.json). */
  path(name: string): string;
  has(name: string): boolean;
  text(name: string): string;
  bytes(name: string): Uint8Array;
  /** Random access to a large file without reading it whole (files on disk); readers fall back to bytes(). */
  source?(name: string): ByteSource;
}

/** Files held in memory, by name. */
export function memoryFiles(where: string, files: ReadonlyMap<string, Uint8Array>): ModelFiles {
  const get = (name: string): Uint8Array => {
    const f = files.get(name);
    if (!f) throw new Error(`${where}: no ${name}`);
    return f;
  };
  return {
    where,
    path: (name) => `${where}/${name}`,
    has: (name) => files.has(name),
    text: (name) => new TextDecoder().decode(get(name)),
    bytes: get,
  };
}
