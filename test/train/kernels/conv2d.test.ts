import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { expectClose, randomValues, runKernelOn } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
// [name, x shape, filter shape, stride, pad]
const cases: [string, number[], number[], number, Pad][] = [
  ["the CNN's first layer", [4, 28, 28, 1], [3, 3, 1, 32], 1, 'same'],
  ["the CNN's second layer", [4, 14, 14, 32], [3, 3, 32, 64], 1, 'same'],
  ['input gradient shape (64 → 32)', [2, 14, 14, 64], [3, 3, 64, 32], 1, 'same'],
  ['5×5, stride 2, valid', [3, 13, 11, 3], [5, 5, 3, 8], 2, 'valid'],
  ['3×3, stride 2, same', [2, 9, 12, 2], [3, 3, 2, 4], 2, 'same'],
  ['explicit asymmetric padding', [2, 8, 10, 3], [3, 3, 3, 4], 1, [[0, 0], [2, 0], [0, 1], [0, 0]]],
  ['more positions than one im2col chunk', [8, 28, 28, 8], [3, 3, 8, 16], 1, 'same'],
  ['out channels not a multiple of 4 (the built-in)', [2, 7, 7, 3], [3, 3, 3, 5], 1, 'same'],
];

describe('Conv2D on wasm (im2col and sweep GEMM)', () => {
  it.each(cases)('%s: the same floats as XNNPACK, close to cpu', async (_, xShape, fShape, stride, pad) => {
    const x = { values: randomValues(tf.util.sizeFromShape(xShape), `x${xShape}`), shape: xShape };
    const filter = { values: randomValues(tf.util.sizeFromShape(fShape), `f${fShape}`), shape: fShape };
    const attrs = { strides: stride, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined };
    const ours = await runKernelOn('wasm', 'Conv2D', { x, filter }, attrs);
    // FusedConv2D without bias or activation is the backend's own XNNPACK convolution.
    const xnnpack = await runKernelOn('wasm', 'FusedConv2D', { x, filter }, { ...attrs, activation: 'linear' });
    const cpu = await runKernelOn('cpu', 'Conv2D', { x, filter }, attrs);
    expect(ours.shape).toEqual(cpu.shape);
    expect(Array.from(ours)).toEqual(Array.from(xnnpack));
    expectClose(ours, cpu);
  });

  it('leaves no scratch behind', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 10, 10, 4]);
    const f = tf.randomNormal([3, 3, 4, 8]);
    tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same').dispose();
    const before = tf.memory().numBytes;
    const y = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same');
    expect(tf.memory().numBytes - before).toBe(y.size * 4);
    tf.dispose([x, f, y]);
  });
});
