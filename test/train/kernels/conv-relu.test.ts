import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { CONV_RELU, convRelu, convReluAvailable, convReluInference, convReluPool, poolFusable, poolReluGradSums, RELU_GRAD_SUMS } from '../../../src/train/kernels/conv-relu.js';
import { heapBuffer, heapOffset } from '../../../src/train/kernels/wasm-kernel.js';
import { builtinMaxPool } from '../../../src/train/kernels/max-pool.js';
import { nativeAddon } from '../../../src/train/kernels/native.js';
import { SweepConv2D } from '../../../src/train/conv2d.js';
import { randomValues } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

/** Bit patterns, so −0 counts. */
const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

type Case = { x: [number, number, number, number]; kernel: number; filters: number; strides: number; pad: 'same' | 'valid' };
// The notebook CNN's two layers at batch 32; a batch that splits into uneven groups of images
// (the first layer's output is 25,088 floats an image: groups of 2); stride 2 without padding.
const cases: Case[] = [
  { x: [32, 28, 28, 1], kernel: 3, filters: 32, strides: 1, pad: 'same' },
  { x: [32, 14, 14, 32], kernel: 3, filters: 64, strides: 1, pad: 'same' },
  { x: [5, 28, 28, 1], kernel: 3, filters: 32, strides: 1, pad: 'same' },
  { x: [3, 9, 11, 4], kernel: 3, filters: 8, strides: 2, pad: 'valid' },
];
const label = (c: Case) => `[${c.x}] * ${c.kernel}×${c.kernel}×${c.filters}, stride ${c.strides}, ${c.pad}`;

function operands(c: Case) {
  const seed = label(c);
  const [n, h, w, ci] = c.x;
  const probe = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([c.kernel, c.kernel, ci, c.filters]) as tf.Tensor4D, c.strides, c.pad);
  const outShape = probe.shape;
  probe.dispose();
  return {
    // Zeros among the images, so some sums are exactly 0 and ReLU sees zeros of both signs.
    x: tf.tensor4d(randomValues(n * h * w * ci, `x${seed}`, 0.3), c.x),
    w: tf.tensor4d(randomValues(c.kernel * c.kernel * ci * c.filters, `w${seed}`), [c.kernel, c.kernel, ci, c.filters]),
    b: tf.tensor1d(randomValues(c.filters, `b${seed}`)),
    // The upstream gradient, with zeros (max pooling's) among it.
    r: tf.tensor(randomValues(tf.util.sizeFromShape(outShape), `r${seed}`, 0.5), outShape),
  };
}

/** What tfjs computes for a Conv2D layer with a bias and ReLU while recording gradients. */
const stock = (c: Case) => (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.relu(tf.add(tf.conv2d(x, w, c.strides, c.pad), b));
const ours = (c: Case) => (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => convRelu(x, w, b, { strides: [c.strides, c.strides], pad: c.pad });

describe('a convolution with its bias and ReLU as one kernel, on wasm', () => {
  it.each(cases)('$x, $filters filters, stride $strides, $pad: output and every gradient bit-identical to Conv2D, Add and Relu', (c) => {
    const { x, w, b, r } = operands(c);
    expect(convReluAvailable(x, w)).toBe(true);
    const grads = (f: ReturnType<typeof stock>) => tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(r, f(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D))))([x, w, b]);
    const [y1, y0] = [ours(c)(x, w, b), stock(c)(x, w, b)];
    expect(y1.shape).toEqual(y0.shape);
    expect(bits(y1)).toEqual(bits(y0));
    // Some outputs are cut to 0 and some pass: the ReLU is exercised both ways.
    const values = y0.dataSync();
    expect(values.some((v) => v === 0) && values.some((v) => v > 0)).toBe(true);
    const [g1, g0] = [grads(ours(c)), grads(stock(c))];
    expect(g1).toHaveLength(3);
    g1.forEach((g, i) => expect(bits(g)).toEqual(bits(g0[i])));
    tf.dispose([x, w, b, r, y1, y0, ...g1, ...g0]);
  });

  it.each(cases)('$x, $filters filters, stride $strides, $pad: for inference, model.predict\'s floats (XNNPACK\'s fused convolution with ReLU), bit for bit', (c) => {
    const { x, w, b } = operands(c);
    const backend = tf.backend() as BackendWasm;
    const want = tf.fused.conv2d({ x, filter: w, bias: b, strides: c.strides, pad: c.pad, activation: 'relu' });
    const info = convReluInference(backend, heapOffset(backend, x), c.x, w, b, { strides: [c.strides, c.strides], pad: c.pad });
    // Without the native addon (SWEEP_NATIVE=0, or no compiler) there is none: predict runs.
    if (nativeAddon() === null) {
      expect(info).toBeNull();
      tf.dispose([x, w, b, want]);
      return;
    }
    const got = tf.engine().makeTensorFromTensorInfo(info!);
    expect(got.shape).toEqual(want.shape);
    expect(bits(got)).toEqual(bits(want));
    // Not the training kernel's floats under another name: there the bias is added after the sum.
    expect(bits(convRelu(x, w, b, { strides: [c.strides, c.strides], pad: c.pad }))).not.toEqual(bits(want));
    tf.dispose([x, w, b, want, got]);
  });

  it("runs one kernel forward, one pass for ReLU's and the bias's gradients, and no gradient for the images", async () => {
    const c = cases[0];
    const { x, w, b, r } = operands(c);
    const profile = await tf.profile(() => {
      tf.dispose(tf.grads((ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(r, ours(c)(x, ww as tf.Tensor4D, bb as tf.Tensor1D))))([w, b]));
    });
    const calls = (name: string) => profile.kernels.filter((k) => k.name === name).length;
    expect(calls(CONV_RELU)).toBe(1);
    expect(calls('SweepReluGradSums')).toBe(1);
    expect(calls('Conv2DBackpropFilter')).toBe(1);
    expect(calls('Sum')).toBe(1); // the loss's own, not the bias's
    for (const absent of ['Conv2DBackpropInput', 'Conv2D', 'Add', 'Relu', 'SweepReluGrad']) expect(calls(absent)).toBe(0);
    tf.dispose([x, w, b, r]);
  });

  it('is what SweepConv2D with a bias and ReLU trains with, to the same weights as tfjs Conv2D', async () => {
    const args = { inputShape: [12, 12, 1], filters: 8, kernelSize: 3, padding: 'same' as const, activation: 'relu' as const };
    const train = async (layer: tf.layers.Layer) => {
      const model = tf.sequential({ layers: [layer, tf.layers.flatten(), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })] });
      const optimizer = tf.train.adam(0.01);
      const x = tf.tensor4d(randomValues(4 * 144, 'images', 0.3), [4, 12, 12, 1]);
      const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
      const profile = await tf.profile(() => {
        for (let step = 0; step < 3; step++) {
          tf.tidy(() => {
            optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
          });
        }
      });
      const weights = model.getWeights().map(bits);
      tf.dispose([x, labels]);
      optimizer.dispose();
      model.dispose();
      return { weights, fusedCalls: profile.kernels.filter((k) => k.name === CONV_RELU).length };
    };
    const init = () => tf.initializers.glorotUniform({ seed: 3 });
    const fused = await train(new SweepConv2D({ ...args, kernelInitializer: init() }));
    const plain = await train(tf.layers.conv2d({ ...args, kernelInitializer: init() }));
    expect([fused.fusedCalls, plain.fusedCalls]).toEqual([3, 0]);
    expect(fused.weights).toHaveLength(4);
    fused.weights.forEach((w, i) => expect(w).toEqual(plain.weights[i]));
  });
});

// The direct step's later blocks: 2×2 max pooling in the convolution's epilogue, and its gradient
// with ReLU's in one pass. Native only (the addon's max_pool_2x2 and pool_relu_grad).
describe.runIf(nativeAddon() !== null)('a block\'s pooling with its convolution, and its gradient with ReLU\'s', () => {
  const POOL = { filterSize: [2, 2] as [number, number], strides: [2, 2] as [number, number], pad: 'valid' as const };
  // The notebook CNN's second block at batch 32 (groups of 5 images, the last of 2); odd sizes
  // (a last row and column outside every window); 48 filters (three 16-float vectors).
  const poolCases: Case[] = [
    { x: [32, 14, 14, 32], kernel: 3, filters: 64, strides: 1, pad: 'same' },
    { x: [3, 9, 7, 4], kernel: 3, filters: 48, strides: 1, pad: 'same' },
    { x: [2, 12, 12, 8], kernel: 3, filters: 16, strides: 2, pad: 'same' },
  ];
  const SPECIAL = [NaN, Infinity, -Infinity, -0, 0];

  it.each(poolCases)('$x, $filters filters, stride $strides: XNNPACK\'s MaxPool\'s, MaxPoolGrad\'s and RELU_GRAD_SUMS\' floats, bit for bit, with ±0, ±∞ and NaN', (c) => {
    const backend = tf.backend() as BackendWasm;
    const { x, w, b } = operands(c);
    expect(poolFusable(POOL, c.filters)).toBe(true);
    const attrs = { strides: [c.strides, c.strides] as [number, number], pad: c.pad };
    const y0 = convRelu(x, w, b, attrs);
    const p0 = xnnpackPool(y0);
    const [yInfo, pInfo] = convReluPool(backend, x, w, b, attrs);
    const [y1, p1] = [yInfo, pInfo].map((t) => tf.engine().makeTensorFromTensorInfo(t));
    expect(bits(y1)).toEqual(bits(y0));
    expect(p1.shape).toEqual(p0.shape);
    expect(bits(p1)).toEqual(bits(p0));

    // The gradient, at an activation with ties (a few levels), NaN and infinities in some windows,
    // and an incoming gradient with ±0, ±∞ and NaN at a few places.
    // The specials in the first half of the channels only: the others' sums stay numbers.
    const special = (i: number, every: number) => i % every === 0 && i % c.filters < c.filters / 2;
    const levels = Array.from(y0.dataSync(), (v, i) => (special(i, 37) ? SPECIAL[(i / 37) % 5 | 0] : Math.round(v * 2) / 2));
    const y = tf.tensor(Float32Array.from(levels), y0.shape);
    const pooled = xnnpackPool(y);
    expect(bits(tf.engine().makeTensorFromTensorInfo(convReluPoolOf(y)))).toEqual(bits(pooled));
    const g = Array.from(randomValues(pooled.size, `g${label(c)}`, 0.2), (v, i) => (special(i, 53) ? SPECIAL[(i / 53) % 5 | 0] : v));
    const dpool = tf.tensor(Float32Array.from(g), pooled.shape);
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy: dpool, input: y, output: pooled }, POOL) as tf.Tensor;
    const [dz0, db0] = tf.engine().runKernel(RELU_GRAD_SUMS, { dy: dx, y }) as tf.Tensor[];
    const [dz1, db1] = poolReluGradSums(backend, dpool, y).map((t) => tf.engine().makeTensorFromTensorInfo(t));
    const nan = (u: number) => (u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0;
    const sameOrNaN = (a: number[], e: number[]) => a.length === e.length && a.every((v, i) => v === e[i] || (nan(v) && nan(e[i])));
    expect(sameOrNaN(bits(dz1), bits(dz0))).toBe(true);
    expect(sameOrNaN(bits(db1), bits(db0))).toBe(true);
    // What the case holds: NaN in the activation and the gradients, gradients of -0, and channels whose sums stayed numbers.
    expect(bits(y).some(nan) && bits(dz0).some(nan)).toBe(true);
    expect(bits(dz0).some((u) => u === 0x80000000)).toBe(true);
    expect(bits(db0).some((u) => !nan(u))).toBe(true);
    tf.dispose([x, w, b, y0, p0, y1, p1, y, pooled, dpool, dx, dz0, db0, dz1, db1]);
  });

  it('declines what it does not take: filters not a multiple of 16, other pooling', () => {
    expect(poolFusable(POOL, 8)).toBe(false);
    expect(poolFusable({ ...POOL, filterSize: [3, 3] }, 16)).toBe(false);
    expect(poolFusable({ ...POOL, strides: [1, 1] }, 16)).toBe(false);
    expect(poolFusable(null, 16)).toBe(false);
  });
});

/** XNNPACK's own 2×2 MaxPool (tf.maxPool runs sweep's native one where it applies). */
function xnnpackPool(y: tf.Tensor): tf.Tensor {
  const attrs = { filterSize: 2, strides: 2, pad: 'valid', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
  return tf.engine().makeTensorFromTensorInfo(builtinMaxPool()!.kernelFunc({ inputs: { x: y }, backend: tf.backend(), attrs }) as tf.TensorInfo);
}

/** The native 2×2 pooling of `y` alone (max_pool_2x2), as convReluPool runs it on each group. */
function convReluPoolOf(y: tf.Tensor): tf.TensorInfo {
  const backend = tf.backend() as BackendWasm;
  const [n, oh, ow, co] = y.shape;
  const out = backend.makeOutput([n, Math.floor(oh / 2), Math.floor(ow / 2), co], 'float32');
  nativeAddon()!.max_pool_2x2(heapBuffer(backend), heapOffset(backend, y), heapOffset(backend, out), n, oh, ow, co);
  return out;
}
