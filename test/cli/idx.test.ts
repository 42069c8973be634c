import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { openIdxFolder } from '../../src/data/idx-folder.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { resolveSpec } from '../../src/sweep/resolve-spec.js';
import { TEST_IMAGES, TEST_LABELS, TRAIN_LABELS, idx, writeIdxDataset, type IdxDatasetOptions } from '../data/idx-files.js';
import { tempDir } from '../temp-dir.js';
import { sweep } from './run-cli.js';

const SPEC = `name: digits
seed: 4
data: {dataset: idx, path: ./digits, validationSplit: 0.2}
train: {learningRate: 0.01}
grid:
  epochs: [5]
  units: [[16]]
  dropout: [0.0, 0.2]
`;

const dir = tempDir('sweep-idx-cli-');
const data = join(dir, 'digits');
const specFile = join(dir, 'digits.yaml');
const db = join(dir, 'runs', 'sweeps.db');

function query<T>(file: string, sql: string): T[] {
  const d = new Database(file, { readonly: true });
  try {
    return d.prepare(sql).all() as T[];
  } finally {
    d.close();
  }
}

/** The config ids `sweep run --dry-run` lists, in order. */
async function dryRunIds(file: string): Promise<string[]> {
  const r = await sweep('run', '--dry-run', file);
  expect(r.code).toBe(0);
  return [...r.out.matchAll(/^\d+ +([0-9a-f]{16}) /gm)].map((m) => m[1]);
}

/** The dataset's checksum worked out here from its files: SHA-256 of their decompressed SHA-256s, in order. */
function checksumOf(folder: string): { files: Record<string, string>; sha256: string } {
  const files: Record<string, string> = {};
  for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    const gz = existsSync(join(folder, `${name}.gz`));
    const bytes = readFileSync(join(folder, gz ? `${name}.gz` : name));
    files[name] = createHash('sha256').update(gz ? gunzipSync(bytes) : bytes).digest('hex');
  }
  return { files, sha256: createHash('sha256').update(Object.values(files).join('\n')).digest('hex') };
}

/** A sweep on data of its own in `dir/name/`, as a run records it before training: its trials pending, for workers to take. */
async function recordPending(name: string) {
  const own = join(dir, name);
  const owned = writeIdxDataset(join(own, 'digits'));
  const file = join(own, 'digits.yaml');
  const spec = resolveSpec(parseSpec(SPEC, file), await openIdxFolder(owned), file);
  const store = await SqliteStore.open(join(own, 'sweeps.db'));
  try {
    const id = await store.upsertSweep({ name: spec.name, metric: spec.metric.name, goal: spec.metric.goal, seed: spec.seed, specPath: file, specYaml: SPEC });
    await store.addTrials(id, spec.seed, spec.data, expandGrid(spec));
  } finally {
    await store.close();
  }
  return { own, owned, spec };
}

beforeAll(async () => {
  // Three classes of 8×8 images: 300 to train on, 90 to test; the images gzipped, the labels not.
  writeIdxDataset(data);
  writeFileSync(specFile, SPEC);
  expect((await sweep('run', specFile, '--db', db, '--workers', '1')).code).toBe(0);
});

describe('sweep run on an IDX dataset at a path', () => {
  it('trains on it, records its checksum with every trial, ranks them, and names them apart from the same grid on Fashion-MNIST', async () => {
    const { files, sha256 } = checksumOf(data);
    const trials = query<{ config_id: string; status: string; data_json: string; env_json: string }>(db, 'SELECT config_id, status, data_json, env_json FROM trials ORDER BY id');
    expect(trials.map((t) => t.status)).toEqual(['completed', 'completed']);
    for (const t of trials) {
      expect(JSON.parse(t.data_json)).toEqual({
        dataset: 'idx', path: data, classes: ['0', '1', '2'], sha256, validationSplit: 0.2, trainLimit: 300, testLimit: 90,
      });
      expect(JSON.parse(t.env_json).dataset).toEqual(files);
    }
    const board = query<{ rank: number; val_accuracy: number; test_accuracy: number }>(db, `SELECT rank, val_accuracy, test_accuracy FROM leaderboard WHERE sweep = 'digits' ORDER BY rank`);
    // Ranked by validation accuracy (equal ones share a rank).
    expect(board).toHaveLength(2);
    expect(board.map((b) => b.rank)).toEqual(board.map((b) => 1 + board.filter((o) => o.val_accuracy > b.val_accuracy).length));
    expect(board[0].val_accuracy).toBeGreaterThanOrEqual(board[1].val_accuracy);
    // Three classes a glance tells apart: far above chance (a third).
    expect(board[0].val_accuracy).toBeGreaterThan(0.8);
    expect(board[0].test_accuracy).toBeGreaterThan(0.8);

    // The dry run names the trials as the run did; the same grid on Fashion-MNIST names others.
    const ids = trials.map((t) => t.config_id);
    expect(await dryRunIds(specFile)).toEqual(ids);
    writeFileSync(join(dir, 'fashion.yaml'), SPEC.replace('dataset: idx, path: ./digits, ', ''));
    const fashion = await dryRunIds(join(dir, 'fashion.yaml'));
    expect(fashion).toHaveLength(2);
    expect(fashion.filter((id) => ids.includes(id))).toEqual([]);
  });

  it('names the same data at another path the same trials: a rerun from there trains nothing', async () => {
    const moved = join(dir, 'moved');
    mkdirSync(moved);
    cpSync(data, join(moved, 'digits'), { recursive: true });
    writeFileSync(join(moved, 'digits.yaml'), SPEC);
    const r = await sweep('run', join(moved, 'digits.yaml'), '--db', db);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sweep digits: 2 configurations, 2 already done, 0 to train/);
  });

  it('`sweep best`, `export` and `predict` carry the dataset: a runnable spec, a card with its shape and classes, its test set', async () => {
    const best = await sweep('best', 'digits', '--db', db);
    const configId = best.out.match(/config ([0-9a-f]{16})/)![1];
    // The spec pins the data by its checksum and absolute path: it runs from any folder.
    mkdirSync(join(dir, 'elsewhere'));
    writeFileSync(join(dir, 'elsewhere', 'best.yaml'), best.out);
    expect(await dryRunIds(join(dir, 'elsewhere', 'best.yaml'))).toEqual([configId]);

    const out = join(dir, 'export');
    expect((await sweep('export', 'digits', '--out', out, '--db', db)).code).toBe(0);
    const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
    expect(card).toMatchObject({ configId, input: { shape: [8, 8, 1] }, classes: ['0', '1', '2'], data: { dataset: 'idx', sha256: checksumOf(data).sha256 } });

    const r = await sweep('predict', out);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`accuracy ${(card.metrics.testAccuracy * 100).toFixed(2)}% on the first 90 test images of IDX data in ${data}`);
    expect(r.out).toMatch(/^ +0 +1 +2$/m);
    // Images of another size than the model takes: one line, not a tfjs stack.
    const big = join(dir, 'big-images');
    writeFileSync(big, idx([5, 10, 10], new Uint8Array(500)));
    expect((await sweep('predict', out, '--images', big)).err).toBe(`sweep: ${out}: the model takes 8×8×1 images, not the 10×10×1 images given\n`);
  });

  it('`sweep worker` trains a recorded sweep on the data its trials recorded', async () => {
    const { own } = await recordPending('working');
    const r = await sweep('worker', '--db', join(own, 'sweeps.db'), '--workers', '1');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`worker: data IDX data in ${join(own, 'digits')}\n`);
    const trials = query<{ status: string; data_json: string }>(join(own, 'sweeps.db'), 'SELECT status, data_json FROM trials');
    expect(trials.map((t) => t.status)).toEqual(['completed', 'completed']);
    expect(JSON.parse(trials[0].data_json)).toMatchObject({ path: join(own, 'digits'), sha256: checksumOf(join(own, 'digits')).sha256 });
  });

  it('refuses, in one line and training nothing, to work on a sweep whose data changed since it was recorded, or to run a spec pinned to the old data', async () => {
    const { own, owned, spec } = await recordPending('changing');
    writeFileSync(join(own, 'best.yaml'), (await sweep('best', 'digits', '--db', db)).out.replace(data, owned));

    writeIdxDataset(owned, { seed: 9 });
    const line = new RegExp(`^sweep: IDX data in ${owned}: its contents' SHA-256 is [0-9a-f]{16}…, not ${spec.data.sha256!.slice(0, 16)}… as data\\.sha256 records: these are not the files it was recorded with\\n$`);
    const worker = await sweep('worker', '--db', join(own, 'sweeps.db'), '--workers', '1');
    expect(worker.code).toBe(1);
    expect(worker.err).toMatch(line);
    expect(query<{ status: string }>(join(own, 'sweeps.db'), 'SELECT status FROM trials').map((t) => t.status)).toEqual(['pending', 'pending']);
    // A spec pinned to the old data (as `sweep best` writes it) is refused the same way.
    const pinned = await sweep('run', join(own, 'best.yaml'), '--db', join(own, 'sweeps.db'));
    expect(pinned.code).toBe(1);
    expect(pinned.err).toMatch(line);
  });

  it('`sweep repro` trains the recorded trial again on its recorded data, and refuses the data changed', async () => {
    const r = await sweep('repro', 'digits', '--db', db);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/reproduced exactly/);
    const backup = join(dir, 'digits-backup');
    cpSync(data, backup, { recursive: true });
    try {
      writeIdxDataset(data, { seed: 9 });
      const changed = await sweep('repro', 'digits', '--db', db);
      expect(changed.code).toBe(1);
      expect(changed.err).toMatch(new RegExp(`^sweep: IDX data in ${data}: its contents' SHA-256 is [0-9a-f]{16}…, not [0-9a-f]{16}… as data\\.sha256 records: these are not the files it was recorded with\\n$`));
    } finally {
      cpSync(backup, data, { recursive: true });
    }
  });
});

describe('sweep run refuses a hostile IDX dataset in one line, before anything is recorded', () => {
  const side = (n: number, s: number) => idx([n, s, s], new Uint8Array(n * s * s));
  it.each<[string, { data?: IdxDatasetOptions; spec?: (s: string) => string; args?: string[]; error: RegExp }]>([
    ['a missing file', { data: { replace: { [TRAIN_LABELS]: null } },
      error: /digits\/train-labels-idx1-ubyte: missing \(looked for train-labels-idx1-ubyte and train-labels-idx1-ubyte\.gz in \/\S+\/digits\)$/ }],
    ['a wrong magic number', { data: { replace: { [TEST_LABELS]: idx([90], new Uint8Array(90), 0x00000901) } },
      error: /digits\/t10k-labels-idx1-ubyte: bad magic number 0x00000901: not an IDX file of unsigned bytes \(expected 0x00000801\)$/ }],
    ['images and labels of different counts', { data: { replace: { [TEST_LABELS]: idx([89], new Uint8Array(89)) } },
      error: /digits\/t10k-labels-idx1-ubyte: 89 labels for the 90 images of \S+digits\/t10k-images-idx3-ubyte\.gz$/ }],
    ['a label out of range', { spec: (s) => s.replace('validationSplit', 'classes: [row, column], validationSplit'),
      error: /digits\/train-labels-idx1-ubyte: label 2 \(image 2\) is out of range: data\.classes names 2 classes, labels 0-1$/ }],
    ['train and test images of different shapes', { data: { replace: { [TEST_IMAGES]: side(90, 9) } },
      error: /digits\/t10k-images-idx3-ubyte\.gz: its images are 9×9, but the training images \(\S+\) are 8×8$/ }],
    ['images too small', { data: { side: 3 }, error: /digits\/train-images-idx3-ubyte\.gz: its images are 3×3, too small: the models take images of at least 4×4$/ }],
    ['a CNN that pools 8×8 images away', { spec: (s) => s.replace(/grid:[\s\S]*/, 'grid:\n  model:\n    cnn: {filters: [[4, 4, 4, 4]]}\n'),
      error: /spec\.yaml: filters \[4, 4, 4, 4\] with pooling max do not fit the 8×8 images of IDX data in \S+: the CNN's conv block 4 has a 1×1 input: too small to pool/ }],
    ['more training images than it has', { spec: (s) => s.replace('validationSplit: 0.2', 'trainLimit: 60000'),
      error: /spec\.yaml: data\.trainLimit is 60000, more than the 300 training images of IDX data in \S+digits$/ }],
    ['data that is not what the spec pins', { spec: (s) => s.replace('validationSplit', `sha256: ${'ab'.repeat(32)}, validationSplit`),
      error: /IDX data in \S+digits: its contents' SHA-256 is [0-9a-f]{16}…, not abababababababab… as data\.sha256 records/ }],
    ['a folder that is not there', { spec: (s) => s.replace('./digits', './nowhere'), error: /nowhere: no such folder \(data\.path: the folder of the four IDX files\)$/ }],
    ['an IDX spec without its folder', { spec: (s) => s.replace('path: ./digits, ', ''), error: /spec\.yaml:3:7 data: the idx dataset needs `path`, the folder of its files$/ }],
    ['--data, which only finds Fashion-MNIST', { args: ['--data', 'data/fashion-mnist'], error: /^sweep: --data data\/fashion-mnist: that finds Fashion-MNIST, but \S+spec\.yaml trains on the idx dataset/ }],
  ])('%s', async (_what, c) => {
    const folder = tempDir('sweep-idx-hostile-');
    writeIdxDataset(join(folder, 'digits'), c.data);
    writeFileSync(join(folder, 'spec.yaml'), (c.spec ?? ((s) => s))(SPEC));
    for (const dryRun of [[], ['--dry-run']]) {
      const r = await sweep('run', ...dryRun, join(folder, 'spec.yaml'), '--db', join(folder, 'runs', 'sweeps.db'), ...(c.args ?? []));
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^sweep: [^\n]*\n$/);
      expect(r.err.trimEnd()).toMatch(c.error);
    }
    // Nothing written: not even the database file.
    expect(readdirSync(folder).sort()).toEqual(['digits', 'spec.yaml']);
  });
});
