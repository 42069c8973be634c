// Why: tfjs-core clones (the Identity kernel) every tensor a gradient keeps for the backward pass,
// and tfjs-backend-wasm 4.22's Identity copies the data: on a CNN step, four copies of each large
// activation (about 1.4 ms each for [128, 28, 28, 32]). The cpu and webgl backends share the data
// instead, counting references, and so does this: no kernel, ours or the backend's, writes into
// an input.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type KernelArgs, overrideWasmKernel } from './wasm-kernel.js';

let builtin: tf.KernelConfig | undefined;

function identityWasm(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return builtin!.kernelFunc(args) as tf.TensorInfo;
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Registers the sharing Identity for backend 'wasm' over the copying built-in. Idempotent. */
export function registerWasmIdentity(): void {
  builtin = overrideWasmKernel('Identity', identityWasm);
}
