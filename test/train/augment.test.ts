import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { AUGMENT_PARAMS, augmentBatch, augmentParams, augmentWithOps } from '../../src/train/augment.js';
import { registerWasmKernels } from '../../src/train/kernels/index.js';
import { randomValues } from './kernels/compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

/** `f` run on `backend`, its result read back. */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  try {
    return tf.tidy(f).dataSync() as Float32Array;
  } finally {
    await tf.setBackend('wasm');
  }
}

describe('augmentBatch', () => {
  it.each([
    ['shift+flip+erase', [32, 28, 28, 1]],
    ['shift', [8, 28, 28, 1]],
    ['flip+erase', [5, 11, 9, 3]],
  ] as const)('%s on %j: the wasm kernel gives bit for bit what tfjs ops give on the cpu backend', async (augment, shape) => {
    const [n, h, w] = shape;
    const values = randomValues(n * h * w * shape[3], `x:${augment}`).map(Math.abs);
    const params = augmentParams(augment.split('+') as never, 7, 3, 100, n, h, w);
    const fast = await on('wasm', () => augmentBatch(tf.tensor4d(values, [...shape]), params));
    const reference = await on('cpu', () => augmentWithOps(tf.tensor4d(values, [...shape]), params));
    expect(bits(fast)).toEqual(bits(reference));
    // Something moved: the test would pass on an identity kernel otherwise.
    expect(bits(fast)).not.toEqual(bits(values));
  });

  it('moves, mirrors and erases as documented (dy rows down, dx columns right, 0 coming in)', async () => {
    // A 4×5 image numbered 1…20 row by row.
    const img = Float32Array.from({ length: 20 }, (_, i) => i + 1);
    const run = async (p: number[]) => Array.from(await on('wasm', () => augmentBatch(tf.tensor4d(img, [1, 4, 5, 1]), Int32Array.from(p))));
    expect(await run([1, -2, 0, 0, 0, 0, 0])).toEqual([
      0, 0, 0, 0, 0,
      3, 4, 5, 0, 0,
      8, 9, 10, 0, 0,
      13, 14, 15, 0, 0,
    ]);
    expect(await run([0, 1, 1, 2, 1, 4, 3])).toEqual([
      0, 5, 4, 3, 2,
      0, 10, 9, 8, 7,
      0, 0, 0, 13, 12,
      0, 0, 0, 18, 17,
    ]);
  });

  it('is one kernel on wasm', async () => {
    const params = augmentParams(['shift', 'flip', 'erase'], 1, 1, 0, 32, 28, 28);
    const x = tf.zeros([32, 28, 28, 1]) as tf.Tensor4D;
    const profile = await tf.profile(() => augmentBatch(x, params));
    expect(profile.kernels.map((k) => k.name)).toEqual(['SweepAugment']);
    tf.dispose([x, profile.result as tf.Tensor]);
  });
});

describe('augmentParams', () => {
  it('is a function of (seed, epoch, place in the epoch): any slice of an epoch can be made alone, so a trial resumes mid-epoch', () => {
    const all = augmentParams(['shift', 'flip', 'erase'], 42, 5, 0, 1000, 28, 28);
    const middle = augmentParams(['shift', 'flip', 'erase'], 42, 5, 480, 32, 28, 28);
    expect(Array.from(middle)).toEqual(Array.from(all.subarray(480 * AUGMENT_PARAMS, 512 * AUGMENT_PARAMS)));
    expect(Array.from(augmentParams(['shift', 'flip', 'erase'], 42, 6, 0, 1000, 28, 28))).not.toEqual(Array.from(all));
    expect(Array.from(augmentParams(['shift', 'flip', 'erase'], 43, 5, 0, 1000, 28, 28))).not.toEqual(Array.from(all));
  });

  it('draws shifts of −2…2 pixels, flips and torchvision-sized erasures about half the time each', () => {
    const n = 20000;
    const p = augmentParams(['shift', 'flip', 'erase'], 9, 1, 0, n, 28, 28);
    const col = (k: number) => Array.from({ length: n }, (_, i) => p[i * AUGMENT_PARAMS + k]);
    for (const k of [0, 1]) {
      const counts = new Map<number, number>();
      for (const v of col(k)) counts.set(v, (counts.get(v) ?? 0) + 1);
      expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
      for (const c of counts.values()) expect(c / n).toBeCloseTo(0.2, 1);
    }
    expect(col(2).filter((f) => f === 1).length / n).toBeCloseTo(0.5, 1);
    const areas = Array.from({ length: n }, (_, i) => {
      const [y0, x0, y1, x1] = p.subarray(i * AUGMENT_PARAMS + 3, i * AUGMENT_PARAMS + 7);
      return (y1 - y0) * (x1 - x0);
    }).filter((a) => a > 0);
    expect(areas.length / n).toBeCloseTo(0.5, 1);
    expect(Math.min(...areas)).toBeGreaterThanOrEqual(Math.floor(0.02 * 784 * 0.7));
    expect(Math.max(...areas)).toBeLessThanOrEqual(Math.ceil(0.33 * 784 * 1.3));
    // Only what was asked for: without erase, no rectangle; without shift, no move.
    const flipOnly = augmentParams(['flip'], 9, 1, 0, 100, 28, 28);
    expect(Array.from({ length: 100 }, (_, i) => [0, 1, 3, 4, 5, 6].map((k) => flipOnly[i * AUGMENT_PARAMS + k])).flat().every((v) => v === 0)).toBe(true);
  });
});
