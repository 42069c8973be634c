import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/train/backend.js';
import seedrandom from 'seedrandom';
import { nativeAddon } from '../../src/train/kernels/native.js';
import { dropoutMask, dropoutMaskLoop, dropoutMultiplier, SeededDropout } from '../../src/train/seeded-dropout.js';

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

  // The layer builds its mask in one loop (dropoutMultiplier) instead of tf.dropout's
  // randomUniform, add, floor and div: the same floats, so training takes the same steps.
  it('gives tf.dropout\'s output to the bit, for the seeds it draws', () => {
    for (const [rate, shape] of [[0.1, [32, 128]], [0.2, [7, 33]], [0.5, [3, 5, 4]], [0.3, [1, 1]], [0.999, [64, 16]]] as const) {
      const layer = new SeededDropout({ rate, seed: 11 });
      const draws = seedrandom('dropout:11', { state: true });
      const x = tf.randomNormal([...shape], 0, 3, 'float32', 4);
      for (let step = 0; step < 3; step++) {
        const ours = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
        const theirs = tf.dropout(x, rate, undefined, Math.floor(draws() * 2 ** 31)).dataSync();
        expect(Array.from(ours, (v, i) => Object.is(v, theirs[i])).every(Boolean)).toBe(true);
      }
    }
  });

  it('builds the same multiplier as tf.dropout on ones, across seeds and near the rounding edges', () => {
    for (const seed of [0, 1, 255, 2 ** 31 - 1, 123456789]) {
      for (const rate of [0.05, 0.25, 0.5, 0.75, 1 - 2 ** -20]) {
        const ones = tf.ones([40, 50]);
        const theirs = tf.dropout(ones, rate, undefined, seed).dataSync();
        const ours = dropoutMultiplier([40, 50], rate, seed).dataSync();
        expect(Array.from(ours)).toEqual(Array.from(theirs));
      }
    }
  });

  // Where npm ci builds the addon (native.test.ts checks it), unless SWEEP_NATIVE=0 turns it off.
  it.runIf(process.arch === 'x64' && process.platform === 'linux' && process.env.SWEEP_NATIVE !== '0')('makes the same mask in the native addon as in JavaScript, bit for bit, over long runs of the generator', () => {
    expect(nativeAddon()).not.toBeNull();
    for (const seed of [0, 7, 2 ** 31 - 1, 987654321]) {
      for (const rate of [0.1, 0.2, 0.5, 0.9, 2 ** -20]) {
        // A view that starts past its buffer's first byte, as the wasm heap's tensors do.
        const buffer = new ArrayBuffer(4 * 300_003);
        const native = dropoutMask(new Float32Array(buffer, 12, 300_000), rate, seed);
        const { c, s0, s1, s2 } = seedrandom.alea(String(seed), { state: true }).state();
        const js = dropoutMaskLoop(new Float32Array(300_000), c, s0, s1, s2, Math.fround(1 - rate));
        expect(Buffer.from(native.buffer, native.byteOffset, native.byteLength).equals(Buffer.from(js.buffer))).toBe(true);
        expect(new Float32Array(buffer, 0, 3).every((v) => v === 0)).toBe(true);
        const kept = native.filter((v) => v > 0).length / native.length;
        expect(Math.abs(kept - (1 - rate))).toBeLessThan(0.01);
      }
    }
  });

  it('passes gradients through the kept units only, scaled as tf.dropout\'s are', () => {
    const x = tf.randomNormal([16, 32], 0, 1, 'float32', 9);
    const grad = (f: (t: tf.Tensor) => tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), tf.range(0, 512).reshape([16, 32]))))(x).dataSync();
    const ours = grad((t) => tf.mul(t, dropoutMultiplier([16, 32], 0.4, 77)));
    const theirs = grad((t) => tf.dropout(t, 0.4, undefined, 77));
    expect(Array.from(ours)).toEqual(Array.from(theirs));
  });
});
