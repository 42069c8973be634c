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
import { wasmMemory } from '../tfjs-internals.js';
import type { ConvReluAttrs } from './conv-relu.js';
import { fusedMultiplyAdd } from './fma.js';
import { type Conv1Geometry, nativeAddon } from './native.js';
import { heapOffset } from './wasm-kernel.js';

/** 2×2 max pooling at stride 2 without padding, or none. */
export type FirstConvPool = { filterSize: [number, number]; strides: [number, number]; pad: 'valid' } | null;

/** The first layer's shapes, where the one-pass kernels take it. */
export type FirstConv = { geometry: Conv1Geometry; yShape: number[]; pooledShape: number[] | null };

/**
 * The one-pass plan for a first convolution over images `xShape` ([n, h, w, 1]) with `filterShape`
 * ([kh, kw, 1, co]), or null where the general kernels run: off the native addon, where training
 * does not use fused multiply-adds (the convolution's floats would differ), for more than one
 * input channel, a stride other than 1, more than 25 taps, filters not a multiple of 16, or
 * pooling other than 2×2 at stride 2.
 */
export function firstConv(xShape: readonly number[], filterShape: readonly number[], attrs: ConvReluAttrs, pool: FirstConvPool): FirstConv | null {
  if (nativeAddon() === null || !fusedMultiplyAdd()) return null;
  const [kh, kw, ci, co] = filterShape;
  if (xShape.length !== 4 || xShape[3] !== 1 || ci !== 1 || co % 16 !== 0 || kh * kw > 25) return null;
  if (attrs.strides[0] !== 1 || attrs.strides[1] !== 1) return null;
  if (pool !== null && (pool.filterSize.some((s) => s !== 2) || pool.strides.some((s) => s !== 2) || pool.pad !== 'valid')) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], attrs.strides, 1, attrs.pad, undefined, false, 'channelsLast',
  );
  const [n, h, w] = xShape;
  const { outHeight: oh, outWidth: ow } = info;
  return {
    geometry: [n, h, w, oh, ow, co, kh, kw, info.padInfo.top, info.padInfo.left, pool === null ? 0 : 1],
    yShape: [n, oh, ow, co],
    pooledShape: pool === null ? null : [n, Math.floor(oh / 2), Math.floor(ow / 2), co],
  };
}

/** [y, pooled]: relu(conv(x) + bias) and its pooling (y again where there is none). The outputs are the caller's. */
export function firstConvForward(b: BackendWasm, plan: FirstConv, x: tf.TensorInfo, filter: tf.TensorInfo, bias: tf.TensorInfo): [tf.TensorInfo, tf.TensorInfo] {
  const y = b.makeOutput(plan.yShape, 'float32');
  const pooled = plan.pooledShape === null ? y : b.makeOutput(plan.pooledShape, 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  // The buffer after the outputs are made: making them may grow the heap.
  nativeAddon()!.conv1_forward(
    (wasmMemory(b) as WebAssembly.Memory).buffer as ArrayBuffer, at(x), at(filter), at(bias), at(y), pooled === y ? 0 : at(pooled), ...plan.geometry,
  );
  return [y, pooled];
}

/** [dw, db] from the gradient at the pooling's output (or the convolution's, with no pooling). The outputs are the caller's. */
export function firstConvBackward(b: BackendWasm, plan: FirstConv, x: tf.TensorInfo, y: tf.TensorInfo, dpool: tf.TensorInfo): [tf.TensorInfo, tf.TensorInfo] {
  const [, , , , , co, kh, kw] = plan.geometry;
  const dw = b.makeOutput([kh, kw, 1, co], 'float32');
  const db = b.makeOutput([co], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  nativeAddon()!.conv1_backward((wasmMemory(b) as WebAssembly.Memory).buffer as ArrayBuffer, at(x), at(y), at(dpool), at(dw), at(db), ...plan.geometry);
  return [dw, db];
}
