import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInConfig } from '../../src/spec/code.js';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { initBackend } from '../../src/train/backend.js';
import { disposeSplits, makeSplits, type Splits } from '../../src/train/tensors.js';
import { trainTrial } from '../../src/train/train.js';
import type { TrialConfig } from '../../src/trial/types.js';

let splits: Splits;
let backend: string;
beforeAll(async () => {
  backend = await initBackend('wasm');
  splits = makeSplits(await loadFashionMnist(), { validationSplit: 0.2, trainLimit: 1000, testLimit: 300 });
});
afterAll(() => disposeSplits(splits));

const config = (optimizer: string): TrialConfig =>
  builtInConfig(expandGrid(parseSpec(`name: c\ntrain: {optimizer: ${optimizer}}\ngrid:\n  epochs: [4]\n  units: [[24, 12]]\n  dropout: [0.3]\n`, 'c.yaml'))[0].config);

/** Where a test's checkpoints go: the latest one, as the store keeps it. */
type Saved = { latest: Uint8Array | null };

async function train(c: TrialConfig, saved?: Saved, killAfter?: number, configId = 'cfg') {
  const { model, ...o } = await trainTrial({
    config: c, seed: 9, splits, backend,
    checkpoint: saved ? { configId, from: saved.latest } : undefined,
    onEpoch: (m, checkpoint) => {
      if (saved) saved.latest = checkpoint;
      // Stands in for a kill: the epoch and its checkpoint are saved, then training stops.
      if (m.epoch === killAfter) throw new Error('killed');
    },
  });
  model.dispose();
  return o;
}
const metrics = (o: { epochs: { seconds: number }[]; testAccuracy: number; testLoss: number }) =>
  ({ epochs: o.epochs.map(({ seconds: _, ...m }) => m), test: [o.testAccuracy, o.testLoss] });

/** Killed after epoch 2 and resumed from its checkpoint, `c` ends as an uninterrupted run: metrics and weights. */
async function expectResumesExactly(c: TrialConfig): Promise<void> {
  const whole = await train(c);
  const saved: Saved = { latest: null };
  await expect(train(c, saved, 2)).rejects.toThrow('killed');
  const resumed = await train(c, saved);
  expect(resumed.resumedFrom).toBe(2);
  expect(metrics(resumed)).toEqual(metrics(whole));
  expect(resumed.weightsSha256).toBe(whole.weightsSha256);
}

describe('checkpoints', () => {
  // Weights, optimizer state, shuffling and dropout generators are all restored.
  it.each(['adam', 'sgd', 'rmsprop', 'adagrad'])('a trial resumed from a checkpoint ends exactly as an uninterrupted one (%s)', async (optimizer) => {
    await expectResumesExactly(config(optimizer));
  });

  // Batch normalization's moving statistics are weights, and precise BN's batches the epoch's first
  // in the saved order; augmentation and the learning rate are functions of the seed and the step,
  // and weight decay of the rate: nothing else to save.
  it.each([
    ['adam', 'cosine', 'ann'],
    ['sgd', 'onecycle', 'cnn'],
    ['rmsprop', 'step', 'ann'],
  ])('a trial with batch normalization, augmentation, weight decay and a schedule resumes exactly (%s, %s, %s)', async (optimizer, schedule, model) => {
    const c = builtInConfig(expandGrid(parseSpec(`name: c
train: {optimizer: ${optimizer}, schedule: ${schedule}, weightDecay: 0.05, augment: shift+flip+erase, batchNorm: true}
grid:
  model:
    ${model}: {epochs: [4], units: [[24]], dropout: [0.2]${model === 'cnn' ? ', filters: [[4, 8]], blocks: [2], head: [gap]' : ''}}
`, 'c.yaml'))[0].config);
    expect(c.preciseBn).toBe(200);
    await expectResumesExactly(c);
  });

  // Found by npm run bench:epochs: a sweep worker's live tensors grew by one each epoch.
  it.each(['adam', 'sgd', 'rmsprop', 'adagrad'])('leaves no tensor behind for the checkpoints it takes (%s)', async (optimizer) => {
    const saved: Saved = { latest: null };
    const tensors: number[] = [];
    const { model } = await trainTrial({
      config: config(optimizer), seed: 9, splits, backend, checkpoint: { configId: 'cfg', from: null },
      onEpoch: (_m, checkpoint) => { saved.latest = checkpoint; tensors.push(tf.memory().numTensors); },
    });
    model.dispose();
    expect(saved.latest).toBeNull();
    expect(tensors).toHaveLength(4);
    expect(new Set(tensors).size).toBe(1);
  });

  it('ignores a checkpoint of another configuration, or a damaged one, and starts from scratch', async () => {
    const c = config('adam');
    const saved: Saved = { latest: null };
    await expect(train(c, saved, 3)).rejects.toThrow('killed');
    const third = saved.latest!;
    expect(third.byteLength).toBeGreaterThan(1000);
    expect((await train(c, { latest: third }, undefined, 'another')).resumedFrom).toBe(0);
    expect((await train(c, { latest: third.subarray(0, third.byteLength - 10) })).resumedFrom).toBe(0);
    expect((await train(c, { latest: new Uint8Array([1, 2]) })).resumedFrom).toBe(0);
    expect((await train(c, { latest: third })).resumedFrom).toBe(3);
  });
});
