import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { builtinFusedMatMulKernel } from '../../../src/train/kernels/matmul.js';
import { expectClose, firstDifference, randomValues, runKernelConfig, runKernelOn } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

// [a's shape, b's shape, transposeA, transposeB]: every transpose combination, both
// orientations of the a·bᵀ choice, rank 3 with batch 1, and batched products (built-in path).
const cases: [number[], number[], boolean, boolean][] = [
  [[32, 784], [32, 128], true, false], // dW = xᵀ·dy
  [[32, 128], [784, 128], false, true], // dx = dy·Wᵀ, small batch: (W·dyᵀ)ᵀ
  [[300, 20], [7, 20], false, true], // a·bᵀ with the smaller b: bᵀ packed
  [[5, 9], [13, 5], true, true],
  [[1, 17, 6], [1, 17, 3], true, false],
  [[1, 6, 17], [1, 3, 17], false, true],
  [[3, 17, 6], [3, 17, 5], true, false],
  [[2, 4, 6], [2, 5, 6], false, true],
  // Untransposed: sweep's GEMM (4×8 blocks, a 4-column edge, leftover rows), and the
  // built-in where the width is not a multiple of 4.
  [[8, 33], [33, 12], false, false],
  [[33, 7], [7, 16], false, false],
  [[1, 5, 64], [1, 64, 128], false, false],
  [[3, 4], [4, 10], false, false],
];

describe('BatchMatMul on wasm', () => {
  it.each(cases)('%j · %j, transposeA %s, transposeB %s: matches cpu', async (aShape, bShape, transposeA, transposeB) => {
    const a = { values: randomValues(tf.util.sizeFromShape(aShape), `a${aShape}`), shape: aShape };
    const b = { values: randomValues(tf.util.sizeFromShape(bShape), `b${bShape}`), shape: bShape };
    const attrs = { transposeA, transposeB };
    const expected = await runKernelOn('cpu', 'BatchMatMul', { a, b }, attrs);
    const actual = await runKernelOn('wasm', 'BatchMatMul', { a, b }, attrs);
    expect(actual.shape).toEqual(expected.shape);
    expectClose(actual, expected);
  });

  it('keeps tfjs’s error for mismatched inner dimensions', async () => {
    await tf.setBackend('wasm');
    const [a, b] = [tf.zeros([4, 3]), tf.zeros([5, 3])];
    expect(() => tf.matMul(a, b, true, false)).toThrow(/inner shapes/);
    tf.dispose([a, b]);
  });

  it.each([
    [[32, 50], [32, 20], true, false], [[50, 32], [20, 32], false, true], [[2, 32], [20, 32], false, true], [[32, 50], [20, 32], true, true],
  ])('frees its temporaries: %j · %j, transposeA %s, transposeB %s', async (aShape, bShape, ta, tb) => {
    await tf.setBackend('wasm');
    const [a, b] = [tf.ones(aShape as number[]), tf.ones(bShape as number[])];
    const before = tf.backend().numDataIds();
    const out = tf.matMul(a, b, ta as boolean, tb as boolean);
    expect(tf.backend().numDataIds()).toBe(before + 1);
    tf.dispose([a, b, out]);
  });
});

describe('_FusedMatMul on wasm, a Dense layer outside training', () => {
  // [m, k, n]: the batch-normalised CNN's 3,136 → 256 layer at model.predict's batch, an output
  // layer of 10, edges of every block, and k past one 128-row chunk by a ragged amount.
  const shapes = [[256, 3136, 256], [1000, 128, 10], [37, 300, 13], [5, 7, 3], [9, 129, 33]];
  const variants = [['linear', false], ['linear', true], ['relu', false], ['relu', true]] as const;

  it.each(shapes.flatMap((s) => variants.map(([activation, bias]) => [s, activation, bias] as const)))(
    '[%j] %s, bias %s: XNNPACK’s floats, bit for bit, NaN, ±∞ and −0 included', async ([m, k, n], activation, withBias) => {
      await tf.setBackend('wasm');
      const av = randomValues(m * k, `fa${m},${k}`, 0.1);
      const bv = randomValues(k * n, `fb${k},${n}`);
      // A NaN in row 1 and an ∞ in row 3 (their outputs NaN or ±∞), −0s everywhere.
      if (m > 3) [av[k + 2], av[3 * k + k - 1]] = [NaN, Infinity];
      for (let i = 5; i < av.length; i += 97) av[i] = -0;
      const biasv = randomValues(n, `fbias${n}`);
      biasv[0] = -0;
      const inputs: Record<string, tf.Tensor> = { a: tf.tensor(av, [1, m, k]), b: tf.tensor(bv, [1, k, n]) };
      if (withBias) inputs.bias = tf.tensor(biasv, [n]);
      const attrs = { transposeA: false, transposeB: false, activation };
      const expected = runKernelConfig(builtinFusedMatMulKernel()!, inputs, attrs);
      const actual = runKernelConfig(tf.getKernel('_FusedMatMul', 'wasm')!, inputs, attrs);
      tf.dispose(Object.values(inputs));
      expect(firstDifference(actual, expected)).toBe(-1);
      expect(actual.some((v) => v !== 0 && Number.isFinite(v))).toBe(true);
    });

  it('is what a Dense layer runs in model.predict, and leaves other products to XNNPACK', async () => {
    await tf.setBackend('wasm');
    const kernel = tf.getKernel('_FusedMatMul', 'wasm')!;
    expect(kernel.kernelFunc).not.toBe(builtinFusedMatMulKernel()!.kernelFunc);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 24, activation: 'relu', inputShape: [40] }), tf.layers.dense({ units: 5 })] });
    const x = tf.tensor(randomValues(12 * 40, 'predict-x'), [12, 40]);
    const ours = (model.predict(x) as tf.Tensor).dataSync().slice() as Float32Array;
    // The same model on the built-in kernel.
    tf.unregisterKernel('_FusedMatMul', 'wasm');
    tf.registerKernel(builtinFusedMatMulKernel()!);
    const theirs = (model.predict(x) as tf.Tensor).dataSync().slice() as Float32Array;
    tf.unregisterKernel('_FusedMatMul', 'wasm');
    tf.registerKernel(kernel);
    expect(firstDifference(ours, theirs)).toBe(-1);
    // A transposed product is XNNPACK's business: the same values as the cpu backend's, to rounding.
    const a = tf.tensor(randomValues(6 * 4, 'ta'), [1, 4, 6]);
    const b = tf.tensor(randomValues(4 * 3, 'tb'), [1, 4, 3]);
    const t = runKernelConfig(kernel, { a, b }, { transposeA: true, transposeB: false, activation: 'linear' });
    expectClose(t, tf.matMul(a.reshape([4, 6]), b.reshape([4, 3]), true, false).dataSync() as Float32Array);
    model.dispose();
    tf.dispose([x, a, b]);
  });
});

describe('_FusedMatMul without the native addon', () => {
  it('gives XNNPACK’s floats on simd.wat’s exact GEMM alone (SWEEP_NATIVE=0, in a child process)', () => {
    const script = fileURLToPath(new URL('./fused-matmul-wasm-check.mjs', import.meta.url));
    const report = JSON.parse(execFileSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, SWEEP_NATIVE: '0' } })) as {
      native: string; cases: { same: boolean }[];
    };
    expect(report.native).toBe('off (SWEEP_NATIVE=0)');
    expect(report.cases).toHaveLength(12);
    expect(report.cases.filter((c) => !c.same)).toEqual([]);
  });
});
