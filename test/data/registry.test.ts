import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentChecksum, type Dataset, type DatasetKind, type Split } from '../../src/data/dataset.js';
import { INFO, SHA256, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS } from '../../src/data/fashion-mnist.js';
import { datasetNames, describeDataset, openDataset, registerDataset } from '../../src/data/registry.js';
import { UserError } from '../../src/errors.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { resolveSpec } from '../../src/sweep/resolve-spec.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import { tempDir } from '../temp-dir.js';
import { synthetic } from './idx-files.js';

/** A split on SharedArrayBuffers, as every implementation hands them over. */
function shared({ images, labels }: { images: Uint8Array; labels: Uint8Array }): Split {
  const copy = (a: Uint8Array) => {
    const out = new Uint8Array(new SharedArrayBuffer(a.length));
    out.set(a);
    return out;
  };
  return { images: copy(images), labels: copy(labels), count: labels.length };
}

const digest = (a: Uint8Array) => createHash('sha256').update(a).digest('hex');

/**
 * A dataset no file holds: two classes of 6×6 patterns made in memory. Registering it is all a new
 * dataset needs to be named in a spec, opened, trained on and recorded.
 */
const bars: DatasetKind = {
  name: 'test-bars',
  keys: { classes: true, sha256: true },
  async open(settings) {
    const train = shared(synthetic(200, 6, 2, 5));
    const test = shared(synthetic(60, 6, 2, 6));
    const classes = settings.classes ?? ['row', 'column'];
    const checksum = contentChecksum([digest(train.images), digest(train.labels), digest(test.images), digest(test.labels)]);
    const d: Dataset = {
      name: 'test-bars', label: 'bars made in memory', shape: [6, 6, 1], classes, counts: { train: 200, test: 60 },
      checksum, identity: { dataset: 'test-bars', classes, sha256: checksum }, train, test, files: {},
    };
    return d;
  },
};
registerDataset(bars);

const SPEC = `name: bars
seed: 2
data: {dataset: test-bars, validationSplit: 0.25}
train: {learningRate: 0.01}
grid:
  epochs: [3]
  units: [[8]]
  dropout: [0.0, 0.1]
`;

describe('the dataset registry', () => {
  it('makes a new dataset one registration: named in a spec, opened by name, trained on and recorded with its checksum', async () => {
    expect(datasetNames()).toEqual(['fashion-mnist', 'idx', 'test-bars']);
    const written = parseSpec(SPEC, 'bars.yaml');
    expect(written.data).toEqual({ dataset: 'test-bars', validationSplit: 0.25 });
    const dataset = await openDataset(written.data);
    expect(dataset).toMatchObject({ name: 'test-bars', shape: [6, 6, 1], classes: ['row', 'column'] });
    const spec = resolveSpec(written, dataset, 'bars.yaml');
    expect(spec.data).toEqual({
      dataset: 'test-bars', classes: ['row', 'column'], sha256: dataset.checksum, validationSplit: 0.25, trainLimit: 200, testLimit: 60,
    });

    const store = await SqliteStore.open(join(tempDir('sweep-registry-'), 'sweeps.db'));
    try {
      const result = await runSweep({ spec, specText: SPEC, specPath: null, store, dataset, workers: 1, backend: 'wasm', checkpoints: false });
      expect(result).toMatchObject({ completed: 2, failed: 0 });
      const { rows } = await store.query('SELECT config_id, data_json, val_accuracy FROM trials ORDER BY id');
      expect(rows.map((r) => r[0])).toEqual(expandGrid(spec).map((t) => t.configId));
      for (const [, data, accuracy] of rows) {
        expect(JSON.parse(data as string)).toEqual(spec.data);
        // Two classes told apart at a glance: well above chance.
        expect(accuracy).toBeGreaterThan(0.75);
      }
    } finally {
      await store.close();
    }
  });

  it('describes Fashion-MNIST without reading a file (its contents are pinned), and opens it as loadFashionMnist finds it', async () => {
    const nowhere = join(tempDir('sweep-registry-'), 'nowhere');
    expect(await describeDataset({}, { dataDir: nowhere })).toBe(INFO);
    expect(INFO.checksum).toBe(contentChecksum([SHA256[TRAIN_IMAGES], SHA256[TRAIN_LABELS], SHA256[TEST_IMAGES], SHA256[TEST_LABELS]]));
    await expect(openDataset({}, { dataDir: nowhere })).rejects.toThrow(`data directory ${nowhere} (from --data) does not exist`);
    const opened = await openDataset({});
    expect(opened).toMatchObject({ ...INFO, label: 'Fashion-MNIST', origin: expect.any(String), files: SHA256 });
    expect(opened.train.count).toBe(60000);
  });

  it('refuses a name taken, and names every dataset when a spec names none of them', () => {
    expect(() => registerDataset({ ...bars })).toThrow('a dataset named "test-bars" is registered already');
    expect(() => parseSpec(SPEC.replace('test-bars', 'test-barz'), 'bars.yaml'))
      .toThrow('bars.yaml:3:17 data.dataset: must be one of fashion-mnist, idx, test-bars');
  });

  it('refuses data whose checksum is not the one its settings pin, in one line', async () => {
    const { checksum } = await describeDataset({ dataset: 'test-bars' });
    expect((await openDataset({ dataset: 'test-bars', sha256: checksum })).checksum).toBe(checksum);
    const other = '0'.repeat(64);
    const err = await openDataset({ dataset: 'test-bars', sha256: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`bars made in memory: its contents' SHA-256 is ${checksum.slice(0, 16)}…, not ${other.slice(0, 16)}… as data.sha256 records: these are not the files it was recorded with`);
  });
});
