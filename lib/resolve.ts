/**
 * Resolving installed packages (their files, e.g. the plotly.js bundle) without `import.meta`, so that
 * lib/ also runs where it is compiled to CommonJS (the tslab notebook kernel). Resolution starts at
 * the working directory — the project root for npm scripts and tests, notebooks/ in Jupyter — and
 * walks up to the project's node_modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const projectRequire: NodeJS.Require = createRequire(join(process.cwd(), 'resolve-from-here.js'));

/**
 * One of the project's compiled addons: the module at `file`, or null with the reason — the failure its
 * build recorded in `statusFile` (`{ ok, reason }`), `notBuilt` when there is neither, or the load error
 * followed by `rebuild`.
 */
export function loadBuiltAddon<T>(file: string, statusFile: string, notBuilt: string, rebuild: string): { addon: T | null; reason: string } {
  if (!existsSync(file)) {
    const s = existsSync(statusFile) ? (JSON.parse(readFileSync(statusFile, 'utf8')) as { ok?: boolean; reason?: string }) : null;
    return { addon: null, reason: s && !s.ok && s.reason ? `the addon was not built: ${s.reason}` : notBuilt };
  }
  try {
    return { addon: projectRequire(file) as T, reason: '' };
  } catch (err) {
    return { addon: null, reason: `the addon failed to load: ${(err as Error).message.split('\n')[0]} (${rebuild})` };
  }
}
