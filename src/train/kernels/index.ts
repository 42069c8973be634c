import { registerWasmAdam } from './adam.js';
import { registerWasmAugment } from './augment.js';
import { registerWasmBatchNorm } from './batch-norm.js';
import { registerWasmConvGradients } from './conv-gradients.js';
import { registerWasmCrossEntropy } from './cross-entropy.js';
import { registerWasmGather } from './gather.js';
import { registerWasmMatMul } from './matmul.js';
import { registerWasmMaxPoolGrad } from './max-pool-grad.js';

/**
 * Registers sweep's kernels for backend 'wasm' on top of the built-in ones: the missing and
 * slow conv gradients, transposed matrix products on XNNPACK, a fused Adam update, a row-copying gather,
 * a one-pass MaxPoolGrad, a one-kernel sparse cross-entropy with its accuracy, and fused
 * training-mode batch norm with its gradient, and a one-pass augmentation of a batch. Idempotent.
 */
export function registerWasmKernels(): void {
  registerWasmConvGradients();
  registerWasmMatMul();
  registerWasmAdam();
  registerWasmGather();
  registerWasmMaxPoolGrad();
  registerWasmCrossEntropy();
  registerWasmBatchNorm();
  registerWasmAugment();
}
