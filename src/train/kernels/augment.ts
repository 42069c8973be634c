// Why: augmenting a batch with tfjs ops takes a flip, a pad, a slice per image, a concat and a
// mask (~40 kernels and as many allocations for a batch of 32); as one pass over the batch in
// the backend's memory it is one kernel, and cheaper than gathering the batch.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs } from './wasm-kernel.js';

export const AUGMENT_KERNEL = 'SweepAugment';
/** int32s per image in the kernel's `params`: dy, dx, flip, then the erased rows y0…y1−1 and columns x0…x1−1. */
export const AUGMENT_PARAMS = 7;

function augmentWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, params } = args.inputs as { x: tf.TensorInfo; params: tf.TensorInfo };
  const [n, h, w, c] = x.shape;
  const out = backend.makeOutput([...x.shape], 'float32');
  // Views after makeOutput: growing the heap detaches older ones.
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const p = backend.typedArrayFromHeap(params) as Int32Array;
  const rowLen = w * c;
  for (let i = 0; i < n; i++) {
    const [dy, dx, flip, y0, x0, y1, x1] = p.subarray(i * AUGMENT_PARAMS, (i + 1) * AUGMENT_PARAMS);
    const image = i * h * rowLen;
    for (let y = 0; y < h; y++) {
      const o = image + y * rowLen;
      const sy = y - dy;
      if (sy < 0 || sy >= h) {
        dst.fill(0, o, o + rowLen);
        continue;
      }
      const s = image + sy * rowLen;
      // Output column xo reads flipped column xo − dx, that is source column xo − dx (or w−1−(xo − dx)).
      const lo = Math.max(0, dx);
      const hi = Math.min(w, w + dx);
      if (lo > 0) dst.fill(0, o, o + lo * c);
      if (hi < w) dst.fill(0, o + hi * c, o + rowLen);
      if (flip === 0) {
        dst.set(src.subarray(s + (lo - dx) * c, s + (hi - dx) * c), o + lo * c);
      } else {
        for (let xo = lo; xo < hi; xo++) {
          const sx = w - 1 - (xo - dx);
          for (let k = 0; k < c; k++) dst[o + xo * c + k] = src[s + sx * c + k];
        }
      }
      if (y >= y0 && y < y1) dst.fill(0, o + x0 * c, o + x1 * c);
    }
  }
  return out;
}

/** Registers the one-pass augmentation for backend 'wasm'. Idempotent. */
export function registerWasmAugment(): void {
  if (tf.getKernel(AUGMENT_KERNEL, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: AUGMENT_KERNEL, backendName: 'wasm', kernelFunc: augmentWasm });
  }
}
