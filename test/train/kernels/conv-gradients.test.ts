import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import seedrandom from 'seedrandom';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { flippedSwapped } from '../../../src/train/kernels/conv-gradients.js';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { type Backend, expectClose, maxAbs, randomValues, runKernelOn } from './compare.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  name: string;
  batch: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: Pad;
  /** Fraction of dy entries zeroed, as after ReLU + max-pool backprop (exercises the sparse path). */
  dyZeros: number;
}

const cases: Case[] = [
  { name: 'b1 28x28 1->8 k3 s1 same dense', batch: 1, h: 28, w: 28, ci: 1, co: 8, k: 3, stride: 1, pad: 'same', dyZeros: 0 },
  { name: 'b4 9x13 3->4 k3 s2 valid dense', batch: 4, h: 9, w: 13, ci: 3, co: 4, k: 3, stride: 2, pad: 'valid', dyZeros: 0 },
  { name: 'b4 12x7 8->16 k5 s1 same sparse', batch: 4, h: 12, w: 7, ci: 8, co: 16, k: 5, stride: 1, pad: 'same', dyZeros: 0.85 },
  { name: 'b1 11x16 8->16 k3 s2 same sparse', batch: 1, h: 11, w: 16, ci: 8, co: 16, k: 3, stride: 2, pad: 'same', dyZeros: 0.85 },
  { name: 'b4 13x10 3->4 k5 s2 same dense', batch: 4, h: 13, w: 10, ci: 3, co: 4, k: 5, stride: 2, pad: 'same', dyZeros: 0 },
  { name: 'b1 10x6 1->8 k5 s1 valid sparse', batch: 1, h: 10, w: 6, ci: 1, co: 8, k: 5, stride: 1, pad: 'valid', dyZeros: 0.85 },
  { name: 'b4 16x10 8->16 k3 s1 valid sparse', batch: 4, h: 16, w: 10, ci: 8, co: 16, k: 3, stride: 1, pad: 'valid', dyZeros: 0.85 },
  { name: 'b4 15x9 8->16 k5 s2 valid dense', batch: 4, h: 15, w: 9, ci: 8, co: 16, k: 5, stride: 2, pad: 'valid', dyZeros: 0 },
  { name: 'b1 7x9 3->4 k3 s1 same sparse', batch: 1, h: 7, w: 9, ci: 3, co: 4, k: 3, stride: 1, pad: 'same', dyZeros: 0.85 },
  { name: 'b4 14x9 1->8 k3 s2 valid sparse', batch: 4, h: 14, w: 9, ci: 1, co: 8, k: 3, stride: 2, pad: 'valid', dyZeros: 0.85 },
  // Out channels >= patch size with dense dy: takes the dense outer-product path.
  { name: 'b4 20x15 1->32 k3 s1 valid dense', batch: 4, h: 20, w: 15, ci: 1, co: 32, k: 3, stride: 1, pad: 'valid', dyZeros: 0 },
  { name: 'b1 9x12 2->32 k3 s2 same dense', batch: 1, h: 9, w: 12, ci: 2, co: 32, k: 3, stride: 2, pad: 'same', dyZeros: 0 },
  { name: 'b4 8x10 3->4 k3 s2 explicit pad', batch: 4, h: 8, w: 10, ci: 3, co: 4, k: 3, stride: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]], dyZeros: 0 },
  { name: 'b2 8x10 3->4 k3 s1 explicit asymmetric pad', batch: 2, h: 8, w: 10, ci: 3, co: 4, k: 3, stride: 1, pad: [[0, 0], [2, 0], [0, 1], [0, 0]], dyZeros: 0 },
  { name: 'b2 6x7 2->5 k3 s1 explicit pad wider than the kernel', batch: 2, h: 6, w: 7, ci: 2, co: 5, k: 3, stride: 1, pad: [[0, 0], [3, 1], [4, 0], [0, 0]], dyZeros: 0 },
];

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('registerWasmKernels', () => {
  it('registers Conv2DBackpropFilter for wasm and is idempotent', () => {
    const filter = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    const input = tf.getKernel('Conv2DBackpropInput', 'wasm');
    expect(filter).toBeDefined();
    expect(input).toBeDefined();
    registerWasmKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(filter?.kernelFunc);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(input?.kernelFunc);
  });

  it('rejects NCHW with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 3, 5, 5]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs)).toThrow(/NCHW/);
    tf.dispose([x, dy]);
  });
});

describe('wasm conv2d gradient kernels match cpu', () => {
  it.each(cases)('Conv2DBackpropFilter: $name', async (c) => {
    const xShape = [c.batch, c.h, c.w, c.ci];
    const filterShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
    const outShape = tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number], filterShape, c.stride, 1, c.pad,
    ).outShape;
    const x = { values: randomValues(tf.util.sizeFromShape(xShape), `x:${c.name}`, 0.3), shape: xShape };
    const dy = { values: randomValues(tf.util.sizeFromShape(outShape), `dy:${c.name}`, c.dyZeros), shape: outShape };
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape };
    const expected = await runKernelOn('cpu', 'Conv2DBackpropFilter', { x, dy }, attrs);
    const actual = await runKernelOn('wasm', 'Conv2DBackpropFilter', { x, dy }, attrs);
    expect(maxAbs(expected)).toBeGreaterThan(0);
    expectClose(actual, expected);
  });

  it.each(cases)('Conv2DBackpropInput: $name', async (c) => {
    const inputShape: [number, number, number, number] = [c.batch, c.h, c.w, c.ci];
    const filterShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
    const outShape = tf.backend_util.computeConv2DInfo(inputShape, filterShape, c.stride, 1, c.pad).outShape;
    const filter = { values: randomValues(tf.util.sizeFromShape(filterShape), `w:${c.name}`), shape: filterShape };
    const dy = { values: randomValues(tf.util.sizeFromShape(outShape), `dy:${c.name}`, c.dyZeros), shape: outShape };
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape };
    const expected = await runKernelOn('cpu', 'Conv2DBackpropInput', { dy, filter }, attrs);
    const actual = await runKernelOn('wasm', 'Conv2DBackpropInput', { dy, filter }, attrs);
    expect(maxAbs(expected)).toBeGreaterThan(0);
    expectClose(actual, expected);
  });
});

describe('flippedSwapped', () => {
  // The input gradient convolves dy with this filter: a wrong index flips or swaps the gradient,
  // which the comparisons with cpu above catch only as a tolerance; here, every bit.
  it.each([[3, 3, 64, 32], [3, 3, 1, 8], [5, 3, 2, 4], [1, 1, 3, 4]])('is Reverse(0, 1) then Transpose(0, 1, 3, 2), bit for bit, for a %i×%i×%i×%i filter', async (...shape) => {
    await tf.setBackend('wasm');
    const b = tf.backend() as BackendWasm;
    const size = tf.util.sizeFromShape(shape);
    const bits = new Uint32Array(size);
    const rng = seedrandom(`flip:${shape.join('x')}`);
    for (let i = 0; i < size; i++) bits[i] = Math.floor(rng() * 2 ** 32);
    // −0, infinities and NaNs with payloads (both signs), where a copy through numbers could change bits.
    [0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0xffa00005, 0x7f800abc].forEach((v, i) => { if (i < size) bits[(i * 7) % size] = v; });
    const filter = tf.tensor(new Float32Array(bits.buffer), shape, 'float32');
    const expected = tf.tidy(() => tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]));
    const info = flippedSwapped(b, { dataId: filter.dataId, shape: filter.shape, dtype: 'float32' });
    try {
      expect(info.shape).toEqual([shape[0], shape[1], shape[3], shape[2]]);
      const actual = b.typedArrayFromHeap(info) as Float32Array;
      const want = (await expected.data()) as Float32Array;
      expect(Array.from(new Uint32Array(actual.buffer, actual.byteOffset, actual.length)))
        .toEqual(Array.from(new Uint32Array(want.buffer, want.byteOffset, want.length)));
    } finally {
      b.disposeData(info.dataId);
      tf.dispose([filter, expected]);
    }
  });
});

function tinyCnn(): tf.Sequential {
  let seed = 1;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: init() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dropout({ rate: 0.25, seed: 7 }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
}

describe('tiny CNN training on wasm', () => {
  const batch = 8;
  const images = randomValues(batch * 28 * 28, 'images').map((v) => (v + 1) / 2);
  const labels = Array.from({ length: batch }, (_, i) => Math.floor(seedrandom(`label${i}`)() * 10));

  function lossFn(model: tf.Sequential, xs: tf.Tensor, ys: tf.Tensor): () => tf.Scalar {
    return () => tf.mean(tf.metrics.categoricalCrossentropy(ys, model.apply(xs, { training: true }) as tf.Tensor));
  }

  async function gradsOn(backend: Backend): Promise<{ loss: number; grads: Float32Array[] }> {
    await tf.setBackend(backend);
    const model = tinyCnn();
    const xs = tf.tensor4d(images, [batch, 28, 28, 1]);
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(lossFn(model, xs, ys), vars);
    const out = {
      loss: value.dataSync()[0],
      grads: vars.map((v) => (grads[v.name].dataSync() as Float32Array).slice()),
    };
    tf.dispose([value, xs, ys, ...Object.values(grads)]);
    model.dispose();
    return out;
  }

  it('gets the same gradients for every weight as cpu', async () => {
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
    expect(wasm.grads.length).toBe(8);
    wasm.grads.forEach((g, i) => expectClose(g, cpu.grads[i]));
  });

  it('reduces the loss with a few SGD steps', async () => {
    await tf.setBackend('wasm');
    const model = tinyCnn();
    const xs = tf.tensor4d(images, [batch, 28, 28, 1]);
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat();
    const optimizer = tf.train.sgd(0.1);
    const losses: number[] = [];
    for (let step = 0; step < 10; ++step) {
      const loss = optimizer.minimize(lossFn(model, xs, ys), true) as tf.Scalar;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.9);
    tf.dispose([xs, ys]);
    optimizer.dispose();
    model.dispose();
  });
});
