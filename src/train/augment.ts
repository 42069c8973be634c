import * as tf from '@tensorflow/tfjs';
import { AUGMENT_KERNEL, AUGMENT_PARAMS } from './kernels/augment.js';
import type { Augmentation } from '../spec/hyperparameters.js';

export { AUGMENT_PARAMS };

const SHIFT = 2; // pixels, each way
// Random erasing as torchvision's RandomErasing has it by default (Zhong et al. 2017):
// with probability ½, a rectangle of 2–33% of the image, aspect ratio 0.3–3.3 (log-uniform), zeroed.
const ERASE_P = 0.5;
const ERASE_SCALE = [0.02, 0.33] as const;
const ERASE_RATIO = [0.3, 3.3] as const;
const ERASE_ATTEMPTS = 10;

/** The augmentations a configuration's `augment` names (none: []). */
export function augmentations(augment: string): Augmentation[] {
  return augment === 'none' ? [] : (augment.split('+') as Augmentation[]);
}

// A counter-based generator (lowbias32, by Chris Wellons): a sample's draws are a pure function of
// (seed, epoch, its place in the epoch, which draw), so augmenting needs no state to save, and a
// trial resumed anywhere — between epochs or mid-epoch — augments every later image as before.
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function uniform(seed: number, epoch: number, position: number, draw: number): number {
  return mix(mix(mix(mix(seed) ^ epoch) ^ position) ^ draw) / 2 ** 32;
}

/**
 * Each sample's augmentation for positions `start … start + count − 1` of an epoch's order:
 * int32 rows of AUGMENT_PARAMS numbers (dy, dx, flip, and the erased rectangle's rows
 * y0…y1−1 and columns x0…x1−1, empty where none), for images of `height`×`width`.
 */
export function augmentParams(
  kinds: readonly Augmentation[], seed: number, epoch: number, start: number, count: number, height: number, width: number,
): Int32Array {
  const out = new Int32Array(count * AUGMENT_PARAMS);
  for (let i = 0; i < count; i++) {
    const draw = (k: number) => uniform(seed, epoch, start + i, k);
    const p = out.subarray(i * AUGMENT_PARAMS, (i + 1) * AUGMENT_PARAMS);
    if (kinds.includes('shift')) {
      p[0] = Math.floor(draw(0) * (2 * SHIFT + 1)) - SHIFT;
      p[1] = Math.floor(draw(1) * (2 * SHIFT + 1)) - SHIFT;
    }
    if (kinds.includes('flip')) p[2] = draw(2) < 0.5 ? 1 : 0;
    if (kinds.includes('erase') && draw(3) < ERASE_P) {
      const area = height * width;
      for (let a = 0; a < ERASE_ATTEMPTS; a++) {
        const target = area * (ERASE_SCALE[0] + draw(4 + 4 * a) * (ERASE_SCALE[1] - ERASE_SCALE[0]));
        const ratio = Math.exp(Math.log(ERASE_RATIO[0]) + draw(5 + 4 * a) * (Math.log(ERASE_RATIO[1]) - Math.log(ERASE_RATIO[0])));
        const h = Math.round(Math.sqrt(target * ratio));
        const w = Math.round(Math.sqrt(target / ratio));
        if (h < 1 || w < 1 || h >= height || w >= width) continue;
        const y0 = Math.floor(draw(6 + 4 * a) * (height - h + 1));
        const x0 = Math.floor(draw(7 + 4 * a) * (width - w + 1));
        p.set([y0, x0, y0 + h, x0 + w], 3);
        break;
      }
    }
  }
  return out;
}

/**
 * A batch of images [n, h, w, c] augmented by per-sample `params` (from augmentParams): each
 * image flipped left–right where asked, then moved dy rows down and dx columns right (what
 * moves in is 0), then its rectangle zeroed. One kernel where the backend has it (wasm), else
 * the same with tfjs ops.
 */
export function augmentBatch(x: tf.Tensor4D, params: Int32Array): tf.Tensor4D {
  const p = tf.tensor2d(params, [x.shape[0], AUGMENT_PARAMS], 'int32');
  try {
    if (tf.getKernel(AUGMENT_KERNEL, tf.getBackend()) !== undefined) {
      return tf.engine().runKernel(AUGMENT_KERNEL, { x, params: p }) as tf.Tensor4D;
    }
    return augmentWithOps(x, params);
  } finally {
    p.dispose();
  }
}

/** augmentBatch in plain tfjs ops, for any backend: the reference the kernel is tested against. */
export function augmentWithOps(x: tf.Tensor4D, params: Int32Array): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    const row = (i: number) => params.subarray(i * AUGMENT_PARAMS, (i + 1) * AUGMENT_PARAMS);
    const flips = tf.tensor4d(Array.from({ length: n }, (_, i) => row(i)[2]), [n, 1, 1, 1], 'int32').cast('bool');
    const flipped = tf.where(tf.broadcastTo(flips, x.shape), tf.reverse(x, 2), x);
    const padded = tf.pad(flipped, [[0, 0], [SHIFT, SHIFT], [SHIFT, SHIFT], [0, 0]]);
    const shifted = tf.concat(Array.from({ length: n }, (_, i) =>
      tf.slice(padded, [i, SHIFT - row(i)[0], SHIFT - row(i)[1], 0], [1, h, w, c])), 0);
    const keep = new Float32Array(n * h * w).fill(1);
    for (let i = 0; i < n; i++) {
      const [, , , y0, x0, y1, x1] = row(i);
      for (let y = y0; y < y1; y++) keep.fill(0, (i * h + y) * w + x0, (i * h + y) * w + x1);
    }
    return tf.mul(shifted, tf.tensor4d(keep, [n, h, w, 1])) as tf.Tensor4D;
  });
}
