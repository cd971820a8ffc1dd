/**
 * The browser's stand-in for lib/native/addon.ts (substituted by web/build.ts): a page has no native
 * kernels, and the `native` backend is never selected there, so nothing calls `addon()`.
 */
import type { NativeAddon } from '../../lib/native/codes.js';

export { UNARY, BINARY, REDUCE, type NativeAddon } from '../../lib/native/codes.js';

export function loadAddon(): { addon: NativeAddon | null; reason: string } {
  return { addon: null, reason: 'a web page has no native kernels' };
}

export function addon(): NativeAddon {
  throw new Error(`native kernels unavailable: ${loadAddon().reason}`);
}
