/**
 * Loading the project's native CPU kernels (native/: an N-API addon over OpenBLAS, built by
 * `npm install` / `make setup`). When the addon is missing, the reason is kept for the backend module
 * to show: the build log summary in native/build/status.json, or the load error.
 */
import { join } from 'node:path';
import { loadBuiltAddon } from '../resolve.js';
import { findProjectRoot } from '../paths.js';

import type { NativeAddon } from './codes.js';

export { UNARY, BINARY, REDUCE, type NativeAddon } from './codes.js';

/** The addon under `root`, or null with the reason (build status, missing file or load error). */
export function readAddon(root: string): { addon: NativeAddon | null; reason: string } {
  const build = join(root, 'native', 'build');
  return loadBuiltAddon<NativeAddon>(join(build, 'Release', 'dnabert_native.node'), join(build, 'status.json'), 'the addon has not been built (run make setup, or make native)', 'rebuild with make native');
}

let cached: { addon: NativeAddon | null; reason: string } | null = null;

/** Whether this process has loaded the native addon (and with it OpenBLAS's OpenMP build). */
export function nativeLoaded(): boolean {
  return Boolean(cached?.addon);
}

/** The project's addon, or null with the reason it is unavailable (cached after the first call). */
export function loadAddon(): { addon: NativeAddon | null; reason: string } {
  if (cached) return cached;
  const root = findProjectRoot();
  cached = root ? readAddon(root) : { addon: null, reason: 'the project root (with native/) was not found above the working directory (set DNABERT_PROJECT_ROOT)' };
  return cached;
}

/** The addon; throws with the reason when it is unavailable. */
export function addon(): NativeAddon {
  const { addon: a, reason } = loadAddon();
  if (!a) throw new Error(`native kernels unavailable: ${reason}`);
  return a;
}
