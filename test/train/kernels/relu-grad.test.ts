import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { RELU_GRAD } from '../../../src/train/kernels/relu-grad.js';
import { randomValues } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

/** x with the edge cases in front: zeros of both signs, NaN, infinities, the smallest normals. */
function edgy(n: number): Float32Array {
  const v = randomValues(n, `relu${n}`, 0.2);
  v.set([0, -0, NaN, Infinity, -Infinity, 1.1754943508222875e-38, -1.1754943508222875e-38].slice(0, n));
  return v;
}

describe("ReLU's gradient on wasm", () => {
  it.each([7, 64, 1001, 128 * 28 * 28])('%i values: bit-identical to tfjs dy·cast(step(x))', async (n) => {
    const x = tf.tensor1d(edgy(n));
    const dy = tf.tensor1d(randomValues(n, `dy${n}`, 0.1));
    const stock = tf.mul(dy, tf.cast(tf.step(x), 'float32'));
    const ours = tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
    // Bit patterns, so −0 counts; NaN as NaN (WebAssembly leaves a NaN's bits to the machine).
    const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer), (b, i) => (Number.isNaN(v[i]) ? 'NaN' : b));
    expect(bits(await ours.data() as Float32Array)).toEqual(bits(await stock.data() as Float32Array));
    tf.dispose([x, dy, stock, ours]);
  });

  it('is the one kernel of a ReLU gradient on wasm, with the same values as on cpu', async () => {
    const xs = randomValues(4 * 9 * 9 * 8, 'grad');
    const grads: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const x = tf.tensor4d(xs, [4, 9, 9, 8]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), t)));
      const profile = await tf.profile(() => g(x));
      grads.push((profile.result as tf.Tensor).dataSync() as Float32Array);
      const names = profile.kernels.map((k) => k.name);
      if (backend === 'wasm') {
        expect(names).toContain(RELU_GRAD);
        expect(names).not.toContain('Step');
      } else {
        expect(names).toContain('Step');
      }
      tf.dispose([x, profile.result as tf.Tensor]);
    }
    expect(Array.from(grads[1])).toEqual(Array.from(grads[0]));
    await tf.setBackend('wasm');
  });
});
