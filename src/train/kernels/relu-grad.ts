// Why: tfjs differentiates ReLU as dy·cast(step(x)): three kernels, three full passes over the
// activation and two temporaries ([128, 28, 28, 32]: about 8 ms a step on wasm). Here it is one
// pass (relu_grad in simd.wat) with the same float32 result; other backends keep tfjs's ops.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernels } from './simd.js';
import { heapOffset, type KernelArgs } from './wasm-kernel.js';

export const RELU_GRAD = 'SweepReluGrad';

function reluGradWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const dx = backend.makeOutput([...x.shape], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  simdKernels(backend)!.relu_grad(at(dy), at(x), at(dx), tf.util.sizeFromShape(x.shape));
  return dx;
}

/** Whether this gradient can run as the one kernel: on wasm, with its SIMD kernels, on float32. */
function fused(dy: tf.Tensor, x: tf.Tensor): boolean {
  const backend = tf.backend() as BackendWasm;
  return tf.getBackend() === 'wasm' && x.dtype === 'float32' && dy.dtype === 'float32' && simdKernels(backend) !== null;
}

/** Registers the one-pass ReLU gradient (wasm) and ReLU's gradient that uses it. Idempotent. */
export function registerWasmReluGrad(): void {
  if (tf.getKernel(RELU_GRAD, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGradWasm });
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const d = dy as tf.Tensor;
      return {
        x: () => (fused(d, x)
          ? tf.engine().runKernel(RELU_GRAD, { dy: d, x }) as tf.Tensor
          : tf.mul(d, tf.cast(tf.step(x), 'float32'))),
      };
    },
  });
}
