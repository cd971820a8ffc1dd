/**
 * Resolving installed packages (their files, e.g. the plotly.js bundle) without `import.meta`, so that
 * lib/ also runs where it is compiled to CommonJS (the tslab notebook kernel). Resolution starts at
 * the working directory — the project root for npm scripts and tests, notebooks/ in Jupyter — and
 * walks up to the project's node_modules.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const projectRequire: NodeJS.Require = createRequire(join(process.cwd(), 'resolve-from-here.js'));
