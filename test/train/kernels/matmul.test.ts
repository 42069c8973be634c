import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { expectClose, randomValues, runKernelOn } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

// [a's shape, b's shape, transposeA, transposeB]: every transpose combination, both
// orientations of the a·bᵀ choice, rank 3 with batch 1, and batched products (built-in path).
const cases: [number[], number[], boolean, boolean][] = [
  [[32, 784], [32, 128], true, false], // dW = xᵀ·dy
  [[32, 128], [784, 128], false, true], // dx = dy·Wᵀ, small batch: (W·dyᵀ)ᵀ
  [[300, 20], [7, 20], false, true], // a·bᵀ with the smaller b: bᵀ packed
  [[5, 9], [13, 5], true, true],
  [[1, 17, 6], [1, 17, 3], true, false],
  [[1, 6, 17], [1, 3, 17], false, true],
  [[3, 17, 6], [3, 17, 5], true, false],
  [[2, 4, 6], [2, 5, 6], false, true],
  // Untransposed: sweep's GEMM (4×8 blocks, a 4-column edge, leftover rows), and the
  // built-in where the width is not a multiple of 4.
  [[8, 33], [33, 12], false, false],
  [[33, 7], [7, 16], false, false],
  [[1, 5, 64], [1, 64, 128], false, false],
  [[3, 4], [4, 10], false, false],
];

describe('BatchMatMul on wasm', () => {
  it.each(cases)('%j · %j, transposeA %s, transposeB %s: matches cpu', async (aShape, bShape, transposeA, transposeB) => {
    const a = { values: randomValues(tf.util.sizeFromShape(aShape), `a${aShape}`), shape: aShape };
    const b = { values: randomValues(tf.util.sizeFromShape(bShape), `b${bShape}`), shape: bShape };
    const attrs = { transposeA, transposeB };
    const expected = await runKernelOn('cpu', 'BatchMatMul', { a, b }, attrs);
    const actual = await runKernelOn('wasm', 'BatchMatMul', { a, b }, attrs);
    expect(actual.shape).toEqual(expected.shape);
    expectClose(actual, expected);
  });

  it('keeps tfjs’s error for mismatched inner dimensions', async () => {
    await tf.setBackend('wasm');
    const [a, b] = [tf.zeros([4, 3]), tf.zeros([5, 3])];
    expect(() => tf.matMul(a, b, true, false)).toThrow(/inner shapes/);
    tf.dispose([a, b]);
  });

  it.each([
    [[32, 50], [32, 20], true, false], [[50, 32], [20, 32], false, true], [[2, 32], [20, 32], false, true], [[32, 50], [20, 32], true, true],
  ])('frees its temporaries: %j · %j, transposeA %s, transposeB %s', async (aShape, bShape, ta, tb) => {
    await tf.setBackend('wasm');
    const [a, b] = [tf.ones(aShape as number[]), tf.ones(bShape as number[])];
    const before = tf.backend().numDataIds();
    const out = tf.matMul(a, b, ta as boolean, tb as boolean);
    expect(tf.backend().numDataIds()).toBe(before + 1);
    tf.dispose([a, b, out]);
  });
});
