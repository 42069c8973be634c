// Why: tfjs-backend-wasm 4.22's MaxPoolGrad, for every input pixel, rescans every window that
// covers it: ~10 ms per call on a 32×28×28×32 batch, more than the convolutions around it.
// This one finds each window's maximum once and adds its gradient there: for the CNNs' 2×2
// windows with channels in sixteens, natively (native.c's max_pool_grad_2x2); else in SIMD, 4
// channels at a time (max_pool_grad in simd.wat), where the channels come in fours, else in
// JavaScript. All give the same floats.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { nativePooling } from './max-pool.js';
import { nativeAddon } from './native.js';
import { simdKernels } from './simd.js';
import { heapBuffer, heapOffset, type KernelArgs, onHeap, overrideWasmKernel } from './wasm-kernel.js';

let best = new Float32Array(0);
let where = new Int32Array(0);

/**
 * dx for max pooling, NHWC: each window's gradient goes to its first maximum in row-major
 * order (tfjs's rule, so ties resolve as on the cpu backend); padding never wins.
 */
export function maxPoolGradValues(x: Float32Array, dy: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: SH, strideWidth: SW, filterHeight: KH, filterWidth: KW } = info;
  const { top: PT, left: PL } = info.padInfo;
  if (best.length < C) {
    best = new Float32Array(C);
    where = new Int32Array(C);
  }
  dx.fill(0);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(0, oh * SH - PT);
      const h1 = Math.min(H, oh * SH - PT + KH);
      for (let ow = 0; ow < OW; ow++, o += C) {
        const w0 = Math.max(0, ow * SW - PL);
        const w1 = Math.min(W, ow * SW - PL + KW);
        best.fill(-Infinity, 0, C);
        where.fill(-1, 0, C);
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const base = ((n * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        for (let c = 0; c < C; c++) if (where[c] >= 0) dx[where[c]] += dy[o + c];
      }
    }
  }
}

function maxPoolGradWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = kernelAttrs<tf.MaxPoolGradAttrs>(args.attrs);
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode,
  );
  // The CNNs' 2×2 windows, channels in sixteens: natively (native.c's max_pool_grad_2x2), the same floats.
  if (input.dtype === 'float32' && dy.dtype === 'float32' && nativePooling(info)) {
    const dx = backend.makeOutput([...input.shape], 'float32');
    if (tf.util.sizeFromShape(input.shape) > 0) {
      nativeAddon()!.max_pool_grad_2x2(
        heapBuffer(backend), heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx), 0,
        info.batchSize, info.inHeight, info.inWidth, info.inChannels, 1,
      );
    }
    return dx;
  }
  const simd = simdKernels(backend);
  if (simd !== null && info.inChannels % 4 === 0 && input.dtype === 'float32' && dy.dtype === 'float32') {
    const dx = backend.makeOutput([...input.shape], 'float32');
    const at = (t: tf.TensorInfo) => heapOffset(backend, t);
    simd.max_pool_grad(
      at(input), at(dy), at(dx), info.batchSize, info.inHeight, info.inWidth, info.inChannels,
      info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.filterHeight, info.filterWidth,
      info.padInfo.top, info.padInfo.left,
    );
    return dx;
  }
  return onHeap(backend, input.shape, [input, dy], ([x, dyv], dx) => maxPoolGradValues(x, dyv, dx, info));
}

/** Registers the one-pass MaxPoolGrad for backend 'wasm' over the built-in one. Idempotent. */
export function registerWasmMaxPoolGrad(): void {
  overrideWasmKernel('MaxPoolGrad', maxPoolGradWasm);
}
