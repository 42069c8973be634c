import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FusedAdam } from '../../../src/train/kernels/adam.js';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { randomValues } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

// 13 and 7 are not multiples of 4: the SIMD loop's scalar tail is covered too.
const SHAPES = [[50, 13], [7], [128]];

/** Weights after `steps` updates by `optimizer` with seeded gradients. */
function train(optimizer: tf.Optimizer, steps: number, from = 0, vars = SHAPES.map((s, i) => tf.variable(tf.tensor(randomValues(tf.util.sizeFromShape(s), `w${i}`), s)))): tf.Variable[] {
  for (let step = from; step < from + steps; step++) {
    const grads = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(randomValues(v.size, `g${i}:${step}`, 0.1), v.shape) }));
    optimizer.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
  return vars;
}

const bits = (vars: tf.Variable[]) => vars.map((v) => Array.from(new Uint32Array((v.dataSync() as Float32Array).slice().buffer)));

describe('FusedAdam', () => {
  it('gives bit-identical weights to tf.train.adam on wasm, in one kernel per variable', () => {
    const stock = train(tf.train.adam(0.01), 20);
    const fused = new FusedAdam(0.01, 0.9, 0.999);
    const kernels: string[] = [];
    const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(randomValues(tf.util.sizeFromShape(s), `w${i}`), s)));
    train(fused, 19, 0, vars);
    const profile = tf.profile(() => train(fused, 1, 19, vars));
    return profile.then((p) => {
      kernels.push(...p.kernels.map((k) => k.name));
      expect(kernels.filter((k) => k === 'SweepAdamUpdate')).toHaveLength(3);
      expect(bits(vars)).toEqual(bits(stock));
      expect(bits(vars)).not.toEqual(bits(SHAPES.map((s, i) => tf.variable(tf.tensor(randomValues(tf.util.sizeFromShape(s), `w${i}`), s)))));
    });
  });

  it('saves and restores its state as tfjs’s Adam does, and resumes exactly', async () => {
    const straight = train(new FusedAdam(0.01, 0.9, 0.999), 10);
    const first = new FusedAdam(0.01, 0.9, 0.999);
    const vars = train(first, 6);
    const saved = await first.getWeights();
    expect(saved.map((w) => w.name)).toEqual(['iter', ...vars.map((v) => `${v.name}/m`), ...vars.map((v) => `${v.name}/v`)]);
    const resumed = new FusedAdam(0.01, 0.9, 0.999);
    await resumed.setWeights(saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() })));
    train(resumed, 4, 6, vars);
    expect(bits(vars)).toEqual(bits(straight));
  });

  it('falls back to the stock update on the cpu backend', async () => {
    await tf.setBackend('cpu');
    try {
      expect(bits(train(new FusedAdam(0.01, 0.9, 0.999), 5))).toEqual(bits(train(tf.train.adam(0.01), 5)));
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('gives the same weights as tf.train.adam for gradients at the edges of float32', () => {
    // Zeros of both signs, subnormals, the smallest normal, huge and tiny values.
    const edges = [0, -0, 1e-45, -3e-44, 1.1754943508222875e-38, 5.8e-39, 1e-30, -1e-20, 3e30, -7.5, 1];
    const shape = [edges.length * 3];
    const grads = (step: number) => Float32Array.from({ length: shape[0] }, (_, i) => edges[(i + step) % edges.length] * (i < edges.length ? 1 : 1 + i / 64));
    const run = (optimizer: tf.Optimizer) => {
      const v = tf.variable(tf.tensor(Float32Array.from({ length: shape[0] }, (_, i) => edges[i % edges.length]), shape));
      for (let step = 0; step < 12; step++) {
        const g = tf.tensor(grads(step), shape);
        optimizer.applyGradients([{ name: v.name, tensor: g }]);
        g.dispose();
      }
      return v;
    };
    expect(bits([run(new FusedAdam(0.01, 0.9, 0.999))])).toEqual(bits([run(tf.train.adam(0.01))]));
  });
});
