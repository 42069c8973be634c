import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('Identity on wasm', () => {
  it('shares the data of what it clones, and each outlives the other', async () => {
    const before = tf.memory();
    const a = tf.tensor2d([[1, 2], [3, -4]]);
    const b = tf.clone(a);
    expect(tf.memory().numDataBuffers - before.numDataBuffers).toBe(1); // one buffer for the two tensors
    expect(b.dataId).toBe(a.dataId);
    a.dispose();
    expect(Array.from(await b.data())).toEqual([1, 2, 3, -4]);
    const c = tf.clone(b);
    b.dispose();
    expect(Array.from(await c.data())).toEqual([1, 2, 3, -4]);
    c.dispose();
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(tf.memory().numTensors).toBe(before.numTensors);
  });

  it('copies strings as the built-in does', () => {
    const s = tf.tensor1d(['a', 'b'], 'string');
    const t = tf.clone(s);
    expect(t.arraySync()).toEqual(['a', 'b']);
    tf.dispose([s, t]);
  });
});
