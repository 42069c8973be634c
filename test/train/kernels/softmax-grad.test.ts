import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { SOFTMAX_GRAD } from '../../../src/train/kernels/softmax-grad.js';
import { expectClose, randomValues } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe("softmax's gradient on wasm", () => {
  it.each([[32, 10], [7, 3], [5, 1000]])('[%i, %i]: bit-identical to tfjs dy·y − Σ(dy·y)·y', (rows, classes) => {
    const y = tf.softmax(tf.tensor2d(randomValues(rows * classes, `y${classes}`), [rows, classes]));
    const dy = tf.tensor2d(randomValues(rows * classes, `dy${classes}`, 0.1), [rows, classes]);
    const dyTimesY = tf.mul(dy, y);
    const stock = tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [-1], true), y));
    const ours = tf.engine().runKernel(SOFTMAX_GRAD, { dy, y }) as tf.Tensor;
    expect(bits(ours)).toEqual(bits(stock));
    tf.dispose([y, dy, dyTimesY, stock, ours]);
  });

  it('is the one kernel of a softmax gradient on wasm, within rounding of cpu', async () => {
    const xs = randomValues(6 * 10, 'logits');
    const grads: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const x = tf.tensor2d(xs, [6, 10]);
      const w = tf.tensor2d(randomValues(60, 'w'), [6, 10]);
      const profile = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), w)))(x));
      grads.push((profile.result as tf.Tensor).dataSync() as Float32Array);
      const names = profile.kernels.map((k) => k.name);
      expect(names.includes(SOFTMAX_GRAD)).toBe(backend === 'wasm');
      expect(names.includes('Sub')).toBe(backend === 'cpu');
      tf.dispose([x, w, profile.result as tf.Tensor]);
    }
    expectClose(grads[1], grads[0]);
    await tf.setBackend('wasm');
  });
});
