import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { builtinMaxPool } from '../../../src/train/kernels/max-pool.js';
import { nativeAddon } from '../../../src/train/kernels/native.js';
import { randomValues } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

/** Bit patterns, so −0 and NaN's payload count. */
const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0];

/** XNNPACK's MaxPool on x: the floats the override must give. */
function xnnpack(x: tf.Tensor4D, filterSize: number, strides: number, pad: 'valid' | 'same'): tf.Tensor {
  const info = builtinMaxPool()!.kernelFunc({ inputs: { x }, backend: tf.backend() as BackendWasm, attrs: { filterSize, strides, pad, dimRoundingMode: undefined } as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}

describe('MaxPool on wasm (max-pool.ts)', () => {
  // The CNNs' pooling at batch 32 and 128; odd sizes (a last row and column outside every window);
  // then what stays XNNPACK's: channels not a multiple of 16, 3×3 windows, stride 1, 'same' padding on odd sizes.
  it.each([
    [[32, 28, 28, 32], 2, 2, 'valid'], [[4, 14, 14, 64], 2, 2, 'valid'], [[3, 9, 7, 48], 2, 2, 'valid'],
    [[2, 8, 8, 8], 2, 2, 'valid'], [[2, 9, 9, 16], 3, 2, 'valid'], [[2, 8, 8, 16], 2, 1, 'valid'], [[2, 7, 7, 16], 2, 2, 'same'],
  ] as const)('%j, %i×%i at stride %i, %s: XNNPACK\'s floats, bit for bit, ties, ±0, ±∞ and NaN included', (shape, size, strides, pad) => {
    const n = shape.reduce((a, b) => a * b, 1);
    // A few levels, so windows tie; the specials in some windows only.
    const values = Array.from(randomValues(n, `pool${shape}${size}${strides}`, 0.2), (v, i) => (i % 29 === 0 ? SPECIAL[(i / 29) % 5 | 0] : Math.round(v * 3) / 3));
    const x = tf.tensor4d(Float32Array.from(values), [...shape]);
    const got = tf.maxPool(x, size, strides, pad);
    const want = xnnpack(x, size, strides, pad);
    expect(got.shape).toEqual(want.shape);
    expect(bits(got)).toEqual(bits(want));
    // The windows held what the case claims: NaN, and ties.
    expect(values.some(Number.isNaN) && bits(want).some((u) => (u & 0x7fffffff) > 0x7f800000 || u === 0xff800000)).toBe(true);
    tf.dispose([x, got, want]);
  });

  it.runIf(nativeAddon() !== null)('runs the native pooling for the CNNs\' 2×2 windows, and XNNPACK\'s for the rest', async () => {
    const addon = nativeAddon()!;
    const calls: number[] = [];
    const original = addon.max_pool_2x2;
    addon.max_pool_2x2 = (...args) => { calls.push(args[6]); original(...args); };
    try {
      tf.dispose([tf.maxPool(tf.zeros([2, 8, 8, 32]) as tf.Tensor4D, 2, 2, 'valid'), tf.maxPool(tf.zeros([2, 8, 8, 8]) as tf.Tensor4D, 2, 2, 'valid'), tf.maxPool(tf.zeros([2, 9, 9, 16]) as tf.Tensor4D, 3, 2, 'valid')]);
    } finally {
      addon.max_pool_2x2 = original;
    }
    expect(calls).toEqual([32]);
  });
});
