import * as tf from '@tensorflow/tfjs';
import { builtInConfig } from '../../src/spec/code.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { initBackend } from '../../src/train/backend.js';
import { buildModel, makeOptimizer } from '../../src/train/model.js';
import { evaluateDirect, DirectStep } from '../../src/train/direct-step.js';
import { nativeAddon } from '../../src/train/kernels/native.js';
import { countHits, sparseCrossEntropy } from '../../src/train/loss.js';
import { disposeSplits, makeSplits, type Splits } from '../../src/train/tensors.js';
import { trainTrial } from '../../src/train/train.js';
import type { TrialConfig } from '../../src/trial/types.js';

// 1,201 training images: the last batch is partial at every batch size below.
const DATA = { validationSplit: 0.2, trainLimit: 1501, testLimit: 300 };
let splits: Splits;

beforeAll(async () => {
  await initBackend('wasm');
  splits = makeSplits(await loadFashionMnist(), DATA);
});
afterAll(() => disposeSplits(splits));

/** The first configuration of a grid given as `key: [values]` lines. */
const config = (grid: string): TrialConfig => builtInConfig(expandGrid(parseSpec(
  `name: t\ngrid:\n${grid.split('\n').map((l) => `  ${l.trim()}`).join('\n')}`, 't.yaml',
))[0].config);

/** A trial's results and final weights, trained with the direct step or (tfjs: true) through tfjs's tape. */
async function train(c: TrialConfig, tfjs: boolean) {
  const spy = tfjs ? vi.spyOn(DirectStep, 'for').mockReturnValue(null) : vi.spyOn(DirectStep.prototype, 'run');
  try {
    const { model, seconds: _, epochs, ...outcome } = await trainTrial({ config: c, seed: 7, splits, backend: 'wasm' });
    if (!tfjs) expect(spy).toHaveBeenCalledTimes(Math.ceil(splits.train.count / c.batchSize) * c.epochs);
    const weights = model.getWeights().map((w) => Array.from(new Uint32Array((w.dataSync() as Float32Array).slice().buffer)));
    model.dispose();
    return { outcome, epochs: epochs.map(({ seconds: __, ...e }) => e), weights };
  } finally {
    spy.mockRestore();
  }
}

describe('DirectStep', () => {
  it.each([
    ['the notebook ANN', 'model: [ann]\n  epochs: [2]\n  units: [[128]]\n  dropout: [0.2]'],
    ['two hidden layers, batch 50, a cosine schedule', 'model: [ann]\n  epochs: [2]\n  units: [[64, 32]]\n  dropout: [0.3]\n  batchSize: [50]\n  schedule: [cosine]'],
    ['no dropout, batch 128', 'model: [ann]\n  epochs: [2]\n  units: [[40]]\n  dropout: [0]\n  batchSize: [128]'],
    ['the notebook CNN (conv, max pool, conv, max pool, dense, dropout)', 'model: [cnn]\n  epochs: [2]\n  filters: [[8, 16]]\n  units: [[32]]\n  dropout: [0.2]'],
    ['a CNN of two blocks of 5×5 convolutions without pooling, batch 50', 'model: [cnn]\n  epochs: [1]\n  filters: [[4]]\n  blocks: [2]\n  kernelSize: [5]\n  pooling: [none]\n  units: [[16]]\n  dropout: [0]\n  batchSize: [50]'],
    // Filters in multiples of 16: each block's pooling and its gradient with ReLU's native (conv-relu.ts).
    ['the notebook CNN with 16 and 32 filters', 'model: [cnn]\n  epochs: [2]\n  filters: [[16, 32]]\n  units: [[32]]\n  dropout: [0.2]'],
  ])('%s: trains to the same weights and metrics as the tfjs path, bit for bit', async (_, grid) => {
    const c = config(grid);
    const addon = nativeAddon();
    const pooled = addon === null ? [] : (c.filters ?? []).filter((f) => f % 16 === 0);
    const fused = pooled.length > 0 ? vi.spyOn(addon!, 'pool_relu_grad') : null;
    const direct = await train(c, false);
    if (fused !== null) {
      expect(fused).toHaveBeenCalledTimes(Math.ceil(splits.train.count / c.batchSize) * c.epochs * pooled.length);
      fused.mockRestore();
    }
    const tfjs = await train(c, true);
    expect(direct.epochs).toEqual(tfjs.epochs);
    expect(direct.outcome).toEqual(tfjs.outcome);
    expect(direct.weights).toEqual(tfjs.weights);
  }, 60_000);

  it("updates Adam's moments in place only where no other tensor shares their data", async () => {
    const c = config('model: [ann]\n  epochs: [1]\n  units: [[16]]');
    const model = buildModel(c, 1, splits.shape, splits.classes);
    const optimizer = makeOptimizer('adam', 0.01);
    const step = DirectStep.for(model, optimizer, c)!;
    const idx = Int32Array.from({ length: 32 }, (_, i) => i);
    step.run(splits.train, idx);
    const moments = (await optimizer.getWeights()).slice(1).map((w) => w.tensor as tf.Variable);
    // A clone shares its source's data (sweep's Identity on wasm): it must keep the values it had.
    const clones = moments.map((m) => tf.clone(m));
    const before = clones.map((t) => Array.from(t.dataSync()));
    step.run(splits.train, idx);
    expect(clones.map((t) => Array.from(t.dataSync()))).toEqual(before);
    expect(moments.map((m) => Array.from(m.dataSync()))).not.toEqual(before);
    tf.dispose(clones);
    model.dispose();
    optimizer.dispose();
  });

  it("evaluates to model.predict's loss and hits, bit for bit", async () => {
    const cnns = [
      // The notebook's CNN (its convolutions are XNNPACK's in predict: the native exact GEMM here).
      'model: [cnn]\n  filters: [[8, 16]]\n  units: [[32]]',
      'model: [cnn]\n  filters: [[4]]\n  blocks: [2]\n  kernelSize: [5]\n  pooling: [none]\n  units: [[16]]',
    ];
    for (const grid of ['model: [ann]\n  units: [[128]]', 'model: [ann]\n  units: [[48, 24]]\n  dropout: [0]', ...cnns]) {
      // A model trained two epochs, so its biases are not zeros.
      const c = { ...config(grid), epochs: 2 };
      const { model } = await trainTrial({ config: c, seed: 3, splits, backend: 'wasm' });
      // The stock computation: predict in batches of 256 within slices of 128 (the last partial), as evaluate() did.
      let [loss, hits] = [0, 0];
      for (let start = 0; start < splits.val.count; start += 128) {
        const size = Math.min(128, splits.val.count - start);
        tf.tidy(() => {
          const probs = model.predict(splits.val.x.slice(start, size), { batchSize: 256 }) as tf.Tensor2D;
          const labels = splits.val.y.slice(start, size);
          loss += tf.mul(sparseCrossEntropy(probs, labels), size).dataSync()[0];
          hits += countHits(probs, labels).dataSync()[0];
        });
      }
      // A CNN's convolutions are XNNPACK's floats only by the native addon's exact GEMM: without
      // it (SWEEP_NATIVE=0, or no compiler), evaluation leaves the CNN to predict.
      if (grid.includes('cnn') && nativeAddon() === null) expect(evaluateDirect(model, splits.val, 128)).toBeNull();
      else expect(evaluateDirect(model, splits.val, 128)).toEqual({ loss, hits });
      model.dispose();
    }
  }, 60_000);
});
