import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/spec/hyperparameters.js';
import { initBackend } from '../../src/train/backend.js';
import { gemmFlops, trainingFlops } from '../../src/train/flops.js';
import { buildModel } from '../../src/train/model.js';
import type { TrialConfig } from '../../src/trial/types.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const base = { epochs: 1, activation: 'relu', dropout: 0.2, optimizer: 'adam', learningRate: 0.001, batchSize: 32 } as const;
const count = (config: Partial<TrialConfig>) => {
  const model = buildModel(withDefaults(config as TrialConfig), 1, [28, 28, 1], 10);
  try {
    return trainingFlops(model);
  } finally {
    model.dispose();
  }
};

// The expected numbers are worked out by hand from the layer shapes, not by the code under test.
describe('trainingFlops', () => {
  it('counts a product of [m×k]·[k×n] as 2·m·k·n', () => {
    expect(gemmFlops(32, 784, 128)).toBe(6_422_528);
  });

  it('counts the notebook ANN 784-128-10: no input gradient for the first layer', () => {
    const f = count({ ...base, model: 'ann', units: [128] });
    // Forward 2·784·128 + 2·128·10; backward both weights' gradients and the second layer's input's.
    expect(f.layers.map((l) => [l.kind, l.forward, l.weightsGradient, l.inputGradient])).toEqual([
      ['dense', 200_704, 200_704, 0],
      ['dense', 2_560, 2_560, 2_560],
    ]);
    expect([f.forward, f.backward, f.total]).toEqual([203_264, 205_824, 409_088]);
  });

  it('counts the CNN conv32-conv64-dense128 as its im2col GEMMs', () => {
    const f = count({ ...base, model: 'cnn', units: [128], filters: [32, 64], kernelSize: 3, pooling: 'max' });
    // conv1: 28·28 positions × 3·3·1 × 32; conv2 after pooling: 14·14 × 3·3·32 × 64, and its input's
    // gradient 14·14 × 3·3·64 × 32; dense: 7·7·64 = 3,136 inputs × 128; then 128 × 10.
    expect(f.layers.map((l) => [l.kind, l.forward, l.weightsGradient, l.inputGradient])).toEqual([
      ['conv', 451_584, 451_584, 0],
      ['conv', 7_225_344, 7_225_344, 7_225_344],
      ['dense', 802_816, 802_816, 802_816],
      ['dense', 2_560, 2_560, 2_560],
    ]);
    expect([f.forward, f.backward, f.total]).toEqual([8_482_304, 16_513_024, 24_995_328]);
  });

  it('counts the same products with batch norm, whose own arithmetic is left out', () => {
    const plain = count({ ...base, model: 'cnn', units: [128], filters: [32, 64], kernelSize: 3, pooling: 'max' });
    const bn = count({ ...base, model: 'cnn', units: [128], filters: [32, 64], kernelSize: 3, pooling: 'max', batchNorm: true });
    expect(bn.total).toBe(plain.total);
  });

  it('counts a deeper ANN layer by layer', () => {
    const f = count({ ...base, model: 'ann', units: [512, 256, 128] });
    // Products 784·512, 512·256, 256·128, 128·10 = 566,528 terms; the input gradients skip the first.
    expect(f.forward).toBe(1_133_056);
    expect(f.backward).toBe(1_133_056 + 2 * (131_072 + 32_768 + 1_280));
  });

  it('refuses a layer it has no rule for, rather than count it as free', () => {
    const model = tf.sequential({ layers: [tf.layers.conv1d({ inputShape: [28, 28], filters: 4, kernelSize: 3 })] });
    expect(() => trainingFlops(model)).toThrow(/no FLOP rule for a Conv1D layer/);
    model.dispose();
  });
});
