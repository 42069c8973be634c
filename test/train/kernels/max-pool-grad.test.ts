import { describe, it, expect, beforeAll, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { maxPoolGradValues } from '../../../src/train/kernels/max-pool-grad.js';
import { nativeAddon } from '../../../src/train/kernels/native.js';
import { expectClose, randomValues, runKernelOn } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

// [name, input shape, pool, stride, pad, fraction of exact zeros (ties, as after ReLU)]
const cases: [string, number[], number, number, 'valid' | 'same', number][] = [
  ['2×2/2 valid, the CNN layer', [4, 28, 28, 32], 2, 2, 'valid', 0.5],
  ['2×2/2 valid, odd size', [2, 7, 9, 3], 2, 2, 'valid', 0],
  ['3×3/2 same, padding', [2, 9, 8, 5], 3, 2, 'same', 0.3],
  ['3×3/1 same, overlapping windows', [1, 6, 7, 4], 3, 1, 'same', 0],
  ['2×2/1 valid, overlapping, all ties', [1, 5, 5, 2], 2, 1, 'valid', 1],
];

describe('MaxPoolGrad on wasm', () => {
  it.each(cases)('%s: matches cpu', async (_, shape, pool, stride, pad, zeros) => {
    const input = { values: randomValues(tf.util.sizeFromShape(shape), `x${shape}`, zeros), shape };
    const outShape = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], pool, stride, 1, pad).outShape;
    const dy = { values: randomValues(tf.util.sizeFromShape(outShape), `dy${shape}`), shape: outShape };
    const attrs = { filterSize: pool, strides: stride, pad, dimRoundingMode: undefined };
    const expected = await runKernelOn('cpu', 'MaxPoolGrad', { dy, input, output: { values: new Float32Array(0), shape: [0] } }, attrs);
    const actual = await runKernelOn('wasm', 'MaxPoolGrad', { dy, input, output: { values: new Float32Array(0), shape: [0] } }, attrs);
    if (stride >= pool) expect(Array.from(actual)).toEqual(Array.from(expected)); // each dx gets at most one dy: exact
    else expectClose(actual, expected);
    expect(actual.some((v) => v !== 0)).toBe(true);
  });
});

describe('MaxPoolGrad on wasm, the SIMD path (channels in fours)', () => {
  it.each([
    ['3×3/2 same, overlapping windows', [2, 9, 8, 8], 3, 2, 'same' as const],
    ['2×2/2 valid', [3, 6, 6, 12], 2, 2, 'valid' as const],
    ['2×2/2 valid, a last row and column outside every window', [2, 7, 9, 8], 2, 2, 'valid' as const],
    ['2×2/2 same, even size (no padding)', [1, 8, 6, 4], 2, 2, 'same' as const],
  ])('%s: the same floats as the JavaScript loop, NaN and −∞ never winning', async (_, shape, pool, stride, pad) => {
    const xv = randomValues(tf.util.sizeFromShape(shape), `simd${shape}`, 0.3);
    for (let i = 0; i < xv.length; i += 7) xv[i] = i % 2 === 0 ? NaN : -Infinity;
    const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], pool, stride, 1, pad);
    const dyv = randomValues(tf.util.sizeFromShape(info.outShape), `simd-dy${shape}`);
    for (let i = 0; i < dyv.length; i += 5) dyv[i] = -0; // a winner's dx is 0 + dy: +0
    const expected = new Float32Array(xv.length);
    maxPoolGradValues(xv, dyv, expected, info);
    const actual = await runKernelOn('wasm', 'MaxPoolGrad', {
      dy: { values: dyv, shape: info.outShape }, input: { values: xv, shape }, output: { values: new Float32Array(0), shape: [0] },
    }, { filterSize: pool, strides: stride, pad, dimRoundingMode: undefined });
    // Bit patterns, so −0 and +0 differ.
    expect(Array.from(new Uint32Array(actual.buffer))).toEqual(Array.from(new Uint32Array(expected.buffer)));
    expect(actual.some((v) => v !== 0)).toBe(true);
  });
});

describe.runIf(nativeAddon() !== null)('MaxPoolGrad on wasm, the native path (2×2 windows at stride 2, channels in sixteens)', () => {
  it.each([
    ['the CNN layer', [4, 28, 28, 32]],
    ['a last row and column outside every window', [2, 7, 9, 16]],
    ['48 channels', [3, 14, 14, 48]],
  ])('%s: the same floats as the JavaScript loop, ties, NaN and −∞ included', async (_, shape) => {
    const xv = randomValues(tf.util.sizeFromShape(shape), `native${shape}`, 0.4);
    for (let i = 0; i < xv.length; i += 11) xv[i] = i % 2 === 0 ? NaN : -Infinity;
    const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], 2, 2, 1, 'valid');
    const dyv = randomValues(tf.util.sizeFromShape(info.outShape), `native-dy${shape}`);
    for (let i = 0; i < dyv.length; i += 5) dyv[i] = -0;
    const expected = new Float32Array(xv.length);
    maxPoolGradValues(xv, dyv, expected, info);
    const addon = nativeAddon()!;
    const spy = vi.spyOn(addon, 'max_pool_grad_2x2');
    const actual = await runKernelOn('wasm', 'MaxPoolGrad', {
      dy: { values: dyv, shape: info.outShape }, input: { values: xv, shape }, output: { values: new Float32Array(0), shape: [0] },
    }, { filterSize: 2, strides: 2, pad: 'valid', dimRoundingMode: undefined });
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect(Array.from(new Uint32Array(actual.buffer))).toEqual(Array.from(new Uint32Array(expected.buffer)));
    expect(actual.some((v) => v !== 0)).toBe(true);
  });
});
