import * as tf from '@tensorflow/tfjs';
import { builtInConfig } from '../../src/spec/code.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { initBackend } from '../../src/train/backend.js';
import { memorySnapshot, type MemorySnapshot } from '../../src/train/epoch-phases.js';
import { buildModel } from '../../src/train/model.js';
import { disposeSplits, makeSplits, type Splits } from '../../src/train/tensors.js';
import { evaluate, trainTrial } from '../../src/train/train.js';
import type { TrialConfig } from '../../src/trial/types.js';

const DATA = { validationSplit: 0.2, trainLimit: 1500, testLimit: 500 };
let splits: Splits;
let backend: string;

beforeAll(async () => {
  backend = await initBackend('wasm');
  splits = makeSplits(await loadFashionMnist(), DATA);
});
afterAll(() => disposeSplits(splits));

const config = (grid: string): TrialConfig =>
  builtInConfig(expandGrid(parseSpec(`name: t\ngrid:\n${grid}`, 't.yaml'))[0].config);
const train = (c: TrialConfig, seed: number) => trainTrial({ config: c, seed, splits, backend }).then(({ model, ...o }) => {
  model.dispose();
  return o;
});

describe('makeSplits', () => {
  it('takes the last validationSplit of the limited training set for validation', () => {
    expect([splits.train.count, splits.val.count, splits.test.count]).toEqual([1200, 300, 500]);
    expect(splits.train.x.shape).toEqual([1200, 28, 28, 1]);
    const pixels = splits.train.x.dataSync();
    expect(Math.max(...pixels.subarray(0, 784))).toBeLessThanOrEqual(1);
    // The first training image of Fashion-MNIST is an ankle boot (class 9).
    expect(splits.train.y.dataSync()[0]).toBe(9);
  });
});

describe('trainTrial', () => {
  it('is deterministic: the same config and seed give identical metrics', async () => {
    const c = config('  epochs: [2]\n  units: [[32]]\n  dropout: [0.3]\n');
    const [a, b] = [await train(c, 11), await train(c, 11)];
    expect(a.epochs.map(({ seconds: _, ...m }) => m)).toEqual(b.epochs.map(({ seconds: _, ...m }) => m));
    expect([a.testAccuracy, a.testLoss]).toEqual([b.testAccuracy, b.testLoss]);
    const other = await train(c, 12);
    expect(other.epochs[1].loss).not.toBe(a.epochs[1].loss);
  });

  it('learns: accuracy rises well above chance in a few epochs, and the last epoch gives the val metrics', async () => {
    const o = await train(config('  epochs: [3]\n  units: [[64]]\n  dropout: [0.1]\n'), 1);
    expect(o.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(o.epochs[2].loss).toBeLessThan(o.epochs[0].loss);
    expect(o.valAccuracy).toBe(o.epochs[2].valAccuracy);
    expect(o.testAccuracy).toBeGreaterThan(0.6);
    expect(o.params).toBe(784 * 64 + 64 + 64 * 10 + 10);
  });

  it('trains a CNN on the wasm backend', async () => {
    const o = await train(config('  model:\n    cnn: {filters: [[4, 8]], units: [[16]], epochs: [2]}\n'), 1);
    expect(o.backend).toBe('wasm');
    expect(o.epochs[1].loss).toBeLessThan(o.epochs[0].loss);
    expect(o.testAccuracy).toBeGreaterThan(0.3);
  });

  it('throws when the loss stops being finite', async () => {
    const nan = { ...splits, train: { ...splits.train, x: tf.fill([1200, 28, 28, 1], Number.NaN) as tf.Tensor4D } };
    const c = config('  epochs: [2]\n  units: [[8]]\n');
    await expect(trainTrial({ config: c, seed: 1, splits: nan, backend })).rejects.toThrow(/^training diverged in epoch 1: (loss|weights) became NaN or infinite$/);
    nan.train.x.dispose();
  });

  it('builds the same initial weights from the same seed', () => {
    const c = config('  units: [[16]]\n');
    const [a, b] = [buildModel(c, 5, splits.shape, splits.classes), buildModel(c, 5, splits.shape, splits.classes)];
    expect(a.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(b.getWeights().map((w) => Array.from(w.dataSync())));
    expect(Array.from(buildModel(c, 6, splits.shape, splits.classes).getWeights()[0].dataSync())).not.toEqual(Array.from(a.getWeights()[0].dataSync()));
  });

  it('trains with label smoothing: a different loss, the same data and seed, and deterministic', async () => {
    const plain = await train(config('  epochs: [1]\n  units: [[16]]\n'), 3);
    const smoothed = await train(config('  epochs: [1]\n  units: [[16]]\n  labelSmoothing: [0.1]\n'), 3);
    // Smoothed targets never reach a loss of 0: the loss is higher for the same model quality.
    expect(smoothed.epochs[0].loss).toBeGreaterThan(plain.epochs[0].loss);
    expect(smoothed.weightsSha256).not.toBe(plain.weightsSha256);
    expect((await train(config('  epochs: [1]\n  units: [[16]]\n  labelSmoothing: [0.1]\n'), 3)).weightsSha256).toBe(smoothed.weightsSha256);
  });

  it('builds the model the new keys describe: blocks of convs, batch normalization before each activation, a pooled head', () => {
    const m = buildModel(config('  model:\n    cnn: {filters: [[8, 16]], blocks: [2], head: [gap], units: [[32]], batchNorm: [true], activation: [leaky_relu]}\n'), 1, splits.shape, splits.classes);
    const names = m.layers.map((l) => l.getClassName());
    expect(names).toEqual([
      'Conv2D', 'BatchNormalization', 'LeakyReLU', 'Conv2D', 'BatchNormalization', 'LeakyReLU', 'MaxPooling2D',
      'Conv2D', 'BatchNormalization', 'LeakyReLU', 'Conv2D', 'BatchNormalization', 'LeakyReLU', 'MaxPooling2D',
      'GlobalAveragePooling2D', 'Dense', 'BatchNormalization', 'LeakyReLU', 'Dropout', 'Dense',
    ]);
    // The layers before batch normalization have no bias (its beta is one); the output layer has.
    expect(m.layers.filter((l) => l.getClassName() === 'Conv2D').every((l) => l.getWeights().length === 1)).toBe(true);
    expect(m.layers[m.layers.length - 1].getWeights()).toHaveLength(2);
    expect(m.outputShape).toEqual([null, 10]);
    // Without the new keys: the model every earlier trial trained, layer for layer.
    expect(buildModel(config('  model:\n    cnn: {filters: [[8, 16]]}\n'), 1, splits.shape, splits.classes).layers.map((l) => l.getClassName()))
      .toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dropout', 'Dense']);
  });

  it('trains with weight decay: a different run, with smaller kernels than without', async () => {
    const plain = await train(config('  epochs: [2]\n  units: [[16]]\n'), 3);
    const decayed = await train(config('  epochs: [2]\n  units: [[16]]\n  weightDecay: [0.5]\n'), 3);
    expect(decayed.weightsSha256).not.toBe(plain.weightsSha256);
    const norm = async (c: TrialConfig) => {
      const { model } = await trainTrial({ config: c, seed: 3, splits, backend });
      const [kernel] = model.getWeights();
      const value = tf.tidy(() => tf.norm(kernel).dataSync()[0]);
      model.dispose();
      return value;
    };
    // 76 steps at lr 0.01: each multiplies the kernels by 1 − 0.01·0.9, about 0.5 in all.
    const fast = '  epochs: [2]\n  units: [[16]]\n  learningRate: [0.01]\n';
    expect(await norm(config(`${fast}  weightDecay: [0.9]\n`))).toBeLessThan(0.8 * await norm(config(fast)));
  });
});

describe('evaluate', () => {
  // evaluate predicts in batches of 256, not predict's default 32 (5–8× faster for the ANN):
  // each row's outputs must be the same floats whatever batch it is computed in, or validation
  // and test accuracies would change with the batch.
  it('gives each image the same outputs in a batch of 256 as in batches of 32, ANN and CNN with batch norm', async () => {
    const models = [
      buildModel(config('  model: [ann]\n  units: [[256, 128]]\n  batchNorm: [true]\n'), 3, splits.shape, splits.classes),
      buildModel(config('  model: [cnn]\n  filters: [[8, 16]]\n  units: [[32]]\n  batchNorm: [true]\n'), 3, splits.shape, splits.classes),
    ];
    const x = splits.val.x.slice(0, 300);
    for (const m of models) {
      // Past the initial weights: a few steps, so the batch-norm statistics are not the identity.
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      await m.fit(splits.train.x.slice(0, 256), splits.train.y.slice(0, 256).cast('float32'), { epochs: 1, batchSize: 64, verbose: 0 });
      const in32 = (m.predict(x, { batchSize: 32 }) as tf.Tensor).dataSync();
      const in256 = (m.predict(x, { batchSize: 256 }) as tf.Tensor).dataSync();
      expect(Array.from(in256, (v, i) => Object.is(v, in32[i])).every(Boolean)).toBe(true);
      const { accuracy } = evaluate(m, splits.val);
      expect(accuracy).toBeGreaterThan(0);
      m.dispose();
    }
    x.dispose();
  });
});

describe('trainTrial\'s memory', () => {
  // Issue 30: no growth over 20 epochs, for the CNN at batch 128. A small split (512 training
  // images: 4 full batches an epoch) keeps it to seconds; what would leak is per step or per
  // epoch (a tensor, the backend's memory, JavaScript objects), not per image.
  it('holds the same tensors and wasm memory after every epoch of 20, and no growing resident set, for the CNN at batch 128', async () => {
    const small = makeSplits(await loadFashionMnist(), { validationSplit: 0.2, trainLimit: 640, testLimit: 100 });
    const c = config('  epochs: [20]\n  dropout: [0.2]\n  model:\n    cnn: {filters: [[32, 64]], kernelSize: [3], units: [[128]]}\n');
    const after: MemorySnapshot[] = [];
    try {
      // With checkpoints, as a sweep worker trains (each epoch's is encoded, then dropped here).
      const r = await trainTrial({
        config: { ...c, batchSize: 128 }, seed: 1, splits: small, backend, checkpoint: { configId: 'memory', from: null },
        onEpoch: () => { after.push(memorySnapshot()); },
      });
      r.model.dispose();
    } finally {
      disposeSplits(small);
    }
    expect(after).toHaveLength(20);
    // Exact: one tensor kept per epoch would show; so would the backend's memory growing (it never shrinks) past the first epoch.
    expect(new Set(after.map((m) => m.tensors)).size).toBe(1);
    expect(new Set(after.map((m) => m.tensorBytes)).size).toBe(1);
    expect(new Set(after.slice(1).map((m) => m.wasmBytes)).size).toBe(1);
    // The resident set still grows for the first 10–15 epochs, by up to 6 MB an epoch, outside
    // V8's heap (whose reserved size stays at 70 MB) and within the backend's fixed memory: most
    // likely its allocator handing out pages not touched before, until every page it uses is
    // resident. Then it is flat: over epochs 16–20 it grew by 0.0 MB in each of three runs on the
    // 2-core machine (two in vitest, one in a plain node process). So those 5 epochs may add 12 MB at most: a leak of 2.4 MB an epoch would show, and
    // the smallest per-step leak of a tensor (a batch's labels) shows in the tensor count above.
    const settled = after[14].rss;
    expect(Math.max(...after.slice(15).map((m) => m.rss)) - settled).toBeLessThan(12 * 2 ** 20);
  });
});
