import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../src/train/kernels/index.js';
import { countHits, sparseCrossEntropy } from '../../src/train/loss.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

// Rows of softmax-like outputs, including the clip's edges (a label at probability 0 and 1)
// and a tie for the maximum (the first one counts, as in tf.argMax).
const PROBS = [
  [0.1, 0.7, 0.2], [0.5, 0.25, 0.25], [0, 0, 1], [1, 0, 0], [0.3, 0.3, 0.4], [0.45, 0.45, 0.1], [0.2, 0.5, 0.3],
];
const LABELS = [1, 2, 0, 0, 2, 1, 2];

/** Loss, its gradient with respect to the probabilities, and the hit count on `backend`. */
async function on(backend: 'cpu' | 'wasm') {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const probs = tf.tensor2d(PROBS);
    const labels = tf.tensor1d(LABELS, 'int32');
    const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => sparseCrossEntropy(p as tf.Tensor2D, labels))(probs);
    return { loss: value.dataSync()[0], grad: Array.from(grad.dataSync()), hits: countHits(probs, labels).dataSync()[0] };
  });
}

describe('sparse cross-entropy and hits', () => {
  it('are one kernel each on wasm and agree with the tfjs-op version on cpu', async () => {
    const cpu = await on('cpu');
    const wasm = await on('wasm');
    expect(wasm.hits).toBe(cpu.hits);
    expect(wasm.hits).toBe(3);
    expect(wasm.loss).toBeCloseTo(cpu.loss, 5);
    // −log(1e-7)/7 from the row whose label has probability 0.
    expect(wasm.loss).toBeGreaterThan(16.118 / 7);
    wasm.grad.forEach((g, i) => expect(g).toBeCloseTo(cpu.grad[i], 5));
    // Clipped rows pass no gradient; the others only at their label.
    expect(wasm.grad.slice(6, 12)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(wasm.grad[1]).toBeCloseTo(-1 / (7 * 0.7), 6);
    await tf.setBackend('wasm');
    const profile = await tf.profile(() => {
      const probs = tf.tensor2d(PROBS);
      const labels = tf.tensor1d(LABELS, 'int32');
      tf.dispose([sparseCrossEntropy(probs, labels), countHits(probs, labels), probs, labels]);
    });
    expect(profile.kernels.map((k) => k.name)).toEqual(['SweepSparseCrossEntropy', 'SweepCountHits']);
  });
});

describe('label smoothing', () => {
  it('is cross-entropy against (1 − ε)·one-hot + ε/K, the probabilities clipped as without it', () => {
    const eps = 0.1;
    // By hand, row by row: −Σ_k t_k log(clip(p_k)), t = 0.9·one-hot + 0.1/3.
    const clip = (p: number) => Math.min(Math.max(p, 1e-7), 1 - 1e-7);
    const expected = PROBS.map((row, i) => -row.reduce((sum, p, k) => sum + ((k === LABELS[i] ? 1 - eps : 0) + eps / 3) * Math.log(clip(p)), 0))
      .reduce((a, b) => a + b, 0) / PROBS.length;
    const got = tf.tidy(() => sparseCrossEntropy(tf.tensor2d(PROBS), tf.tensor1d(LABELS, 'int32'), eps).dataSync()[0]);
    expect(got).toBeCloseTo(expected, 5);
    // ε = 0 is the plain loss (the fused kernel's), to the bit.
    const plain = tf.tidy(() => sparseCrossEntropy(tf.tensor2d(PROBS), tf.tensor1d(LABELS, 'int32')).dataSync()[0]);
    expect(tf.tidy(() => sparseCrossEntropy(tf.tensor2d(PROBS), tf.tensor1d(LABELS, 'int32'), 0).dataSync()[0])).toBe(plain);
    expect(got).not.toBeCloseTo(plain, 2);
  });
});
