import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../src/train/kernels/index.js';
import { SweepConv2D } from '../../src/train/conv2d.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

const args = { inputShape: [12, 12, 1], filters: 8, kernelSize: 3, padding: 'same' as const, useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) };

describe('SweepConv2D', () => {
  it('gives the output of tfjs Conv2D, and serialises as it', () => {
    const ours = new SweepConv2D(args);
    const stock = tf.layers.conv2d({ ...args, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) });
    const x = tf.randomNormal([2, 12, 12, 1], 0, 1, 'float32', 5);
    const [a, b] = [ours.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(ours.getClassName()).toBe('Conv2D');
    const config = (l: tf.layers.Layer) => ({ ...l.getConfig(), name: undefined });
    expect(config(ours)).toEqual(config(stock));
    tf.dispose([x, a, b]);
  });

  it("does not compute the gradient of a first layer's input, which nothing uses", async () => {
    for (const [layer, inputGradients] of [[new SweepConv2D(args), 0], [tf.layers.conv2d(args), 1]] as const) {
      const model = tf.sequential({ layers: [layer, tf.layers.batchNormalization(), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
      const x = tf.randomNormal([2, 12, 12, 1], 0, 1, 'float32', 5);
      const profile = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
        tf.dispose([value, ...Object.values(grads)]);
      });
      expect(profile.kernels.filter((k) => k.name === 'Conv2DBackpropInput')).toHaveLength(inputGradients);
      expect(profile.kernels.filter((k) => k.name === 'Conv2DBackpropFilter')).toHaveLength(1);
      tf.dispose(x);
      model.dispose();
    }
  });
});
