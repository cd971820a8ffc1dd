/** README.md and docs/: every relative link resolves (a file, or a heading of a Markdown file). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

test('every relative link in README.md and docs/ resolves', () => {
  const pages = ['README.md', 'environment.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [file, hash] = target.split('#');
      const path = file ? join(dirname(page), file) : page;
      checked++;
      if (!existsSync(path)) broken.push(`${page}: ${target} (no ${path})`);
      else if (hash && path.endsWith('.md') && ![...readFileSync(path, 'utf8').matchAll(/^#+ (.*)$/gm)].some((h) => anchor(h[1]) === hash)) broken.push(`${page}: ${target} (no heading #${hash} in ${path})`);
    }
  }
  assert.ok(checked >= 10, `${checked} links`);
  assert.deepEqual(broken, []);
});
