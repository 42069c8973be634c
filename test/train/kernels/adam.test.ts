import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FusedAdam } from '../../../src/train/kernels/adam.js';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernels } from '../../../src/train/kernels/simd.js';
import { heapOffset } from '../../../src/train/kernels/wasm-kernel.js';
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

describe('Adam in PyTorch form (adam_fast, where products fuse multiply-adds)', () => {
  const f = Math.fround;
  const TINY = 2 ** -126; // float32's smallest normal
  // Lanes: normal values; a first moment decaying into subnormals (gradient 0); a second moment
  // already subnormal; a NaN gradient; then three more in the scalar tail (7 is not a multiple of 4).
  const w0 = [0.5, -0.25, 0.125, 0.3, 0.7, -0.1, 0];
  const m0 = [1e-3, 1.2e-38, 2e-3, 0, 1.1e-38, 3e-4, -1e-38];
  const v0 = [1e-6, 1e-8, 5e-39, 1e-6, 1e-7, 2e-39, 1e-8];
  const g = [0.01, 0, 0, NaN, 0, -0.02, 0];
  const [b1, c1, b2, c2, s1, s2, eps] = [0.9, 0.1, 0.999, 0.001, -0.001 / 0.1, 1 / Math.sqrt(0.001), 1e-7].map(f);

  function run(): { w1: Float32Array; m1: Float32Array; v1: Float32Array } {
    const backend = tf.backend() as unknown as BackendWasm;
    const ins = [w0, m0, v0, g].map((a) => tf.tensor1d(a));
    const outs = [0, 1, 2].map(() => tf.zeros([w0.length]));
    const at = (t: tf.Tensor) => heapOffset(backend, t);
    simdKernels(backend)!.adam_fast(...ins.map(at) as [number, number, number, number], ...outs.map(at) as [number, number, number], w0.length, b1, c1, b2, c2, s1, s2, eps);
    const [w1, m1, v1] = outs.map((t) => t.dataSync().slice() as Float32Array);
    tf.dispose([...ins, ...outs]);
    return { w1, m1, v1 };
  }

  it("computes w + (m·s1)/(√v·s2 + ε) in float32, moments below float32's normal range as 0, NaN kept", () => {
    const { w1, m1, v1 } = run();
    const flush = (x: number) => (Math.abs(x) < TINY ? 0 : x);
    for (let i = 0; i < w0.length; i++) {
      const m = flush(f(f(f(m0[i]) * b1) + f(f(g[i]) * c1)));
      const v = flush(f(f(f(v0[i]) * b2) + f(f(f(g[i]) * f(g[i])) * c2)));
      const w = f(f(f(m * s1) / f(f(f(Math.sqrt(v)) * s2) + eps)) + f(w0[i]));
      expect([m1[i], v1[i], w1[i]], `lane ${i}`).toEqual([m, v, w]);
    }
    // The decaying and subnormal moments were flushed; the NaN gradient shows in all three.
    expect([m1[1], m1[4], m1[6], v1[2]]).toEqual([0, 0, 0, 0]);
    expect([m1[3], v1[3], w1[3]].every(Number.isNaN)).toBe(true);
    expect(m1[0]).not.toBe(0);
  });
});
