// Why: a convolution with a bias and ReLU is, on stock tfjs while training, three kernels forward
// (Conv2D, a broadcast Add, Relu) and three backward before its products (ReluGrad, the bias's
// Sum, reshapes), each a full pass over an activation larger than the cache (the notebook CNN's
// first layer's is 3.2 MB at batch 32). Here the bias and ReLU are the convolution's epilogue,
// applied a few images at a time while their output is still in cache, and backward ReLU's
// gradient and the bias's sum are one pass. The same float32 operations in the same order: the
// sum, then the bias added, then ReLU (x < 0 ? 0 : x); dz = dy·step, then the bias's gradient as
// each column's sum from 0, row after row. So training takes the same steps, bit for bit. For the
// direct step, a block's 2×2 max pooling runs in the same epilogue and its gradient with ReLU's in
// one pass (the native addon's max_pool_2x2 and pool_relu_grad), with MaxPool's and MaxPoolGrad's floats.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { convGeometry, im2colRows } from './conv2d.js';
import { isPool2x2 } from './max-pool.js';
import { nativeAddon } from './native.js';
import { productKernels, simdKernels } from './simd.js';
import { heapBuffer, heapOffset, type KernelArgs } from './wasm-kernel.js';

export const CONV_RELU = 'SweepConv2DBiasRelu';
export const RELU_GRAD_SUMS = 'SweepReluGradSums';

/** The convolution's attributes: NHWC, dilation 1. */
export type ConvReluAttrs = { strides: [number, number]; pad: 'same' | 'valid' };

/** Floats of output a group of images writes before its epilogue runs: 256 KB, within a core's L2. */
const GROUP_FLOATS = 65536;

function convReluWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, filter, bias } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias: tf.TensorInfo };
  return convReluGroups(backend as BackendWasm, x, filter, bias, kernelAttrs<ConvReluAttrs>(attrs), null);
}

/**
 * relu(conv2d(x) + bias) a few images at a time; `pooled`, where given, gets each group's 2×2 max
 * pooling (native.c's max_pool_2x2) while the group is still in cache.
 */
function convReluGroups(
  b: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, bias: tf.TensorInfo, { strides, pad }: ConvReluAttrs, pooled: tf.TensorInfo | null,
): tf.TensorInfo {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    strides, 1, pad, undefined, false, 'channelsLast',
  );
  const y = b.makeOutput(info.outShape, 'float32');
  const perImage = info.outHeight * info.outWidth * info.outChannels;
  if (perImage === 0 || info.batchSize === 0) return y;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const rows = im2colRows(k);
  const col = b.makeOutput([rows * k], 'float32');
  const products = productKernels(b)!;
  const simd = simdKernels(b)!;
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  const group = Math.max(1, Math.floor(GROUP_FLOATS / perImage));
  const inImage = 4 * info.inHeight * info.inWidth * info.inChannels;
  const pooledImage = 4 * Math.floor(info.outHeight / 2) * Math.floor(info.outWidth / 2) * info.outChannels;
  for (let i = 0; i < info.batchSize; i += group) {
    const n = Math.min(group, info.batchSize - i);
    const out = at(y) + 4 * i * perImage;
    products.conv_forward(at(x) + i * inImage, at(filter), out, at(col), rows, ...convGeometry(info, n));
    simd.dense_epilogue(out, at(bias), n * info.outHeight * info.outWidth, info.outChannels, 1);
    if (pooled !== null) {
      nativeAddon()!.max_pool_2x2(heapBuffer(b), out, at(pooled) + i * pooledImage, n, info.outHeight, info.outWidth, info.outChannels);
    }
  }
  b.disposeData(col.dataId);
  return y;
}

/**
 * A convolution with a bias and ReLU as model.predict computes it on wasm (XNNPACK's FusedConv2D
 * with a fused ReLU): each sum starts from the bias and adds the products over the patch in order,
 * each rounded, then added; then the clamp to [0, ∞). The native addon's exact GEMM over im2col
 * gives those floats (direct-step-training.test.ts compares evaluation with model.predict's).
 * x is a byte offset on the heap holding `shape`'s images; the output is the caller's to free.
 * Null where the addon does not load (model.predict then runs).
 */
export function convReluInference(
  b: BackendWasm, x: number, shape: [number, number, number, number], filter: tf.TensorInfo, bias: tf.TensorInfo, attrs: ConvReluAttrs,
): tf.TensorInfo | null {
  const native = nativeAddon();
  const simd = simdKernels(b);
  if (native === null || simd === null) return null;
  const info = tf.backend_util.computeConv2DInfo(
    shape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, undefined, false, 'channelsLast',
  );
  const y = b.makeOutput(info.outShape, 'float32');
  const positions = info.batchSize * info.outHeight * info.outWidth;
  if (positions === 0) return y;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const rows = im2colRows(k);
  const col = b.makeOutput([rows * k], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  simd.fill_rows(at(y), at(bias), positions, info.outChannels);
  native.conv_forward_exact(heapBuffer(b), x, at(filter), at(y), at(col), rows, ...convGeometry(info));
  simd.dense_epilogue(at(y), 0, positions, info.outChannels, 2);
  b.disposeData(col.dataId);
  return y;
}

/** The pooling `convReluPool` and `poolReluGradSums` take: 2×2 at stride 2 without padding. */
export type Pool2x2 = { filterSize: [number, number]; strides: [number, number]; pad: 'valid' };

/**
 * Whether a block's 2×2 pooling runs with its convolution (`convReluPool`) and its gradient with
 * ReLU's (`poolReluGradSums`): where the native addon loads, for filters in multiples of 16.
 */
export function poolFusable(pool: { filterSize: [number, number]; strides: [number, number]; pad: string } | null, filters: number): pool is Pool2x2 {
  return isPool2x2(pool) && nativeAddon() !== null && filters % 16 === 0;
}

/**
 * [y, pooled]: what CONV_RELU then MaxPool make, with the floats of both (XNNPACK's maximum), the
 * pooling of each few images done while they are in cache. For the direct step; `poolFusable`
 * says where. The outputs are the caller's.
 */
export function convReluPool(b: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, bias: tf.TensorInfo, attrs: ConvReluAttrs): [tf.TensorInfo, tf.TensorInfo] {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, undefined, false, 'channelsLast',
  );
  const pooled = b.makeOutput([info.batchSize, Math.floor(info.outHeight / 2), Math.floor(info.outWidth / 2), info.outChannels], 'float32');
  return [convReluGroups(b, x, filter, bias, attrs, pooled), pooled];
}

/**
 * [dz, db] from the gradient at a 2×2 pooling's output and the block's activation y: MaxPoolGrad's
 * then RELU_GRAD_SUMS' floats in one pass (native.c's pool_relu_grad). The outputs are the caller's.
 */
export function poolReluGradSums(b: BackendWasm, dpool: tf.TensorInfo, y: tf.TensorInfo): [tf.TensorInfo, tf.TensorInfo] {
  const [n, oh, ow, co] = y.shape;
  const dz = b.makeOutput([...y.shape], 'float32');
  const db = b.makeOutput([co], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  nativeAddon()!.pool_relu_grad(heapBuffer(b), at(y), at(dpool), at(dz), at(db), n, oh, ow, co, 1);
  return [dz, db];
}

/** [dz, db]: ReLU's gradient at the layer's output y, and its sum over every axis but the channels. */
function reluGradSumsWasm({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as BackendWasm;
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const n = y.shape[y.shape.length - 1];
  const dz = b.makeOutput([...y.shape], 'float32');
  const db = b.makeOutput([n], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  simdKernels(b)!.relu_grad_sums(at(dy), at(y), at(dz), at(db), tf.util.sizeFromShape(y.shape) / n, n);
  return [dz, db];
}

/**
 * Whether `convRelu` runs here for this input and filter: on wasm with sweep's kernels, float32,
 * rank 4, output channels a multiple of 4 (what the im2col convolution takes).
 */
export function convReluAvailable(x: tf.Tensor, filter: tf.Tensor): boolean {
  if (tf.getBackend() !== 'wasm' || tf.getKernel(CONV_RELU, 'wasm') === undefined) return false;
  const backend = tf.backend() as BackendWasm;
  return simdKernels(backend) !== null && productKernels(backend) !== null
    && x.dtype === 'float32' && filter.dtype === 'float32' && x.rank === 4 && filter.rank === 4 && (filter.shape[3] ?? 1) % 4 === 0;
}

/** relu(conv2d(x, filter) + bias) as one kernel, NHWC, dilation 1; differentiable, each gradient only where needed. */
export function convRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, attrs: ConvReluAttrs): tf.Tensor4D {
  return tf.engine().runKernel(CONV_RELU, { x, filter, bias }, attrs) as tf.Tensor4D;
}

/** Registers the kernels (wasm) and the gradient of `convRelu`. Idempotent. */
export function registerWasmConvRelu(): void {
  if (tf.getKernel(CONV_RELU, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: CONV_RELU, backendName: 'wasm', kernelFunc: convReluWasm });
  tf.registerKernel({ kernelName: RELU_GRAD_SUMS, backendName: 'wasm', kernelFunc: reluGradSumsWasm as tf.KernelFunc });
  tf.registerGradient({
    kernelName: CONV_RELU,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    // dz is every gradient's input, and the bias always needs it: computed once, here. The engine
    // calls only the thunks of inputs that lead to what is differentiated: never the images'.
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved;
      const [dz, db] = tf.engine().runKernel(RELU_GRAD_SUMS, { dy: dy as tf.Tensor, y }) as tf.Tensor[];
      // tf.conv2d's gradient, with dz for dy.
      const { strides, pad } = attrs as unknown as ConvReluAttrs;
      const common = { strides, pad, dataFormat: 'NHWC' };
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: dz, filter }, { ...common, inputShape: x.shape }) as tf.Tensor,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dz }, { ...common, filterShape: filter.shape }) as tf.Tensor,
        bias: () => db,
      };
    },
  });
}
