import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { randomValues } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

/** Bit patterns, so −0 counts. */
const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));

describe('Sum over leading axes on wasm', () => {
  // The bias gradients of the notebook CNN's two layers, a dense layer's, odd widths (the SIMD
  // loop's scalar tail), one column, and leading axes named out of order or negatively.
  it.each([
    { shape: [32, 28, 28, 32], axis: [0, 1, 2] },
    { shape: [32, 14, 14, 64], axis: [0, 1, 2] },
    { shape: [32, 128], axis: 0 },
    { shape: [5, 7, 3, 13], axis: [1, 0] },
    { shape: [9, 4, 1], axis: [0, 1] },
    { shape: [6, 5, 11], axis: [-3] },
  ])('$shape over $axis: the built-in transpose-then-sum, bit for bit', ({ shape, axis }) => {
    const values = randomValues(tf.util.sizeFromShape(shape), `sum${shape}`, 0.1);
    values.set([0, -0, -0, 1e-38, -1e-38, 3e38, 3e38].slice(0, values.length));
    const x = tf.tensor(values, shape);
    const lead = tf.util.parseAxisParam(axis, shape).length;
    // The built-in's own path: the reduced axes moved last explicitly, then summed in place.
    const perm = [...shape.keys()].slice(lead).concat([...shape.keys()].slice(0, lead));
    const trailing = [...shape.keys()].slice(shape.length - lead);
    const stock = tf.sum(tf.transpose(x, perm), trailing);
    for (const keepDims of [false, true]) {
      const ours = tf.sum(x, axis, keepDims);
      expect(ours.shape).toEqual(keepDims ? shape.map((d, i) => (i < lead ? 1 : d)) : shape.slice(lead));
      expect(bits(ours.dataSync() as Float32Array)).toEqual(bits(stock.dataSync() as Float32Array));
      ours.dispose();
    }
    tf.dispose([x, stock]);
  });

  it('leaves sums over other axes to the built-in, with its floats', () => {
    const x = tf.tensor4d(randomValues(2 * 3 * 5 * 8, 'inner'), [2, 3, 5, 8]);
    const ours = tf.sum(x, [0, 2]);
    const stock = tf.sum(tf.transpose(x, [1, 3, 0, 2]), [2, 3]);
    expect(ours.shape).toEqual([3, 8]);
    expect(bits(ours.dataSync() as Float32Array)).toEqual(bits(stock.dataSync() as Float32Array));
    const all = tf.sum(x);
    expect(all.shape).toEqual([]);
    expect(all.dataSync()[0]).toBeCloseTo(Array.from(x.dataSync()).reduce((sum, v) => sum + v, 0), 4);
    tf.dispose([x, ours, stock, all]);
  });

  it('sums int32 with the built-in, exactly', () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32');
    const s = tf.sum(x, 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(s.dataSync())).toEqual([9, 12]);
    tf.dispose([x, s]);
  });
});
