import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { countHits, sparseCrossEntropy } from '../../../src/train/loss.js';
import { buildModel, makeOptimizer } from '../../../src/train/model.js';
import { randomValues } from './compare.js';
import type { TrialConfig } from '../../../src/trial/types.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

const base = { epochs: 1, activation: 'relu', dropout: 0.2, optimizer: 'adam', learningRate: 0.001, batchSize: 8 } as const;
const configs = [
  { ...base, model: 'ann', units: [16, 12] },
  { ...base, model: 'cnn', units: [16], filters: [4, 8], kernelSize: 3, pooling: 'max' },
] as unknown as TrialConfig[];

describe('sweep’s wasm kernels in a training step', () => {
  it.each(configs)('leave no tensor or backend buffer behind ($model)', (config) => {
    const model = buildModel(config, 1, [28, 28, 1], 10);
    const optimizer = makeOptimizer(config.optimizer, config.learningRate);
    const data = tf.tensor4d(randomValues(64 * 784, 'x').map((v) => (v + 1) / 2), [64, 28, 28, 1]);
    const labels = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 10), 'int32');
    const step = (i: number) => tf.tidy(() => {
      const idx = tf.tensor1d(Array.from({ length: 8 }, (_, j) => (i * 8 + j * 7) % 64), 'int32');
      const [xb, yb] = [tf.gather(data, idx), tf.gather(labels, idx)];
      optimizer.minimize(() => {
        const probs = model.apply(xb, { training: true }) as tf.Tensor2D;
        countHits(probs, yb);
        return sparseCrossEntropy(probs, yb);
      });
    });
    step(0); // creates the optimizer's state
    const [tensors, buffers] = [tf.memory().numTensors, tf.backend().numDataIds()];
    for (let i = 1; i < 4; i++) step(i);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
    tf.dispose([data, labels]);
    model.dispose();
    optimizer.dispose();
  });
});
