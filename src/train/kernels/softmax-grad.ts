// Why: tfjs differentiates softmax as dy·y − Σ(dy·y)·y: four kernels (Multiply, Sum, Multiply,
// Sub) per step for the output layer, each costing more in bookkeeping than its 320 numbers at
// batch 32. Here it is one, with the same float32 operations in the same order; other backends
// keep tfjs's ops.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { type KernelArgs, onHeap } from './wasm-kernel.js';

export const SOFTMAX_GRAD = 'SweepSoftmaxGrad';
const f = Math.fround;

/** Over the last axis: t = dy·y; s = Σ t from 0, in order (tfjs's Sum); dx = t − s·y. */
function softmaxGradWasm({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const classes = y.shape[y.shape.length - 1];
  return onHeap(backend as BackendWasm, y.shape, [dy, y], ([d, p], dx) => {
    for (let row = 0; row < dx.length; row += classes) {
      let s = 0;
      for (let j = row; j < row + classes; j++) s = f(s + f(d[j] * p[j]));
      for (let j = row; j < row + classes; j++) dx[j] = f(f(d[j] * p[j]) - f(s * p[j]));
    }
  });
}

/** Registers the one-kernel softmax gradient (wasm, last axis) and Softmax's gradient that uses it. Idempotent. */
export function registerWasmSoftmaxGrad(): void {
  if (tf.getKernel(SOFTMAX_GRAD, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: SOFTMAX_GRAD, backendName: 'wasm', kernelFunc: softmaxGradWasm });
  tf.registerGradient({
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved;
      const d = dy as tf.Tensor;
      const { dim } = kernelAttrs<tf.SoftmaxAttrs>(attrs);
      const lastAxis = dim === -1 || dim === y.rank - 1;
      if (tf.getBackend() === 'wasm' && lastAxis && y.dtype === 'float32' && d.dtype === 'float32') {
        return { logits: () => tf.engine().runKernel(SOFTMAX_GRAD, { dy: d, y }) as tf.Tensor };
      }
      // tfjs's own gradient (tfjs-core's Softmax_grad).
      const dyTimesY = tf.mul(d, y);
      return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
    },
  });
}
