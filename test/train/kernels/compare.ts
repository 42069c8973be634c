import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

export type Backend = 'cpu' | 'wasm';

/** Seeded values in [-1, 1), a `zeros` fraction of them 0. */
export function randomValues(n: number, seed: string, zeros = 0): Float32Array {
  const rng = seedrandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) out[i] = rng() < zeros ? 0 : rng() * 2 - 1;
  return out;
}

export function maxAbs(v: Float32Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

/** max |a - b| must stay within 1e-4 of the reference's magnitude. */
export function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  for (let i = 0; i < actual.length; ++i) diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
  expect(Number.isFinite(diff)).toBe(true);
  expect(diff).toBeLessThanOrEqual(1e-4 * Math.max(maxAbs(expected), 1e-6));
}

/** The first index where a and b differ in bits (or length), else −1: a failure names the place without diffing a million floats. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const [x, y] = [new Uint32Array(a.slice().buffer), new Uint32Array(b.slice().buffer)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Runs one kernel on `backend` and returns its output's values and shape. */
export async function runKernelOn(
  backend: Backend,
  kernel: string,
  inputs: Record<string, { values: Float32Array; shape: number[] }>,
  attrs: Record<string, unknown>,
): Promise<Float32Array & { shape?: number[] }> {
  await tf.setBackend(backend);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) tensors[k] = tf.tensor(v.values, v.shape, 'float32');
  const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values: Float32Array & { shape?: number[] } = (out.dataSync() as Float32Array).slice();
  values.shape = out.shape;
  tf.dispose([out, ...Object.values(tensors)]);
  return values;
}

/** `config`'s kernel function itself (a registered one or a built-in kept aside) on the current backend's tensors: its output's values. */
export function runKernelConfig(config: tf.KernelConfig, inputs: Record<string, tf.Tensor>, attrs: object): Float32Array {
  const info = config.kernelFunc({ inputs, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  const out = tf.engine().makeTensorFromTensorInfo(info);
  const values = (out.dataSync() as Float32Array).slice();
  out.dispose();
  return values;
}
