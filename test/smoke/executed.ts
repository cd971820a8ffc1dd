/** The outputs of executed notebooks (results/executed/), for the smoke check and the fresh-clone test. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Notebook = { cells: { outputs?: { output_type: string; name?: string; text?: string[]; ename?: string; evalue?: string }[] }[] };

/** Each executed notebook in `dir`: what its cells printed, and its error outputs (an error cell, or an error printed). */
export function executedNotebooks(dir: string): { file: string; printed: string; errors: string[] }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()
    .map((file) => {
      const nb = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Notebook;
      let printed = '';
      const errors: string[] = [];
      for (const c of nb.cells) {
        for (const o of c.outputs ?? []) {
          const text = (o.text ?? []).join('');
          printed += text;
          if (o.output_type === 'error') errors.push(`${o.ename}: ${o.evalue}`.slice(0, 300));
          else if (/Error:|is not defined|Cannot find/.test(text)) errors.push(text.slice(0, 300));
        }
      }
      return { file, printed, errors };
    });
}
