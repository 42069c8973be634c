// Why: tfjs-backend-wasm 4.22 runs Conv2D on XNNPACK, which packs the filter into its own layout
// on every call (the weights change every step) and reached about 11–20 GFLOP/s here. im2col in
// chunks that stay in cache, then sweep's GEMM (simd.wat), is 15–25% faster on the notebook
// CNN's convolutions, and gives the same floats: both sum each output's products in the same
// order with no fused multiply-add (checked against the built-in on random inputs).
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { plainFirstConv } from './first-conv.js';
import { type ConvGeometry, productKernels } from './simd.js';
import { heapOffset, type KernelArgs, overrideWasmKernel } from './wasm-kernel.js';

let builtin: tf.KernelConfig | undefined;

/** Output positions per im2col chunk: about 128 KB of patches, so a chunk stays in cache while it is multiplied. */
export function im2colRows(k: number): number {
  return Math.max(4, Math.floor(32768 / k));
}

/** The im2col kernels' geometry of a convolution (NHWC, dilation 1), for `n` of its images (all by default). */
export function convGeometry(info: tf.backend_util.Conv2DInfo, n = info.batchSize): ConvGeometry {
  return [
    n, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
  ];
}

function conv2dWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = kernelAttrs<tf.Conv2DAttrs>(args.attrs);
  const simd = productKernels(backend);
  const dilated = (Array.isArray(dilations) ? dilations : [dilations, dilations]).some((d) => d !== 1);
  if (simd === null || dataFormat === 'NCHW' || dilated || x.dtype !== 'float32' || filter.dtype !== 'float32'
    || x.shape.length !== 4 || filter.shape.length !== 4 || filter.shape[3] % 4 !== 0) {
    return builtin!.kernelFunc(args) as tf.TensorInfo;
  }
  // One channel in (a CNN's first layer): taps read in place, no im2col (first-conv.ts).
  const direct = plainFirstConv(backend, x, filter, strides, pad);
  if (direct !== null) return direct;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, 'channelsLast',
  );
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const rows = im2colRows(k);
  const y = backend.makeOutput(info.outShape, 'float32');
  if (tf.util.sizeFromShape(info.outShape) === 0) return y;
  const col = backend.makeOutput([rows * k], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  simd.conv_forward(at(x), at(filter), at(y), at(col), rows, ...convGeometry(info));
  backend.disposeData(col.dataId);
  return y;
}

/** Registers the im2col Conv2D for backend 'wasm' over the built-in one. Idempotent. */
export function registerWasmConv2D(): void {
  builtin = overrideWasmKernel('Conv2D', conv2dWasm);
}
