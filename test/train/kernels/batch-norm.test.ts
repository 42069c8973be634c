import { describe, it, expect, beforeAll, afterEach, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SweepBatchNorm } from '../../../src/train/batch-norm.js';
import { BN_GRAD, BN_TRAIN, builtinBatchNormInference, fusedBatchNorm } from '../../../src/train/kernels/batch-norm.js';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { nativeAddon } from '../../../src/train/kernels/native.js';
import { simdKernels } from '../../../src/train/kernels/simd.js';
import { heapBuffer, heapOffset } from '../../../src/train/kernels/wasm-kernel.js';
import { type Backend, expectClose, firstDifference, randomValues, runKernelConfig } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterEach(async () => {
  await tf.setBackend('wasm');
});

const EPS = 1e-3;
const bits = (v: Float32Array) => Array.from(new Uint32Array(v.slice().buffer));
const StockBatchNorm = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor;

type Bn = (x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor[];

/** Keras's training path: tf.moments over every axis but the last, then tf.batchNorm. */
const stockBn: Bn = (x, gamma, beta) => {
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  return [tf.batchNorm(x, mean, variance, beta, gamma, EPS), mean, variance];
};

const fusedBn: Bn = (x, gamma, beta) => {
  const out = fusedBatchNorm(x, gamma, beta, EPS);
  if (out === null) throw new Error('fusedBatchNorm unavailable');
  return out;
};

type Data = { x: Float32Array; gamma: Float32Array; beta: Float32Array; r: Float32Array };

/** Seeded inputs; each channel gets its own offset and scale, as activations do. */
function data(shape: number[]): Data {
  const c = shape[shape.length - 1];
  const n = tf.util.sizeFromShape(shape);
  const offset = randomValues(c, `offset:${shape}`);
  const scale = randomValues(c, `scale:${shape}`);
  const x = randomValues(n, `x:${shape}`).map((v, i) => v * (1.5 + scale[i % c]) + 3 * offset[i % c]);
  return {
    x, gamma: randomValues(c, `gamma:${shape}`).map((v) => 1 + 0.5 * v), beta: randomValues(c, `beta:${shape}`),
    r: randomValues(n, `r:${shape}`),
  };
}

type Results = { y: Float32Array; mean: Float32Array; variance: Float32Array; dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array };

/** y, mean and variance of `bn`, and the gradients of sum(y·r) wrt x, gamma and beta. */
async function run(backend: Backend, shape: number[], d: Data, bn: Bn): Promise<Results> {
  await tf.setBackend(backend);
  const [y, mean, variance, dx, dgamma, dbeta] = tf.tidy(() => {
    const [x, gamma, beta, r] = [tf.tensor(d.x, shape), tf.tensor1d(d.gamma), tf.tensor1d(d.beta), tf.tensor(d.r, shape)];
    const loss = (xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(bn(xt, g as tf.Tensor1D, b as tf.Tensor1D)[0], r));
    return [...bn(x, gamma, beta), ...tf.grads(loss)([x, gamma, beta])].map((t) => (t.dataSync() as Float32Array).slice());
  });
  return { y, mean, variance, dx, dgamma, dbeta };
}

// [N, H, W, C] of a conv layer, C = 6 not a multiple of 4 (the scalar tail), a dense layer's [N, C].
const SHAPES = [[32, 28, 28, 32], [7, 5, 5, 6], [64, 130]].map((shape) => [shape]);
const cache = new Map<string, Promise<{ wasm: Results; cpu: Results }>>();
function compared(shape: number[]) {
  const key = String(shape);
  if (!cache.has(key)) {
    const d = data(shape);
    cache.set(key, (async () => ({ wasm: await run('wasm', shape, d, fusedBn), cpu: await run('cpu', shape, d, stockBn) }))());
  }
  return cache.get(key)!;
}

describe('SweepBatchNormTrain / SweepBatchNormGrad', () => {
  it.each(SHAPES)('forward: y, mean and variance match tf.moments + tf.batchNorm on cpu (%j)', async (shape) => {
    const { wasm, cpu } = await compared(shape);
    expectClose(wasm.y, cpu.y);
    expectClose(wasm.mean, cpu.mean);
    expectClose(wasm.variance, cpu.variance);
  });

  it.each(SHAPES)('backward: tf.grads wrt x, gamma and beta match the stock ops on cpu (%j)', async (shape) => {
    const { wasm, cpu } = await compared(shape);
    expectClose(wasm.dx, cpu.dx);
    expectClose(wasm.dgamma, cpu.dgamma);
    expectClose(wasm.dbeta, cpu.dbeta);
  });

  it('is deterministic, and a channel gets the same bits in a SIMD lane as in the scalar tail', async () => {
    // C = 5: channel 0 sits in the first SIMD lane, channel 4 in the tail; give them the same data.
    const shape = [300, 5]; // more rows than one 256-row block
    const d = data(shape);
    for (let i = 0; i < 300; i++) d.x[i * 5 + 4] = d.x[i * 5];
    for (let i = 0; i < 300; i++) d.r[i * 5 + 4] = d.r[i * 5];
    d.gamma[4] = d.gamma[0];
    d.beta[4] = d.beta[0];
    const a = await run('wasm', shape, d, fusedBn);
    const b = await run('wasm', shape, d, fusedBn);
    for (const k of Object.keys(a) as (keyof Results)[]) {
      expect(bits(a[k])).toEqual(bits(b[k]));
      const lane = a[k].filter((_, i) => i % 5 === 0);
      const tail = a[k].filter((_, i) => i % 5 === 4);
      expect(bits(tail)).toEqual(bits(lane));
    }
  });

  it('leaves no tensor or backend buffer behind, and is unavailable on cpu', async () => {
    const d = data([40, 12]);
    await run('wasm', [40, 12], d, fusedBn); // first use instantiates the module
    const [tensors, buffers] = [tf.memory().numTensors, tf.backend().numDataIds()];
    await run('wasm', [40, 12], d, fusedBn);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
    await tf.setBackend('cpu');
    tf.tidy(() => {
      expect(fusedBatchNorm(tf.zeros([4, 3]), tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D, EPS)).toBeNull();
    });
  });
});

type Layout = { name: string; inputShape: number[]; layers: (bn: tf.layers.Layer | null) => tf.layers.Layer[] };
// Batch norm after a dense layer ([N, C]) and after a conv layer ([N, H, W, C], normalised as [N·H·W, C]).
const LAYOUTS: Layout[] = [
  { name: 'dense', inputShape: [5], layers: (bn) => [tf.layers.dense({ units: 8, inputShape: [5] }), ...(bn ? [bn] : []), tf.layers.dense({ units: 3 })] },
  {
    name: 'conv', inputShape: [4, 4, 3],
    layers: (bn) => [tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', inputShape: [4, 4, 3] }), ...(bn ? [bn] : []), tf.layers.flatten(), tf.layers.dense({ units: 3 })],
  },
];
const BATCH = 16;

/** A model with seeded small weights: gamma near 1, moving statistics at their initial values. */
function model(layout: Layout, bn: 'sweep' | 'stock' | null): tf.Sequential {
  const layer = bn === 'sweep' ? new SweepBatchNorm({}) : bn === 'stock' ? tf.layers.batchNormalization({}) : null;
  const m = tf.sequential({ layers: layout.layers(layer) });
  const values = m.weights.map((w, i) => {
    const shape = w.shape as number[]; // weights' shapes are fully known
    const v = randomValues(tf.util.sizeFromShape(shape), `${layout.name}:${w.originalName.replace(/.*\//, '')}:${i}`);
    if (w.originalName.includes('moving')) return tf.tidy(() => w.read().clone());
    return tf.tensor(w.originalName.includes('gamma') ? v.map((g) => 1 + 0.5 * g) : v.map((g) => 0.3 * g), shape);
  });
  m.setWeights(values);
  tf.dispose(values);
  return m;
}

/** The batch of step `i` and its targets. */
function batch(layout: Layout, i: number): [tf.Tensor, tf.Tensor] {
  const shape = [BATCH, ...layout.inputShape];
  const x = tf.tensor(randomValues(tf.util.sizeFromShape(shape), `in:${i}`).map((v, j) => v + (j % 3)), shape);
  return [x, tf.tensor(randomValues(BATCH * 3, `target:${i}`), [BATCH, 3])];
}

function step(m: tf.Sequential, optimizer: tf.Optimizer, layout: Layout, i: number): void {
  tf.tidy(() => {
    const [x, target] = batch(layout, i);
    optimizer.minimize(() => tf.losses.meanSquaredError(target, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
  });
}

/** Every weight (moving statistics included) after `steps` SGD steps on `backend`. */
async function trained(backend: Backend, layout: Layout, bn: 'sweep' | 'stock', steps = 5): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const m = model(layout, bn);
  const optimizer = tf.train.sgd(0.05);
  for (let i = 0; i < steps; i++) step(m, optimizer, layout, i);
  const weights = m.getWeights().map((w) => (w.dataSync() as Float32Array).slice());
  m.dispose();
  optimizer.dispose();
  return weights;
}

describe('SweepBatchNorm', () => {
  it.each(LAYOUTS)('trains as tfjs’s BatchNormalization on cpu does: weights and moving statistics ($name)', async (layout) => {
    const sweep = await trained('wasm', layout, 'sweep');
    const stock = await trained('cpu', layout, 'stock');
    expect(sweep).toHaveLength(stock.length);
    sweep.forEach((w, i) => expectClose(w, stock[i]));
    // The moving statistics (the only non-trainable weights, so the last two) did move.
    const [movingMean, movingVariance] = sweep.slice(-2);
    expect(movingMean.every((v) => v !== 0)).toBe(true);
    expect(movingVariance.every((v) => v !== 1)).toBe(true);
  });

  it.each(LAYOUTS)('is deterministic on wasm, and is tfjs’s own layer on cpu ($name)', async (layout) => {
    expect((await trained('wasm', layout, 'sweep')).map(bits)).toEqual((await trained('wasm', layout, 'sweep')).map(bits));
    expect((await trained('cpu', layout, 'sweep')).map(bits)).toEqual((await trained('cpu', layout, 'stock')).map(bits));
  });

  it('keeps the tensor count steady across training steps', () => {
    const layout = LAYOUTS[1];
    const m = model(layout, 'sweep');
    const optimizer = tf.train.adam(0.01);
    step(m, optimizer, layout, 0); // creates the optimizer's state
    const [tensors, buffers] = [tf.memory().numTensors, tf.backend().numDataIds()];
    for (let i = 1; i < 4; i++) step(m, optimizer, layout, i);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
    m.dispose();
    optimizer.dispose();
  });

  it('saves as a plain BatchNormalization that stock tfjs loads and predicts with identically', async () => {
    const layout = LAYOUTS[1];
    const m = model(layout, 'sweep');
    const optimizer = tf.train.sgd(0.05);
    for (let i = 0; i < 3; i++) step(m, optimizer, layout, i);
    const topology = m.toJSON(null, false) as unknown as { config: { layers: { class_name: string }[] } };
    expect(topology.config.layers.map((l) => l.class_name)).toContain('BatchNormalization');
    let saved: tf.io.ModelArtifacts | undefined;
    await m.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const bn = loaded.layers[1];
    expect(bn.getClassName()).toBe('BatchNormalization');
    expect(bn.constructor).toBe(StockBatchNorm);
    expect(bn).not.toBeInstanceOf(SweepBatchNorm);
    const [x] = batch(layout, 9);
    const [a, b] = [m.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(bits(b.dataSync() as Float32Array)).toEqual(bits(a.dataSync() as Float32Array));
    tf.dispose([x, a, b]);
    m.dispose();
    loaded.dispose();
    optimizer.dispose();
  });

  it.each(LAYOUTS)('runs a training step as SweepBatchNormTrain + SweepBatchNormGrad, with no Mean or Sum for batch norm ($name)', async (layout) => {
    const kernels = async (bn: 'sweep' | 'stock' | null) => {
      const m = model(layout, bn);
      const optimizer = tf.train.sgd(0.05);
      step(m, optimizer, layout, 0);
      const profile = await tf.profile(() => step(m, optimizer, layout, 1));
      m.dispose();
      optimizer.dispose();
      return profile.kernels.map((k) => k.name);
    };
    const count = (names: string[], ...of: string[]) => names.filter((n) => of.includes(n)).length;
    const [sweep, stock, none] = [await kernels('sweep'), await kernels('stock'), await kernels(null)];
    expect(count(sweep, BN_TRAIN)).toBe(1);
    expect(count(sweep, BN_GRAD)).toBe(1);
    // The Means and Sums left are the loss's and the dense layers' bias gradients.
    expect(count(sweep, 'Mean', 'Sum')).toBe(count(none, 'Mean', 'Sum'));
    expect(count(stock, 'Mean', 'Sum')).toBeGreaterThan(count(none, 'Mean', 'Sum'));
    expect(sweep.length).toBeLessThan(stock.length);
  });
});

/** Allocates each array on the wasm backend's heap; run(offsets) runs a kernel on them; read(i) copies one back. */
function onWasmHeap(arrays: Float32Array[]) {
  const b = tf.backend() as BackendWasm;
  const infos = arrays.map((a) => b.makeOutput([a.length], 'float32'));
  infos.forEach((info, i) => (b.typedArrayFromHeap(info) as Float32Array).set(arrays[i]));
  return {
    offsets: infos.map((info) => heapOffset(b, info)),
    read: (i: number) => (b.typedArrayFromHeap(infos[i]) as Float32Array).slice(),
    dispose: () => infos.forEach((info) => b.disposeData(info.dataId)),
  };
}

/** simd.wat's bn_forward and bn_backward, or the addon's (at `isa`), on `d`: every output. */
function bnKernels(shape: number[], d: Data, kernels: 'wasm' | 'avx512' | 'avx2'): Float32Array[] {
  const c = shape[shape.length - 1];
  const m = tf.util.sizeFromShape(shape) / c;
  const n = m * c;
  // x gamma beta | y mean variance tmp | dy | dx dgamma dbeta tmp2
  const heap = onWasmHeap([d.x, d.gamma, d.beta, new Float32Array(n), new Float32Array(c), new Float32Array(c), new Float32Array(c),
    d.r, new Float32Array(n), new Float32Array(c), new Float32Array(c), new Float32Array(2 * c)]);
  const [x, gamma, beta, y, mean, variance, tmp, dy, dx, dgamma, dbeta, tmp2] = heap.offsets;
  const eps = Math.fround(EPS);
  const forward = [x, gamma, beta, y, mean, variance, tmp, m, c, eps] as const;
  const backward = [dy, x, gamma, mean, variance, dx, dgamma, dbeta, tmp2, m, c, eps] as const;
  const b = tf.backend() as BackendWasm;
  if (kernels === 'wasm') {
    simdKernels(b)!.bn_forward(...forward);
    simdKernels(b)!.bn_backward(...backward);
  } else {
    const isa = kernels === 'avx2' ? ['avx2' as const] : [];
    nativeAddon()!.bn_forward(heapBuffer(b), ...forward, ...isa);
    nativeAddon()!.bn_backward(heapBuffer(b), ...backward, ...isa);
  }
  const out = [3, 4, 5, 8, 9, 10].map(heap.read);
  heap.dispose();
  return out;
}

describe.runIf(nativeAddon() !== null)('the native batch-norm kernels (native.c)', () => {
  // The CNNs' layers; channels not a multiple of 16 or 8 (the masked edge); more than 64 channels
  // (a second group); more rows than one 256-row block, and a last block of 1 row.
  const shapes = [[8, 28, 28, 32], [4, 14, 14, 64], [7, 5, 5, 6], [300, 5], [64, 130], [513, 17], [40, 1024]];
  const isas = nativeAddon()?.isa() === 'avx512' ? ['avx512', 'avx2'] as const : ['avx2'] as const;

  it.each(shapes.flatMap((shape) => isas.map((isa) => [shape, isa] as const)))(
    'give simd.wat’s floats, bit for bit (%j, %s)', (shape, isa) => {
      const d = data(shape);
      const expected = bnKernels(shape, d, 'wasm');
      const actual = bnKernels(shape, d, isa);
      expect(actual.map((v, i) => firstDifference(v, expected[i]))).toEqual([-1, -1, -1, -1, -1, -1]);
      expect(actual[0].some((v) => v !== 0) && actual[3].some((v) => v !== 0)).toBe(true);
    });

  it('keep a channel’s NaN, ±∞ and −0 where simd.wat does, leaving the other channels alone', () => {
    const shape = [300, 20];
    const d = data(shape);
    for (let r = 0; r < 300; r++) {
      d.x[r * 20 + 3] = r === 17 ? NaN : d.x[r * 20 + 3]; // one NaN: channel 3's statistics are NaN
      d.x[r * 20 + 18] = r === 290 ? Infinity : d.x[r * 20 + 18]; // in the edge lanes
      d.x[r * 20 + 7] = -0; // a constant channel: variance 0
      d.r[r * 20 + 11] = -0;
    }
    const expected = bnKernels(shape, d, 'wasm');
    for (const isa of isas) {
      const actual = bnKernels(shape, d, isa);
      expect(actual.map((v, i) => firstDifference(v, expected[i]))).toEqual([-1, -1, -1, -1, -1, -1]);
      const [, mean, variance] = actual;
      expect([Number.isNaN(mean[3]), mean[18], Number.isNaN(variance[18]), variance[7]]).toEqual([true, Infinity, true, 0]);
      expect([mean[2], mean[19], variance[2], variance[19]].every(Number.isFinite)).toBe(true);
    }
  });

  it('are what the layer runs: its forward and gradient call them, with simd.wat’s floats', async () => {
    const shape = [6, 9, 9, 32];
    const d = data(shape);
    const addon = nativeAddon()!;
    const [forward, backward] = [vi.spyOn(addon, 'bn_forward'), vi.spyOn(addon, 'bn_backward')];
    const viaLayer = await run('wasm', shape, d, fusedBn);
    expect([forward.mock.calls.length, backward.mock.calls.length]).toEqual([2, 1]); // forward twice: the outputs, then under tf.grads
    forward.mockRestore();
    backward.mockRestore();
    const expected = bnKernels(shape, d, 'wasm');
    const { y, mean, variance, dx, dgamma, dbeta } = viaLayer;
    expect([y, mean, variance, dx, dgamma, dbeta].map((v, i) => firstDifference(v, expected[i]))).toEqual([-1, -1, -1, -1, -1, -1]);
  });
});

describe.runIf(nativeAddon() !== null)('FusedBatchNorm (inference) natively', () => {
  /** tfjs-backend-wasm's kernel and ours on the same tensors: their outputs. */
  function both(shape: number[], d: Data, params: { mean: Float32Array; variance: Float32Array }, eps: number): [Float32Array, Float32Array] {
    const c = shape[shape.length - 1];
    const inputs = {
      x: tf.tensor(d.x, shape), mean: tf.tensor1d(params.mean), variance: tf.tensor1d(params.variance),
      offset: tf.tensor1d(d.beta), scale: tf.tensor1d(d.gamma),
    };
    expect(inputs.mean.size).toBe(c);
    const attrs = { varianceEpsilon: eps };
    const result: [Float32Array, Float32Array] = [
      runKernelConfig(tf.getKernel('FusedBatchNorm', 'wasm')!, inputs, attrs), runKernelConfig(builtinBatchNormInference()!, inputs, attrs),
    ];
    tf.dispose(Object.values(inputs));
    return result;
  }

  it.each([[[8, 28, 28, 32]], [[4, 14, 14, 64]], [[7, 5, 5, 6]], [[64, 130]], [[300, 17]]])(
    'gives tfjs-backend-wasm’s floats, bit for bit (%j), NaN, ±∞, −0 and a zero variance included', (shape) => {
      const d = data(shape);
      const c = shape[shape.length - 1];
      const mean = randomValues(c, `imean${shape}`);
      const variance = randomValues(c, `ivar${shape}`).map((v) => Math.abs(v) * 2);
      variance[0] = 0; // √eps
      mean[c - 1] = Infinity;
      d.x[1] = NaN;
      d.x[2] = -0;
      d.beta[1 % c] = -0;
      const [ours, theirs] = both(shape, d, { mean, variance }, 1e-3);
      expect(firstDifference(ours, theirs)).toBe(-1);
      expect(ours.some((v) => v !== 0 && Number.isFinite(v))).toBe(true);
      // The 256-bit kernel too (the layer runs the 512-bit one where the CPU has it).
      const n = d.x.length;
      const heap = onWasmHeap([d.x, mean, variance, d.beta, d.gamma, new Float32Array(n), new Float32Array(4 * c)]);
      const [x, m, v, offset, scale, y, tmp] = heap.offsets;
      nativeAddon()!.bn_inference(heapBuffer(tf.backend() as BackendWasm), x, m, v, offset, scale, y, tmp, n / c, c, Math.fround(1e-3), 'avx2');
      expect(firstDifference(heap.read(5), theirs)).toBe(-1);
      heap.dispose();
    });

  it('is what a batch-norm layer runs outside training; statistics of another size go to the built-in', async () => {
    const addon = nativeAddon()!;
    const spy = vi.spyOn(addon, 'bn_inference');
    const layer = new SweepBatchNorm({});
    const x = tf.tensor(randomValues(3 * 4 * 4 * 8, 'layer-x'), [3, 4, 4, 8]);
    const y = layer.apply(x, { training: false }) as tf.Tensor;
    expect(spy).toHaveBeenCalledTimes(1);
    // One mean and variance broadcast over the channels: the built-in's case.
    const z = tf.batchNorm(x, tf.tensor1d([0.5]), tf.tensor1d([2]), tf.zeros([8]) as tf.Tensor1D, tf.ones([8]) as tf.Tensor1D, 1e-3);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expectClose(z.dataSync() as Float32Array, x.sub(0.5).div(Math.sqrt(2 + 1e-3)).dataSync() as Float32Array);
    tf.dispose([x, y, z]);
  });
});
