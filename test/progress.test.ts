/** Progress lines off a terminal: one per 10 %, and after a resume the time left counts only the work done in this process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progress } from '../lib/progress.js';

function sink(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (lines.push(s.trim()), true) } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

test('a line per 10 %, not one per update', () => {
  const { stream, lines } = sink();
  const p = progress('train', 100, 'steps', stream);
  for (let i = 1; i <= 100; i++) p.update(i);
  assert.equal(lines.length, 10);
  assert.match(lines[0], /^train: 10% \(10\/100 steps, \d+\.\d s, ETA \d+ s\)$/);
  assert.match(lines[9], /^train: 100% \(100\/100 steps/);
});

test('resumed at 40 %: the next line is at 50 %, and the time left is reckoned from the steps done here', async () => {
  const { stream, lines } = sink();
  const p = progress('train', 1000, 'steps', stream, 400);
  await new Promise((r) => setTimeout(r, 200));
  p.update(500); // 100 steps in ≈ 0.2 s here: 500 left ≈ 1 s (counting all 500 done it would be ≈ 0.2 s)
  assert.equal(lines.length, 1);
  const m = lines[0].match(/^train: 50% \(500\/1000 steps, (\d+\.\d) s, ETA (\d+) s\)$/);
  assert.ok(m, lines[0]);
  assert.ok(Number(m![2]) >= 1, `ETA ${m![2]} s`);
});
