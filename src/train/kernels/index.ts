import { registerWasmAdam } from './adam.js';
import { registerWasmConvGradients } from './conv-gradients.js';
import { registerWasmGather } from './gather.js';
import { registerWasmMatMul } from './matmul.js';
import { registerWasmMaxPoolGrad } from './max-pool-grad.js';

/**
 * Registers sweep's kernels for backend 'wasm' on top of the built-in ones: the missing and
 * slow conv gradients, transposed matrix products on XNNPACK, a fused Adam update, a row-copying gather
 * and a one-pass MaxPoolGrad. Idempotent.
 */
export function registerWasmKernels(): void {
  registerWasmConvGradients();
  registerWasmMatMul();
  registerWasmAdam();
  registerWasmGather();
  registerWasmMaxPoolGrad();
}
