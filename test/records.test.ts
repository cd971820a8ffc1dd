/**
 * Every version of every file the project reads back (lib/records/): each shape ever committed
 * (test/fixtures/records/, taken from git history) is read and upgraded to the current version with
 * the values it implied; a damaged, incomplete or newer file ends in one line naming the file and the
 * remedy; every file committed under results/ reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArtifactError, parseArtifact, sameJson } from '../lib/records/artifact.js';
import { readArtifact } from '../lib/records/read.js';
import { readRecord, RUN_RECORD, RUN_RECORD_SCHEMA, type RunRecord } from '../lib/records/run-record.js';
import { PRETRAIN_RECORD, PRETRAIN_RECORD_SCHEMA, readPretrainRecord, RECORD_FILE } from '../lib/records/pretrain-record.js';
import { readTrainState, TRAIN_STATE_SCHEMA } from '../lib/records/train-state.js';
import { CNN_CONFIG } from '../lib/checkpoint/cnn.js';
import { resolvePretrainConfig } from '../lib/config.js';
import { readRecords } from '../lib/report/aggregate.js';
import { tempDir } from './helpers.js';

const FIX = new URL('./fixtures/records/', import.meta.url).pathname;
const fixture = (name: string) => join(FIX, name);

test('run records of every committed shape upgrade to the current version', () => {
  const first = readRecord(fixture('run-v1-first-cnn.json'))!;
  assert.equal(first.schema, RUN_RECORD_SCHEMA);
  assert.equal(first.arm, 'cnn', 'no arm: the arm was the model');
  assert.equal(first.data!.sha256, null, 'the first records computed no data checksum');
  assert.deepEqual(first.test!.matrix, [[354, 102], [129, 415]], 'the binary matrix from the confusion counts');
  assert.equal(first.test!.f1, JSON.parse(readFileSync(fixture('run-v1-first-cnn.json'), 'utf8')).test.f1, 'the metrics as recorded');

  const notRun = readRecord(fixture('run-v1-first-not-run.json'))!;
  assert.deepEqual([notRun.status, notRun.arm, notRun.test, notRun.data], ['not-run', 'dnabert-pretrained', undefined, undefined]);

  const sha = readRecord(fixture('run-v1-sha256-no-arm.json'))!;
  assert.equal(sha.arm, 'dnabert-random');
  assert.match(sha.data!.sha256!, /^[0-9a-f]{64}$/);

  const noMatrix = readRecord(fixture('run-v1-arm-no-matrix.json'))!;
  assert.deepEqual(noMatrix.test!.matrix, [[321, 179], [150, 350]]);
  assert.match(noMatrix.savedModel!, /^results\/models\//);

  const last = readRecord(fixture('run-v1-pretrained-arm.json'))!;
  const raw = JSON.parse(readFileSync(fixture('run-v1-pretrained-arm.json'), 'utf8')) as RunRecord;
  assert.deepEqual({ ...last, schema: 1, dataConfig: raw.dataConfig, config: raw.config, lrSelection: undefined }, { ...raw, lrSelection: undefined }, 'the last version-1 shape needs nothing but the version, the long-sequence setting and the one peak rate');
  assert.deepEqual(last.config, { ...raw.config, lrCandidates: [] });
  assert.deepEqual(last.dataConfig, { ...raw.dataConfig, long: 'truncate', windowStride: null }, 'runs before windows truncated');

  const v2 = readRecord(fixture('run-v2-not-run.json'))!;
  assert.equal(v2.schema, RUN_RECORD_SCHEMA);
  assert.deepEqual([v2.dataConfig.long, v2.dataConfig.windowStride], ['truncate', null]);

  // no version-3 record was committed; version 4's upgrade is the same for every BERT config before it
  const raw2 = JSON.parse(readFileSync(fixture('run-v2-not-run.json'), 'utf8')) as RunRecord;
  assert.equal(v2.lrSelection, null, 'no rate was chosen before version 4');
  assert.deepEqual(v2.config, { ...raw2.config, lrCandidates: [] }, 'a BERT config before version 4 had one rate');
  assert.equal(readRecord(fixture('run-v1-first-cnn.json'))!.config && 'lrCandidates' in readRecord(fixture('run-v1-first-cnn.json'))!.config!, false, 'a CNN config is left as it was');
});

test('pretraining records without a schedule ran linear decay and took no snapshots', () => {
  const old = readArtifact(PRETRAIN_RECORD, fixture('pretrain-v1-no-schedule.json'))!;
  assert.equal(old.schema, PRETRAIN_RECORD_SCHEMA);
  assert.equal(old.config.schedule, 'linear-decay');
  assert.deepEqual(old.config.snapshotSteps, []);
  // the same recipe as today's quick configuration at that run's length: notebook 07 reuses it
  const today = resolvePretrainConfig('quick', { steps: old.config.steps });
  assert.ok(sameJson({ ...old.config, description: '' }, { ...today, description: '' }), 'quick at 300 steps, as today');

  const snap = readArtifact(PRETRAIN_RECORD, fixture('pretrain-v1-snapshot.json'))!;
  assert.equal(snap.config.schedule, 'inverse-sqrt');
  assert.deepEqual(snap.config.snapshotSteps, [75, 300, 1200, 4800]);
  assert.match(snap.snapshotOf!, /ladder\/genome$/);
});

test('a training checkpoint state without a version is version 1 and resumes unchanged', () => {
  const t = tempDir();
  try {
    copyFileSync(fixture('train-state-v1.json'), join(t.path, 'state.json'));
    const s = readTrainState(t.path)!;
    assert.equal(s.schema, TRAIN_STATE_SCHEMA);
    const raw = JSON.parse(readFileSync(fixture('train-state-v1.json'), 'utf8')) as object;
    assert.deepEqual({ ...s, schema: undefined }, { ...raw, schema: undefined });
  } finally {
    t.cleanup();
  }
});

test('a saved CNN config without num_labels is a binary model', () => {
  const c = parseArtifact(CNN_CONFIG, 'config.json', readFileSync(fixture('cnn-config-v1.json'), 'utf8'));
  assert.deepEqual([c.schema, c.num_labels, c.input_len], [2, 2, 253]);
});

test('a damaged, incomplete or newer file: one line naming the file, the problem and the remedy', () => {
  const text = readFileSync(fixture('run-v1-arm-no-matrix.json'), 'utf8');
  const cases: [string, string, RegExp][] = [
    ['truncated', text.slice(0, 300), /^x\.json: this run record cannot be read: it is not readable JSON \(.*; 300 bytes\): truncated or damaged\. Restore it \(git checkout -- <file>, for a committed record\) or delete it: the next npm run experiment or make reproduce runs that seed again$/],
    ['empty', '', /^x\.json: this run record cannot be read: the file is empty\. Restore it/],
    ['newer', JSON.stringify({ ...JSON.parse(text), schema: 9 }), new RegExp(`^x\\.json: this run record is schema 9, written by newer code; this code reads schema 1 to ${RUN_RECORD_SCHEMA}\\. Update the code \\(git pull\\)`)],
    ['no version', JSON.stringify({ ...JSON.parse(text), schema: undefined }), /^x\.json: this run record has no 'schema' version, which this code does not know\./],
    ['incomplete', JSON.stringify({ ...JSON.parse(text), seed: undefined, test: undefined }), /^x\.json: this run record \(schema 1\) is incomplete: missing seed \(number\), test \(object\)\./],
    ['not an object', '[1, 2]', /^x\.json: this run record is not a JSON object\./],
  ];
  for (const [what, body, want] of cases) {
    assert.throws(() => parseArtifact(RUN_RECORD, 'x.json', body), (e: Error) => e instanceof ArtifactError && want.test(e.message) && !e.message.includes('\n'), what);
  }
  assert.throws(() => parseArtifact(PRETRAIN_RECORD, 'p.json', JSON.stringify({ schema: 1, status: 'done', corpus: {}, config: { name: 'quick' }, seed: 1, training: {}, final: {} })), /p\.json: this pretraining record \(schema 1\) is incomplete: missing config\.steps \(number\)\. Restore it/);
});

test('a damaged run record in a results folder: Table 2 names it and the remedy', () => {
  const t = tempDir();
  try {
    const dir = join(t.path, 'runs', 'toy', 'quick', 'cnn');
    mkdirSync(dir, { recursive: true });
    copyFileSync(fixture('run-v1-arm-no-matrix.json'), join(dir, 'seed-1.json'));
    writeFileSync(join(dir, 'seed-2.json'), readFileSync(fixture('run-v1-arm-no-matrix.json'), 'utf8').slice(0, 300));
    assert.throws(() => readRecords(t.path, 'quick'), (e: Error) => e.message.startsWith(`${join(dir, 'seed-2.json')}: this run record cannot be read`));
  } finally {
    t.cleanup();
  }
});

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? jsonFiles(p) : p.endsWith('.json') ? [p] : [];
  });
}

test('every record, pretraining record and saved model config committed under results/ reads', () => {
  const runs = jsonFiles('results/runs');
  assert.ok(runs.length > 100, `${runs.length} run records`);
  for (const f of runs) assert.equal(readRecord(f)!.schema, RUN_RECORD_SCHEMA, f);
  const pretrained = jsonFiles('results/pretrained').filter((f) => f.endsWith(RECORD_FILE));
  assert.ok(pretrained.length >= 8, `${pretrained.length} pretraining records`);
  for (const f of pretrained) assert.equal(readPretrainRecord(join(f, '..'))!.schema, PRETRAIN_RECORD_SCHEMA, f);
  for (const f of jsonFiles('results/models').filter((x) => x.endsWith('config.json'))) {
    const c = JSON.parse(readFileSync(f, 'utf8')) as { model_type?: string };
    if (c.model_type === 'genomic-benchmarks-cnn') assert.equal(parseArtifact(CNN_CONFIG, f, readFileSync(f, 'utf8')).num_labels, 2, f);
  }
});
