import { describe, it, expect, beforeAll, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BN_GRAD, BN_RELU_POOL, BN_RELU_POOL_GRAD, BN_TRAIN, fusedBatchNorm, fusedBatchNormReluPool } from '../../../src/train/kernels/batch-norm.js';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { nativeAddon } from '../../../src/train/kernels/native.js';
import { heapBuffer, heapOffset } from '../../../src/train/kernels/wasm-kernel.js';
import { applyTraining, buildModel } from '../../../src/train/model.js';
import { SweepBatchNorm } from '../../../src/train/batch-norm.js';
import type { TrialConfig } from '../../../src/trial/types.js';
import { firstDifference, randomValues } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

const EPS = 1e-3;

type Data = { x: Float32Array; gamma: Float32Array; beta: Float32Array; dp: Float32Array };

/** Seeded activations [n, h, w, c], each channel its own offset and scale; dp at the pooled shape. */
function data(shape: [number, number, number, number]): Data {
  const [n, h, w, c] = shape;
  const size = n * h * w * c;
  const offset = randomValues(c, `offset:${shape}`);
  const x = randomValues(size, `x:${shape}`).map((v, i) => v * (1.5 + offset[i % c]) + offset[i % c]);
  return {
    x, gamma: randomValues(c, `gamma:${shape}`).map((v) => 1 + 0.5 * v), beta: randomValues(c, `beta:${shape}`),
    dp: randomValues(n * Math.floor(h / 2) * Math.floor(w / 2) * c, `dp:${shape}`),
  };
}

/**
 * [pooled, mean, variance, dx, dgamma, dbeta] of batch norm, ReLU and 2×2 max pooling on the wasm
 * backend, with the gradient of sum(pooled·dp): as the three layers run them (`layers`: the
 * batch-norm kernels, tf.relu, tf.maxPool, and their gradients), or as one kernel.
 */
function viaTf(shape: [number, number, number, number], d: Data, how: 'layers' | 'fused'): Float32Array[] {
  return tf.tidy(() => {
    const [x, gamma, beta, dp] = [tf.tensor4d(d.x, shape), tf.tensor1d(d.gamma), tf.tensor1d(d.beta), tf.tensor(d.dp)];
    const forward = (xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor[] => {
      if (how === 'fused') return fusedBatchNormReluPool(xt, g as tf.Tensor1D, b as tf.Tensor1D, EPS)!;
      const [y, mean, variance] = fusedBatchNorm(xt, g as tf.Tensor1D, b as tf.Tensor1D, EPS)!;
      return [tf.maxPool(tf.relu(y) as tf.Tensor4D, 2, 2, 'valid'), mean, variance];
    };
    const loss = (xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const pooled = forward(xt, g, b)[0];
      return tf.sum(tf.mul(pooled, dp.reshape(pooled.shape)));
    };
    return [...forward(x, gamma, beta), ...tf.grads(loss)([x, gamma, beta])].map((t) => (t.dataSync() as Float32Array).slice());
  });
}

/** The addon's two kernels called directly at `isa` on the same inputs: the same six outputs. */
function viaAddon(shape: [number, number, number, number], d: Data, isa: 'avx512' | 'avx2'): Float32Array[] {
  const [n, h, w, c] = shape;
  const b = tf.backend() as BackendWasm;
  const sizes = [d.x.length, c, c, d.dp.length, c, c, c, d.x.length, c, c, 5 * c + 2 * w * c];
  const infos = sizes.map((size) => b.makeOutput([size], 'float32'));
  [d.x, d.gamma, d.beta, d.dp].forEach((a, i) => (b.typedArrayFromHeap(infos[i]) as Float32Array).set(a));
  const [x, gamma, beta, pooled, mean, variance, tmp, dx, dgamma, dbeta, tmp2] = infos.map((info) => heapOffset(b, info));
  const eps = Math.fround(EPS);
  const tail = isa === 'avx2' ? ['avx2' as const] : [];
  // pooled first holds dp, the backward's input, then the forward's output.
  const dpCopy = (b.typedArrayFromHeap(infos[3]) as Float32Array).slice();
  const dpInfo = b.makeOutput([dpCopy.length], 'float32');
  (b.typedArrayFromHeap(dpInfo) as Float32Array).set(dpCopy);
  const addon = nativeAddon()!;
  addon.bn_relu_pool_forward(heapBuffer(b), x, gamma, beta, pooled, mean, variance, tmp, n, h, w, c, eps, ...tail);
  addon.bn_relu_pool_backward(heapBuffer(b), heapOffset(b, dpInfo), x, gamma, beta, mean, variance, dx, dgamma, dbeta, tmp2, n, h, w, c, eps, ...tail);
  const out = [3, 4, 5, 7, 8, 9].map((i) => (b.typedArrayFromHeap(infos[i]) as Float32Array).slice());
  [...infos, dpInfo].forEach((info) => b.disposeData(info.dataId));
  return out;
}

const SAME = [-1, -1, -1, -1, -1, -1];

describe.runIf(nativeAddon() !== null)('batch norm, ReLU and 2×2 max pooling as one kernel (native.c)', () => {
  // The BN CNN's two blocks; odd heights and widths (a row and a column outside every window);
  // 48 channels (three vectors at 512 bits); 256-row blocks ending inside a pair of rows.
  const shapes: [number, number, number, number][] = [[8, 28, 28, 32], [4, 14, 14, 64], [3, 7, 7, 16], [5, 5, 9, 48], [2, 9, 4, 16]];
  const isas = nativeAddon()?.isa() === 'avx512' ? ['avx512', 'avx2'] as const : ['avx2'] as const;

  it.each(shapes)('gives the three layers’ floats and gradients, bit for bit (%j)', (...shape) => {
    const d = data(shape);
    const expected = viaTf(shape, d, 'layers');
    expect(viaTf(shape, d, 'fused').map((v, i) => firstDifference(v, expected[i]))).toEqual(SAME);
    for (const isa of isas) expect(viaAddon(shape, d, isa).map((v, i) => firstDifference(v, expected[i]))).toEqual(SAME);
    // Not vacuous: ReLU zeroes some, and the gradient reaches x, gamma and beta.
    const [pooled, , , dx, dgamma, dbeta] = expected;
    expect(pooled.some((v) => v === 0) && pooled.some((v) => v > 0)).toBe(true);
    expect([dx, dgamma, dbeta].every((v) => v.some((g) => g !== 0))).toBe(true);
  });

  it('keeps NaN, ±∞, −0 and tied maxima where the three layers do', () => {
    const shape: [number, number, number, number] = [3, 6, 6, 32];
    const d = data(shape);
    const c = 32;
    for (let p = 0; p < d.x.length / c; p++) {
      d.x[p * c + 3] = p === 17 ? NaN : d.x[p * c + 3]; // a NaN channel
      d.x[p * c + 9] = p === 40 ? Infinity : d.x[p * c + 9]; // an infinite one
      d.x[p * c + 7] = -0; // a constant channel: variance 0, y = beta
      d.x[p * c + 12] = p % 2; // ties: two equal values in each window
      d.x[p * c + 20] = -5 - (p % 3); // all below the mean's side? ReLU's zeros tie in the windows
    }
    d.dp[5] = -0;
    d.dp[6] = Infinity;
    d.beta[7] = -0.25; // channel 7 all negative after batch norm: ReLU 0, gradients ·0
    const expected = viaTf(shape, d, 'layers');
    expect(viaTf(shape, d, 'fused').map((v, i) => firstDifference(v, expected[i]))).toEqual(SAME);
    for (const isa of isas) expect(viaAddon(shape, d, isa).map((v, i) => firstDifference(v, expected[i]))).toEqual(SAME);
    const [, mean, variance, dx] = expected;
    expect([Number.isNaN(mean[3]), mean[9], variance[7]]).toEqual([true, Infinity, 0]);
    expect(dx.some(Number.isNaN) && dx.some(Number.isFinite)).toBe(true);
  });

  it('is unavailable where it can’t take the shape: channels not in sixteens, no window, not 4-D', () => {
    tf.tidy(() => {
      const g = (c: number) => [tf.ones([c]) as tf.Tensor1D, tf.zeros([c]) as tf.Tensor1D] as const;
      expect(fusedBatchNormReluPool(tf.ones([2, 4, 4, 8]), ...g(8), EPS)).toBeNull();
      expect(fusedBatchNormReluPool(tf.ones([2, 1, 4, 16]), ...g(16), EPS)).toBeNull();
      expect(fusedBatchNormReluPool(tf.ones([32, 16]), ...g(16), EPS)).toBeNull();
      expect(fusedBatchNormReluPool(tf.ones([2, 4, 4, 16]), ...g(16), EPS)).not.toBeNull();
    });
  });
});

describe.runIf(nativeAddon() !== null)('applyTraining (a model’s forward pass in training)', () => {
  const config = {
    epochs: 1, model: 'cnn', filters: [16, 32, 48], units: [32], activation: 'relu', dropout: 0.25,
    optimizer: 'adam', learningRate: 0.002, batchSize: 8, batchNorm: true,
  } as TrialConfig;

  /** The model's output, its gradients and its batch-norm layers' moving statistics after one pass of 8 images. */
  function pass(how: 'apply' | 'applyTraining'): { names: string[]; values: Float32Array[] } {
    const model = buildModel(config, 3, [28, 28, 1], 10);
    const x = tf.tensor4d(randomValues(8 * 28 * 28, 'images').map((v) => (v + 1) / 2), [8, 28, 28, 1]);
    const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const out = how === 'apply' ? model.apply(x, { training: true }) as tf.Tensor : applyTraining(model, x);
      return tf.sum(tf.mul(out, tf.range(0, 80).reshape([8, 10]))) as tf.Scalar;
    }, weights);
    const moving = model.layers.filter((l) => l instanceof SweepBatchNorm).flatMap((l) => l.getWeights().slice(2));
    const values = [value, ...weights.map((w) => grads[w.name]), ...moving].map((t) => (t.dataSync() as Float32Array).slice());
    const names = ['output', ...weights.map((w) => w.name.replace(/_\d+|\d+\//g, '/')), ...moving.map((_, i) => `moving ${i}`)];
    tf.dispose([value, x, ...Object.values(grads)]);
    model.dispose();
    return { names, values };
  }

  it('is model.apply(x, {training: true}) to the bit, running each block’s batch norm, ReLU and pooling as one kernel', () => {
    const run = vi.spyOn(tf.engine(), 'runKernel');
    const expected = pass('apply');
    const stock = run.mock.calls.map((call) => call[0]);
    run.mockClear();
    const actual = pass('applyTraining');
    const fused = run.mock.calls.map((call) => call[0]);
    run.mockRestore();
    expect(actual.names.length).toBe(expected.names.length);
    expect(actual.values.map((v, i) => [actual.names[i], firstDifference(v, expected.values[i])]))
      .toEqual(expected.names.map((name) => [name, -1]));
    // Three blocks of 28, 14 and 7 pixels: each fused forward and backward; the dense layer's batch norm stays separate.
    expect([fused.filter((k) => k === BN_RELU_POOL).length, fused.filter((k) => k === BN_RELU_POOL_GRAD).length]).toEqual([3, 3]);
    expect([fused.filter((k) => k === BN_TRAIN).length, fused.filter((k) => k === BN_GRAD).length]).toEqual([1, 1]);
    expect([stock.filter((k) => k === BN_TRAIN).length, stock.filter((k) => k === 'MaxPool').length]).toEqual([4, 3]);
    expect(fused.filter((k) => k === 'MaxPool' || k === 'Relu').length).toBe(1); // the dense layer's ReLU
  });
});
