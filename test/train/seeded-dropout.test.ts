import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/train/backend.js';
import { SeededDropout } from '../../src/train/seeded-dropout.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The masks (1 where a unit was kept) of `steps` training calls of a fresh layer. */
function masks(seed: number, steps: number): number[][] {
  const layer = new SeededDropout({ rate: 0.5, seed });
  const x = tf.ones([4, 64]);
  const out = Array.from({ length: steps }, () =>
    Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync(), (v) => (v > 0 ? 1 : 0)));
  x.dispose();
  return out;
}

describe('SeededDropout', () => {
  // tfjs's own seeded Dropout draws the same mask at every step: the trap this layer avoids.
  it('draws a different mask at every step', () => {
    const [a, b, c] = masks(1, 3);
    expect(a).not.toEqual(b);
    expect(b).not.toEqual(c);
    const kept = a.reduce((s, v) => s + v, 0) / a.length;
    expect(kept).toBeGreaterThan(0.35);
    expect(kept).toBeLessThan(0.65);
  });

  it('repeats the same sequence of masks from run to run', () => {
    expect(masks(7, 4)).toEqual(masks(7, 4));
    expect(masks(7, 2)).not.toEqual(masks(8, 2));
  });

  it('scales kept units by 1 / (1 - rate) and passes inputs through at inference', () => {
    const layer = new SeededDropout({ rate: 0.5, seed: 1 });
    const x = tf.ones([2, 8]);
    expect(new Set((layer.apply(x, { training: true }) as tf.Tensor).dataSync())).toEqual(new Set([0, 2]));
    expect(Array.from((layer.apply(x) as tf.Tensor).dataSync())).toEqual(Array(16).fill(1));
  });

  it('saves as a plain Dropout, so exported models load anywhere', () => {
    const layer = new SeededDropout({ rate: 0.3, seed: 5 });
    layer.apply(tf.ones([1, 4]), { training: true });
    expect(layer.getClassName()).toBe('Dropout');
    expect(layer.getConfig()).toMatchObject({ rate: 0.3, seed: 5 });
  });
});
