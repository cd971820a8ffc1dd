/**
 * Every `npm run <command>` answers --help (usage, options with defaults, examples; exit 0) and rejects
 * an unknown option or a bad value with one error line and the usage (exit 2), never a stack trace.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeToyTable } from './helpers.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(script: string, args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', `lib/cli/${script}.ts`, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const STACK = /\n\s+at .+:\d+:\d+/;

/** The npm scripts that run a command of lib/cli/. */
const scripts = Object.entries((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts)
  .map(([name, line]) => ({ name, file: line.match(/^tsx lib\/cli\/(\w+)\.ts$/)?.[1] }))
  .filter((s): s is { name: string; file: string } => !!s.file);

test('every lib/cli command is an npm script', () => {
  assert.deepEqual(scripts.map((s) => s.name).sort(), ['aggregate', 'backend', 'data', 'experiment', 'ladder', 'model', 'notebooks', 'predict', 'pretrain']);
});

describe('--help: usage, every option, examples; exit 0', { concurrency: true }, () => {
  for (const { name, file } of scripts) {
    test(name, async () => {
      const r = await cli(file, ['--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: npm run ${name} -- `));
      assert.match(r.stdout, /-h, --help/);
      assert.match(r.stdout, /\nExamples:\n {2}npm run /);
      assert.equal(r.stderr.trim(), '');
    });
  }
  for (const [file, sub] of [['data', 'list'], ['data', 'info'], ['data', 'download'], ['model', 'download'], ['model', 'info']]) {
    test(`${file} ${sub}`, async () => {
      const r = await cli(file, [sub, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: npm run ${file} -- ${sub}`));
      assert.match(r.stdout, /Examples:/);
    });
  }
});

test('--help states the defaults', async () => {
  const flat = (r: Result) => ({ ...r, stdout: r.stdout.replace(/\s+/g, ' ') }); // help text wraps at any width
  const [exp, pred, data] = (await Promise.all([cli('experiment', ['--help']), cli('predict', ['--help']), cli('data', ['download', '--help'])])).map(flat);
  assert.match(exp.stdout, /--seeds <list>.*\(default: 1-5\)/s);
  assert.match(exp.stdout, /--profile <name>.*\(choices: "paper", "quick", "smoke", "lowdata", "ladder-n800-lr1e-4", .*"ladder-n3200-lr1e-3", "paper-windows", "quick-windows", "smoke-windows", "quick-lr3e-4", "quick-lr1e-3", "quick-windows-lr3e-4", "quick-windows-lr1e-3", default: "quick"\)/s);
  assert.match(exp.stdout, /--results <dir>.*\(default: "results"\)/s);
  assert.match(pred.stdout, /--batch <n>.*\(default: 32\)/s);
  assert.match(data.stdout, /--root <dir>.*\(default: ".*\.genomic_benchmarks"\)/s);
});

describe('bad input: one error line and the usage; exit 2; no stack trace', { concurrency: true }, () => {
  const cases: [string, string[], RegExp][] = [
    ['experiment', ['--dataset', 'x', '--model', 'cnn', '--bogus'], /error: unknown option '--bogus'/],
    ['experiment', ['--dataset', 'x', '--model', 'transformer'], /error: option '--model <model>' argument 'transformer' is invalid\. unknown model 'transformer'; models: cnn, dnabert-random, dnabert-pretrained\./],
    ['experiment', ['--dataset', 'x', '--model', 'cnn', '--seeds', '1-x'], /argument '1-x' is invalid\. bad seeds '1-x'/],
    ['experiment', ['--model', 'cnn'], /error: required option '--dataset <name\|path>' not specified/],
    ['experiment', ['--dataset', 'x', '--model', 'cnn', '--profile', 'fast'], /argument 'fast' is invalid\. Allowed choices are paper, quick, smoke, lowdata, ladder-n800-lr1e-4, /],
    ['aggregate', ['--profile'], /error: option '--profile <name>' argument missing/],
    ['predict', ['--model', 'm', '--input', 'i', '--batch', '0'], /error: option '--batch <n>' argument '0' is invalid\. expected an integer ≥ 1\./],
    ['predict', ['--model', 'm', '--input', 'i', '--window', '2.5'], /argument '2\.5' is invalid/],
    ['predict', ['--model', 'm', '--input', 'i', '--help-me'], /error: unknown option '--help-me'/],
    ['data', ['frobnicate'], /error: unknown command 'frobnicate'/],
    ['data', ['info', 'x', '--test-fraction', '1.5'], /argument '1\.5' is invalid\. expected a number strictly between 0 and 1\./],
    ['data', ['info'], /error: missing required argument 'dataset'/],
    ['model', ['info', '--revision', 'abc'], /error: unknown option '--revision'/],
    ['backend', ['--fast'], /error: unknown option '--fast'/],
    ['notebooks', ['--out', 'x'], /error: unknown option '--out'/],
  ];
  for (const [file, args, message] of cases) {
    test(`${file} ${args.join(' ')}`, async () => {
      const r = await cli(file, args);
      assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /\nusage: npm run \w+ -- /);
      assert.doesNotMatch(r.stderr, STACK);
      assert.equal(r.stdout, '');
    });
  }
});

test('the committed notebooks are the ones their templates generate (npm run notebooks -- --check)', async () => {
  const r = await cli('notebooks', ['--check']);
  assert.equal(r.code, 0, r.stderr);
  const t = tempDir();
  try {
    const stale = await cli('notebooks', ['--check', '--dir', t.path]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^error: .*01_human_nontata_promoters\.ipynb.* differ from the templates in lib\/cli\/notebooks\.ts; run npm run notebooks/);
  } finally {
    t.cleanup();
  }
});

test('training prints no TensorFlow.js "install our node backend" banner: the backend is chosen and reported here', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeToyTable(table, 60, { length: 80 });
    const r = await cli('experiment', ['--dataset', table, '--model', 'cnn', '--seeds', '1', '--profile', 'smoke', '--results', join(t.path, 'results')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /toy · cnn · seed 1 — done/);
    assert.doesNotMatch(r.stdout + r.stderr, /install our node backend|Hi, looks like you are running TensorFlow\.js/);
  } finally {
    t.cleanup();
  }
});

test('a failure while running is one error line, exit 1', async () => {
  const r = await cli('data', ['info', 'no/such/table.tsv']);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), /^error: 'no\/such\/table\.tsv' is neither a known dataset name nor an existing path\. Give a Genomic Benchmarks name/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.doesNotMatch(r.stderr, STACK);
});

describe('bad input to every command: one error line naming the input and the remedy, never a JavaScript property error', { concurrency: true }, () => {
  const t = tempDir();
  after(() => t.cleanup());
  const p = (f: string) => join(t.path, f);
  const files: Record<string, string> = {
    'one-row.tsv': 'seq\tlabel\nACGTACGT\t0\n',
    'no-label.tsv': 'seq\tscore\nACGT\t0.5\n',
    'text.fa': 'hello\n',
    'reads.fa': '>r\nACGTACGTAC\n',
    'genome.fa': '>x\nACGTNNNACGT\n',
  };
  // [command, arguments, what the line must say]
  const cases: [string, string[], RegExp][] = [
    ['experiment', ['--dataset', p('one-row.tsv'), '--model', 'cnn', '--profile', 'smoke', '--results', p('r')], /one-row\.tsv: one class only .* Add rows of the other class/],
    ['experiment', ['--dataset', p('no-label.tsv'), '--model', 'cnn', '--profile', 'smoke', '--results', p('r')], /no-label\.tsv: cannot find the label column .*labelColumn/],
    ['experiment', ['--dataset', p('reads.fa'), '--model', 'cnn', '--profile', 'smoke', '--results', p('r')], /reads\.fa: a FASTA file has no labels.*npm run pretrain/],
    ['experiment', ['--dataset', p('nothing'), '--model', 'cnn', '--profile', 'smoke', '--results', p('r')], /neither a known dataset name nor an existing path\. Give/],
    ['predict', ['--model', p('nothing'), '--input', p('reads.fa')], /model directory not found: .*--save-model/],
    ['predict', ['--model', p('empty'), '--input', p('reads.fa')], /missing config\.json; a DNABERT checkpoint directory needs/],
    // each its own output folder: the cases run at once, and a folder is locked by the run writing it
    ['pretrain', ['--corpus', p('text.fa'), '--config', 'smoke', '--out', p('o-text')], /text\.fa line 1: sequence data before the first '>' header/],
    ['pretrain', ['--corpus', p('genome.fa'), '--config', 'smoke', '--out', p('o-genome')], /no N-free stretch of \d+ bp or more/],
    ['aggregate', ['--profile', 'smoke', '--results', p('nothing')], /no run records for profile 'smoke' under/],
    // a run record cut short (a crash of another tool, a bad merge, a full disk)
    ['aggregate', ['--profile', 'smoke', '--results', p('damaged')], /damaged\/runs\/toy\/smoke\/cnn\/seed-1\.json: this run record cannot be read: it is not readable JSON .*truncated or damaged\. Restore it .* or delete it/],
    ['experiment', ['--dataset', p('toy.tsv'), '--model', 'cnn', '--profile', 'smoke', '--seeds', '1', '--results', p('damaged')], /damaged\/runs\/toy\/smoke\/cnn\/seed-1\.json: this run record cannot be read/],
    ['predict', ['--model', p('models'), '--input', p('reads.fa')], /models is not a model but holds 2 saved models: .*models\/cnn\/seed-1, .*models\/cnn\/seed-2\. Name one of them with --model/],
    ['data', ['download', 'no_such_dataset', '--root', p('d')], /Unknown dataset 'no_such_dataset'\. Known Genomic Benchmarks datasets: /],
  ];
  for (const [name, content] of Object.entries(files)) writeFileSync(p(name), content);
  writeToyTable(p('toy.tsv'), 40);
  mkdirSync(p('empty'));
  mkdirSync(p('damaged/runs/toy/smoke/cnn'), { recursive: true });
  writeFileSync(p('damaged/runs/toy/smoke/cnn/seed-1.json'), readFileSync('test/fixtures/records/run-v1-arm-no-matrix.json', 'utf8').slice(0, 300));
  for (const seed of [1, 2]) {
    mkdirSync(p(`models/cnn/seed-${seed}`), { recursive: true });
    writeFileSync(p(`models/cnn/seed-${seed}/config.json`), readFileSync('test/fixtures/records/cnn-config-v1.json'));
  }
  for (const [command, args, says] of cases) {
    test(`${command} ${args.map((a) => a.replace(t.path, '…')).join(' ')}`, async () => {
      const r = await cli(command, args);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('error:'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], says);
      assert.doesNotMatch(r.stderr, /Cannot read propert|is not a function|undefined|TypeError/);
      assert.doesNotMatch(r.stderr, STACK);
    });
  }
});

test('the expected duration: progress before the first timed step ends; above --max-hours, a stop before training with the cost, the machine and the alternatives; the opt-in runs it', async () => {
  const t = tempDir();
  try {
    const table = join(t.path, 'toy.tsv');
    writeToyTable(table, 40);
    const results = join(t.path, 'r');
    const args = ['--dataset', table, '--model', 'cnn', '--profile', 'smoke', '--seeds', '1', '--results', results];
    const stopped = await cli('experiment', [...args, '--max-hours', '0.0000001']);
    assert.equal(stopped.code, 1, stopped.stdout + stopped.stderr);
    const lines = stopped.stdout.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    assert.equal(at(/^backend /), 0, 'the backend line comes first');
    assert.ok(at(/^timing cnn: 4 training steps of \d+ sequences, the first to warm up/) > 0, stopped.stdout);
    assert.ok(at(/^timing cnn: 4 training steps/) < at(/^timing cnn: step 1 of 4, \d+ s$/), 'a line before the first timed step ends');
    assert.ok(at(/^timing cnn: step 4 of 4/) < at(/^expected duration: at most/));
    assert.match(stopped.stderr, /^error: the requested runs would take up to .* here, above the limit of 1e-7 h; nothing was trained and no record written\.\nThis machine: \d+ CPU cores, backend \w+ on CPU: .*; no GPU found\.\nInstead: the quick profile .*\n.*make torch.*\n.*Slurm workflow.*\nor run it here anyway with --max-hours \d+ \(MAX_HOURS=\d+ for make reproduce and the notebooks\)\.\n$/);
    assert.equal(existsSync(join(results, 'runs')), false, 'no record written');
    const ran = await cli('experiment', [...args, '--max-hours', '100']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(existsSync(join(results, 'runs', 'toy', 'smoke', 'cnn', 'seed-1.json')));
  } finally {
    t.cleanup();
  }
});
