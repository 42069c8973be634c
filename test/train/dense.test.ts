import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../src/train/kernels/index.js';
import { DENSE } from '../../src/train/kernels/dense.js';
import { SweepDense } from '../../src/train/dense.js';
import { SeededDropout } from '../../src/train/seeded-dropout.js';
import { FusedAdam } from '../../src/train/kernels/adam.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

type DenseArgs = NonNullable<Parameters<typeof tf.layers.dense>[0]>;

/** The notebook's ANN (on 7×7 images to stay small), with sweep's Dense or tfjs's. */
function ann(dense: (args: DenseArgs) => tf.layers.Layer): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [7, 7, 1] }),
      dense({ units: 12, activation: 'relu', kernelInitializer: init(1) }),
      new SeededDropout({ rate: 0.2, seed: 3 }),
      dense({ units: 9, activation: 'tanh', kernelInitializer: init(2) }),
      dense({ units: 6, activation: 'linear', kernelInitializer: init(4) }),
      dense({ units: 10, activation: 'softmax', kernelInitializer: init(5) }),
    ],
  });
}

describe('SweepDense', () => {
  it('trains to the same weights as tfjs Dense, bit for bit, with one kernel per layer forward', async () => {
    const models = [ann((a) => new SweepDense(a)), ann((a) => tf.layers.dense(a))];
    const x = tf.randomUniform([13, 7, 7, 1], 0, 1, 'float32', 7);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2], 'int32'), 10);
    const weights: number[][][] = [];
    const kernels: string[][] = [];
    for (const model of models) {
      const optimizer = new FusedAdam(0.01, 0.9, 0.999);
      const step = () => void optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
      for (let i = 0; i < 5; i++) tf.tidy(() => step());
      const profile = await tf.profile(() => tf.tidy(() => step()));
      kernels.push(profile.kernels.map((k) => k.name));
      weights.push(model.getWeights().map((w) => Array.from(new Uint32Array((w.dataSync() as Float32Array).slice().buffer))));
      optimizer.dispose();
    }
    expect(weights[0]).toEqual(weights[1]);
    expect(kernels[0].filter((k) => k === DENSE)).toHaveLength(4);
    expect(kernels[0]).not.toContain('BatchMatMul');
    expect(kernels[1]).not.toContain(DENSE);
    // The first layer's input is the images: its gradient is not computed.
    expect(kernels[0].filter((k) => k === 'SweepDenseGradInput')).toHaveLength(3);
    tf.dispose([x, y]);
    models.forEach((m) => m.dispose());
  });

  it("predicts as tfjs Dense does and serialises as a plain Dense", () => {
    const [ours, stock] = [ann((a) => new SweepDense(a)), ann((a) => tf.layers.dense(a))];
    const x = tf.randomUniform([4, 7, 7, 1], 0, 1, 'float32', 8);
    const [a, b] = [ours.predict(x) as tf.Tensor, stock.predict(x) as tf.Tensor];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const strip = (m: tf.Sequential) => JSON.stringify(m.toJSON(null, false)).replace(/"name":"[^"]*"/g, '');
    expect(strip(ours)).toEqual(strip(stock));
    expect(ours.layers[1].getClassName()).toBe('Dense');
    tf.dispose([x, a, b]);
    [ours, stock].forEach((m) => m.dispose());
  });
});
