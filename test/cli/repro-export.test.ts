import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { sweep } from './run-cli.js';

const dir = tempDir('sweep-repro-');
const db = join(dir, 'runs', 'sweeps.db');
const sql = <T>(query: string, ...params: unknown[]) => {
  const d = new Database(db);
  try {
    return d.prepare(query).all(...params) as T[];
  } finally {
    d.close();
  }
};
const epochs = (trial: number) => sql('SELECT epoch, loss, accuracy, val_loss, val_accuracy FROM epochs WHERE trial_id = ? ORDER BY epoch', trial);

beforeAll(async () => {
  writeFileSync(join(dir, 'r.yaml'), `name: r
seed: 3
data: {validationSplit: 0.2, trainLimit: 1500, testLimit: 500}
grid:
  epochs: [3]
  units: [[32]]
  dropout: [0.0, 0.2]
`);
  expect((await sweep('run', join(dir, 'r.yaml'), '--db', db)).code).toBe(0);
  // The model space's new pieces, all at once: conv blocks, batch normalization, a pooled head,
  // augmentation, a schedule, weight decay and label smoothing.
  writeFileSync(join(dir, 'bn.yaml'), `name: bn
seed: 3
data: {validationSplit: 0.2, trainLimit: 1500, testLimit: 500}
train: {batchNorm: true, augment: shift+flip+erase, schedule: onecycle, weightDecay: 0.01, labelSmoothing: 0.1}
grid:
  model:
    cnn: {epochs: [2], filters: [[4, 8]], blocks: [2], head: [gap], units: [[16]]}
`);
  expect((await sweep('run', join(dir, 'bn.yaml'), '--db', db)).code).toBe(0);
});

describe('reproduce', () => {
  it('records what a trial needs to be re-run: versions, commit, CPU, kernels, dataset checksums', async () => {
    const [row] = sql<{ env_json: string; weights_sha256: string }>(`SELECT env_json, weights_sha256 FROM trials WHERE status = 'completed' LIMIT 1`);
    const env = JSON.parse(row.env_json);
    expect(env).toMatchObject({ node: process.version, tfjs: '4.22.0', sweep: expect.any(String), cpu: expect.any(String), kernels: expect.stringMatching(/^(native-avx512|native-avx2|wasm)$/) });
    // The spec lies in no git repository.
    expect(env.specGit).toBeNull();
    expect(env.dataset['train-images-idx3-ubyte.gz']).toBe('c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888');
    expect(row.weights_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('`sweep repro SWEEP` trains the best trial again, links it, and proves it reproduced exactly', async () => {
    const r = await sweep('repro', 'r', '--db', db);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/environment: the same as trial \d+'s \(versions, CPU, kernels, the spec's commit, code and data checksums\)/);
    expect(r.out).toMatch(/reproduced exactly: trial \d+ matches trial \d+ in all 3 epochs' metrics, the test metrics, and the weights' SHA-256/);
    const [copy] = sql<{ id: number; repro_of: number; weights_sha256: string }>(`SELECT t.id, t.repro_of, t.weights_sha256 FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = 'r~repro'`);
    const [original] = sql<{ id: number; weights_sha256: string }>(`SELECT trial_id AS id, (SELECT weights_sha256 FROM trials WHERE id = trial_id) AS weights_sha256 FROM leaderboard WHERE sweep = 'r' AND rank = 1`);
    expect(copy.repro_of).toBe(original.id);
    expect(copy.weights_sha256).toBe(original.weights_sha256);
    expect(epochs(copy.id)).toEqual(epochs(original.id));
  });

  it('reports a different environment before training, and fails when results differ', async () => {
    const [t] = sql<{ id: number; env_json: string; weights_sha256: string }>(`SELECT id, env_json, weights_sha256 FROM trials WHERE status = 'completed' ORDER BY id LIMIT 1`);
    const env = JSON.parse(t.env_json);
    // Recorded on another machine, from a spec in a git repository (this one's is in none).
    const elsewhere = { ...env, tfjs: '0.0.1', cpu: 'Another CPU', specGit: { commit: 'a'.repeat(40), dirty: true, diffSha256: 'b'.repeat(64), untracked: 0 } };
    sql(`UPDATE trials SET env_json = ?, weights_sha256 = ? WHERE id = ? RETURNING id`, JSON.stringify(elsewhere), '0'.repeat(64), t.id);
    const r = await sweep('repro', String(t.id), '--db', db);
    const lines = r.out.split('\n');
    // Every difference in the one line.
    const differs = lines.findIndex((l) => l.startsWith('environment differs: tfjs 0.0.1 → 4.22.0; CPU Another CPU → ')
      && l.endsWith(`; spec's repository ${'a'.repeat(12)} (dirty, diff ${'b'.repeat(12)}) → not in a git repository`));
    expect(differs).toBeGreaterThan(-1);
    expect(lines.filter((l) => l.startsWith('environment'))).toHaveLength(1);
    expect(differs).toBeLessThan(lines.findIndex((l) => l.includes('epoch 1/3')));
    expect(r.out).toMatch(/weights differ/);
    // Same backend, so the only change is the (tampered) record: the metrics match and it is within tolerance.
    expect(r.out).toMatch(/reproduced within tolerance/);
    expect(r.code).toBe(0);
    sql(`UPDATE trials SET env_json = ? WHERE id = ? RETURNING id`, t.env_json, t.id);
    const strict = await sweep('repro', String(t.id), '--db', db);
    expect(strict.out).toMatch(/NOT reproduced: same backend, versions and data, yet different results/);
    expect(strict.code).toBe(1);
    sql(`UPDATE trials SET weights_sha256 = ? WHERE id = ? RETURNING id`, t.weights_sha256, t.id);
  });

  it('`sweep repro` reproduces a CNN with batch normalization, augmentation and a schedule exactly', async () => {
    const r = await sweep('repro', 'bn', '--db', db);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/reproduced exactly: trial \d+ matches trial \d+ in all 2 epochs' metrics, the test metrics, and the weights' SHA-256/);
  });

  it('`sweep best > best.yaml && sweep run best.yaml` reproduces the best trial exactly', async () => {
    const best = await sweep('best', 'r', '--db', db);
    writeFileSync(join(dir, 'best.yaml'), best.out);
    expect((await sweep('run', join(dir, 'best.yaml'), '--db', db)).code).toBe(0);
    const [original] = sql<{ trial_id: number }>(`SELECT trial_id FROM leaderboard WHERE sweep = 'r' AND rank = 1`);
    const [again] = sql<{ trial_id: number }>(`SELECT trial_id FROM leaderboard WHERE sweep = 'r-best'`);
    expect(epochs(again.trial_id)).toEqual(epochs(original.trial_id));
    const hashes = sql<{ weights_sha256: string; test_accuracy: number }>('SELECT weights_sha256, test_accuracy FROM trials WHERE id IN (?, ?)', original.trial_id, again.trial_id);
    expect(hashes[0]).toEqual(hashes[1]);
  });
});

describe('export and predict', () => {
  it.each([
    ['r', { units: [32] }, ['Dense']],
    ['bn', { batchNorm: true, preciseBn: 200, blocks: 2, head: 'gap' }, ['BatchNormalization', 'GlobalAveragePooling2D', 'Activation']],
  ] as const)('exports %s: a model that plain @tensorflow/tfjs loads in a separate script, with the recorded test accuracy', async (name, config, layers) => {
    const out = join(dir, `export-${name}`);
    const r = await sweep('export', name, '--out', out, '--db', db);
    expect(r.code).toBe(0);
    expect(['model.json', 'weights.bin', 'card.json'].every((f) => existsSync(join(out, f)))).toBe(true);
    const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
    expect(card).toMatchObject({ sweep: name, config, data: { testLimit: 500 }, classes: expect.arrayContaining(['Ankle boot']) });
    const classNames = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
    expect(classNames).toEqual(expect.arrayContaining([...layers]));
    expect(card.environment.dataset['t10k-labels-idx1-ubyte.gz']).toMatch(/^[0-9a-f]{64}$/);
    // A user's own script: plain tfjs, its own IDX reading, nothing from sweep.
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { readFileSync } from 'node:fs';
      import { gunzipSync } from 'node:zlib';
      const dir = ${JSON.stringify(out)};
      const json = JSON.parse(readFileSync(dir + '/model.json', 'utf8'));
      const weights = readFileSync(dir + '/weights.bin');
      const model = await tf.loadLayersModel({ load: async () => ({
        modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }) });
      const images = gunzipSync(readFileSync('data/fashion-mnist/t10k-images-idx3-ubyte.gz')).subarray(16, 16 + 500 * 784);
      const labels = gunzipSync(readFileSync('data/fashion-mnist/t10k-labels-idx1-ubyte.gz')).subarray(8, 8 + 500);
      const x = tf.tensor4d(Float32Array.from(images, (v) => v / 255), [500, 28, 28, 1]);
      const predicted = model.predict(x).argMax(-1).dataSync();
      let hits = 0; for (let i = 0; i < 500; i++) if (predicted[i] === labels[i]) hits++;
      console.log(hits / 500);`;
    // Evaluated as a module from the repository root, so `@tensorflow/tfjs` resolves as in a user's
    // project there; nothing is written outside the temp folder.
    const accuracy = Number(execFileSync(process.execPath, ['--input-type=module', '--eval', script], { encoding: 'utf8' }).trim().split('\n').pop());
    expect(accuracy).toBe(card.metrics.testAccuracy);
  });

  it('`sweep predict` prints the accuracy, a confusion matrix with class names, and the worst pairs', async () => {
    const out = join(dir, 'export-r');
    const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
    const r = await sweep('predict', out, '--limit', '500');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`accuracy ${(card.metrics.testAccuracy * 100).toFixed(2)}% on the first 500 test images of Fashion-MNIST`);
    const rows = r.out.split('\n').filter((l) => /^(T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot) +\d/.test(l));
    expect(rows).toHaveLength(10);
    const total = rows.reduce((sum, l) => sum + l.replace(/^[A-Za-z/ -]+?(?= +\d)/, '').trim().split(/ +/).map(Number).reduce((a, b) => a + b, 0), 0);
    expect(total).toBe(500);
    expect(r.out).toMatch(/most confused \(true → predicted\):\n  [A-Za-z/ -]+ → [A-Za-z/ -]+: \d+ \([\d.]+% of /);
  });

  it('`sweep predict --images/--labels` classifies IDX files given on the command line', async () => {
    const out = join(dir, 'export-r');
    const images = 'data/fashion-mnist/t10k-images-idx3-ubyte.gz';
    const labelled = await sweep('predict', out, '--limit', '500', '--images', images, '--labels', 'data/fashion-mnist/t10k-labels-idx1-ubyte.gz');
    const viaTestSet = await sweep('predict', out, '--limit', '500');
    expect(labelled.out.match(/accuracy ([\d.]+)%/)![1]).toBe(viaTestSet.out.match(/accuracy ([\d.]+)%/)![1]);
    const unlabelled = await sweep('predict', out, '--limit', '300', '--images', images);
    expect(unlabelled.code).toBe(0);
    const counts = unlabelled.out.split('\n').map((l) => l.match(/^(?:T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot) +(\d+)$/)).filter(Boolean);
    expect(counts).toHaveLength(10);
    expect(counts.reduce((sum, m) => sum + Number(m![1]), 0)).toBe(300);
    expect((await sweep('predict', out, '--images', 'data/fashion-mnist/t10k-labels-idx1-ubyte.gz')).err).toMatch(/t10k-labels-idx1-ubyte\.gz: .*(magic|rank)/);
  });

  it('refuses a trial without a model, and a folder without one, in one line', async () => {
    expect((await sweep('export', '999', '--out', join(dir, 'x'), '--db', db)).err).toBe(`sweep: no trial 999 in ${db}\n`);
    const r = await sweep('predict', dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no model\.json here/);
  });
});
