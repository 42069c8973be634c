import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { randomValues } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

async function gatherOn(backend: 'cpu' | 'wasm', x: () => tf.Tensor, idx: number[], axis = 0): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const out = tf.gather(x(), tf.tensor1d(idx, 'int32'), axis);
    return { shape: out.shape, values: Array.from(out.dataSync()) };
  });
}

describe('GatherV2 on wasm', () => {
  const images = () => tf.tensor4d(randomValues(10 * 4 * 3 * 2, 'x'), [10, 4, 3, 2]);
  it.each([
    ['float32 image rows, repeated and shuffled', images, [9, 0, 3, 3, 7], 0],
    ['int32 labels', () => tf.tensor1d([5, 1, 4, 9, 2, 6], 'int32'), [5, 0, 2], 0],
    ['bool rows', () => tf.tensor2d([[true, false], [false, false], [true, true]], [3, 2], 'bool'), [2, 0], 0],
    ['an inner axis (built-in path)', images, [2, 0], 2],
    ['no indices', images, [], 0],
  ] as const)('%s: same as cpu', async (_, x, idx, axis) => {
    const expected = await gatherOn('cpu', x, [...idx], axis);
    const actual = await gatherOn('wasm', x, [...idx], axis);
    expect(actual).toEqual(expected);
  });

  it('refuses an index out of range, as tfjs does, and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([4, 3]);
    const idx = tf.tensor1d([1, 4], 'int32');
    const before = tf.backend().numDataIds();
    expect(() => tf.gather(x, idx)).toThrow(/index value 4 is not in \[0, 3\]/);
    expect(tf.backend().numDataIds()).toBe(before);
    tf.dispose([x, idx]);
  });
});
