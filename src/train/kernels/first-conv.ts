// Why: the notebook CNN's first layer (a 3×3 convolution over one channel, its bias and ReLU, then
// 2×2 max pooling) does 3.5% of the step's arithmetic, yet on the general kernels it took a fifth
// of the step at batch 32: an im2col GEMM whose rows are 9 floats long, and four more full passes
// over its 28×28×32 output (pooling, pooling's gradient, ReLU's gradient and the bias's sum, and
// the filter's gradient). Here it is one pass forward and one backward, in the native addon
// (native.c, conv1_forward and conv1_backward), with the floats of the kernels it replaces:
// CONV_RELU (conv-relu.ts), XNNPACK's MaxPool, MaxPoolGrad (max-pool-grad.ts), RELU_GRAD_SUMS and
// Conv2DBackpropFilter (conv-gradients.ts). test/train/kernels/first-conv.test.ts compares them bit
// for bit, with ±0, ±∞ and NaN among the values.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvReluAttrs } from './conv-relu.js';
import { fusedMultiplyAdd } from './fma.js';
import { isPool2x2 } from './max-pool.js';
import { type Conv1Geometry, nativeAddon } from './native.js';
import { heapBuffer, heapOffset } from './wasm-kernel.js';

/** 2×2 max pooling at stride 2 without padding, or none. */
export type FirstConvPool = { filterSize: [number, number]; strides: [number, number]; pad: 'valid' } | null;

/** The first layer's shapes, where the one-pass kernels take it. */
export type FirstConv = { geometry: Conv1Geometry; yShape: number[]; pooledShape: number[] | null };

/**
 * The geometry of a convolution the one-pass kernels take, or null where the general kernels run:
 * off the native addon, where training does not use fused multiply-adds (the convolution's floats
 * would differ), for more than one input channel, a stride other than 1, more than 25 taps,
 * filters not a multiple of 16, or pooling other than 2×2 at stride 2.
 */
function geometryOf(
  xShape: readonly number[], filterShape: readonly number[], strides: number | [number, number], pad: tf.Conv2DAttrs['pad'], pool: FirstConvPool, epilogue: 0 | 1,
): Conv1Geometry | null {
  if (nativeAddon() === null || !fusedMultiplyAdd()) return null;
  const [kh, kw, ci, co] = filterShape;
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  if (xShape.length !== 4 || filterShape.length !== 4 || xShape[3] !== 1 || ci !== 1 || co % 16 !== 0 || kh * kw > 25 || sh !== 1 || sw !== 1) return null;
  if (pool !== null && !isPool2x2(pool)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], [sh, sw], 1, pad, undefined, false, 'channelsLast',
  );
  const [n, h, w] = xShape;
  return [n, h, w, info.outHeight, info.outWidth, co, kh, kw, info.padInfo.top, info.padInfo.left, pool === null ? 0 : 1, epilogue];
}

/**
 * The one-pass plan for a first convolution over images `xShape` ([n, h, w, 1]) with `filterShape`
 * ([kh, kw, 1, co]), its bias, ReLU and pooling, or null where the general kernels run (`geometryOf`).
 */
export function firstConv(xShape: readonly number[], filterShape: readonly number[], attrs: ConvReluAttrs, pool: FirstConvPool): FirstConv | null {
  const geometry = geometryOf(xShape, filterShape, attrs.strides, attrs.pad, pool, 1);
  if (geometry === null) return null;
  const [n, , , oh, ow, co] = geometry;
  return { geometry, yShape: [n, oh, ow, co], pooledShape: pool === null ? null : [n, Math.floor(oh / 2), Math.floor(ow / 2), co] };
}

/**
 * A plain convolution over one channel (Conv2D: the sum, no bias), as the GEMM over im2col gives
 * it, or null where geometryOf declines it. The output is the caller's.
 */
export function plainFirstConv(b: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, strides: number | [number, number], pad: tf.Conv2DAttrs['pad']): tf.TensorInfo | null {
  const geometry = geometryOf(x.shape, filter.shape, strides, pad, null, 0);
  if (geometry === null) return null;
  const [n, , , oh, ow, co] = geometry;
  const y = b.makeOutput([n, oh, ow, co], 'float32');
  if (n * oh * ow === 0) return y;
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  nativeAddon()!.conv1_forward(heapBuffer(b), at(x), at(filter), 0, at(y), 0, ...geometry);
  return y;
}

/**
 * Its filter's gradient from dy (Conv2DBackpropFilter), as the filter GEMM gives it, or null where
 * geometryOf declines it. The output is the caller's.
 */
export function plainFirstConvFilterGrad(
  b: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, filterShape: readonly number[], strides: number | [number, number], pad: tf.Conv2DAttrs['pad'],
): tf.TensorInfo | null {
  const geometry = geometryOf(x.shape, filterShape, strides, pad, null, 0);
  if (geometry === null) return null;
  const dw = b.makeOutput([...filterShape], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  nativeAddon()!.conv1_backward(heapBuffer(b), at(x), 0, at(dy), at(dw), 0, ...geometry);
  return dw;
}

/** [y, pooled]: relu(conv(x) + bias) and its pooling (y again where there is none). The outputs are the caller's. */
export function firstConvForward(b: BackendWasm, plan: FirstConv, x: tf.TensorInfo, filter: tf.TensorInfo, bias: tf.TensorInfo): [tf.TensorInfo, tf.TensorInfo] {
  const y = b.makeOutput(plan.yShape, 'float32');
  const pooled = plan.pooledShape === null ? y : b.makeOutput(plan.pooledShape, 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  // The buffer after the outputs are made: making them may grow the heap.
  nativeAddon()!.conv1_forward(
    heapBuffer(b), at(x), at(filter), at(bias), at(y), pooled === y ? 0 : at(pooled), ...plan.geometry,
  );
  return [y, pooled];
}

/** [dw, db] from the gradient at the pooling's output (or the convolution's, with no pooling). The outputs are the caller's. */
export function firstConvBackward(b: BackendWasm, plan: FirstConv, x: tf.TensorInfo, y: tf.TensorInfo, dpool: tf.TensorInfo): [tf.TensorInfo, tf.TensorInfo] {
  const [, , , , , co, kh, kw] = plan.geometry;
  const dw = b.makeOutput([kh, kw, 1, co], 'float32');
  const db = b.makeOutput([co], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  nativeAddon()!.conv1_backward(heapBuffer(b), at(x), at(y), at(dpool), at(dw), at(db), ...plan.geometry);
  return [dw, db];
}
