// Why: XNNPACK's MaxPool (tfjs-backend-wasm 4.22) took 3.0 ms on the batch-normalised CNN's
// 128×28×28×32 activation at batch 128, about twice what one pass over it costs. For the CNNs'
// pooling (2×2 at stride 2, without padding, channels in multiples of 16) the native addon's
// max_pool_2x2 runs instead, with XNNPACK's floats (its maximum's order of comparisons, found
// against tf.maxPool with ±0, ±∞ and NaN: conv-relu.test.ts, max-pool.test.ts); anything else,
// or without the addon, the built-in.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { nativeAddon } from './native.js';
import { heapBuffer, heapOffset, type KernelArgs, overrideWasmKernel } from './wasm-kernel.js';

let builtin: tf.KernelConfig | undefined;

function maxPoolWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = kernelAttrs<tf.MaxPoolAttrs>(args.attrs);
  if (x.dtype === 'float32' && x.shape.length === 4) {
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    if (nativePooling(info)) {
      const y = backend.makeOutput(info.outShape, 'float32');
      if (tf.util.sizeFromShape(info.outShape) > 0) {
        nativeAddon()!.max_pool_2x2(
          heapBuffer(backend), heapOffset(backend, x), heapOffset(backend, y),
          info.batchSize, info.inHeight, info.inWidth, info.inChannels,
        );
      }
      return y;
    }
  }
  return builtin!.kernelFunc(args) as tf.TensorInfo;
}

/** 2×2 windows at stride 2 without padding: the CNNs' pooling, as a layer's attributes give it. */
export function isPool2x2(pool: { filterSize: readonly number[]; strides: readonly number[]; pad: string } | null): boolean {
  return pool !== null && pool.pad === 'valid' && pool.filterSize.every((s) => s === 2) && pool.strides.every((s) => s === 2);
}

/**
 * Whether the native addon's pooling kernels take this pooling (MaxPool, MaxPoolGrad, and their
 * fusions): 2×2 windows at stride 2 without padding over channels in sixteens, the addon loaded.
 */
export function nativePooling(info: tf.backend_util.Conv2DInfo): boolean {
  const { padInfo: p } = info;
  return nativeAddon() !== null && info.inChannels > 0 && info.inChannels % 16 === 0
    && info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2
    && p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0;
}

/** XNNPACK's own MaxPool, which this one must match (the tests' reference); undefined before registering. */
export function builtinMaxPool(): tf.KernelConfig | undefined {
  return builtin;
}

/** Registers the native 2×2 MaxPool for backend 'wasm' over the built-in one, which stays the fallback. Idempotent. */
export function registerWasmMaxPool(): void {
  builtin = overrideWasmKernel('MaxPool', maxPoolWasm);
}
