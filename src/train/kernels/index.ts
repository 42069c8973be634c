import { registerWasmAdam } from './adam.js';
import { registerWasmAugment } from './augment.js';
import { registerWasmBatchNorm } from './batch-norm.js';
import { registerWasmConv2D } from './conv2d.js';
import { registerWasmConvGradients } from './conv-gradients.js';
import { registerWasmConvRelu } from './conv-relu.js';
import { registerWasmCrossEntropy } from './cross-entropy.js';
import { registerWasmDense } from './dense.js';
import { registerWasmGather } from './gather.js';
import { registerWasmIdentity } from './identity.js';
import { registerWasmMatMul } from './matmul.js';
import { registerWasmMaxPool } from './max-pool.js';
import { registerWasmMaxPoolGrad } from './max-pool-grad.js';
import { registerWasmReluGrad } from './relu-grad.js';
import { registerWasmSoftmaxGrad } from './softmax-grad.js';
import { registerWasmSum } from './sum.js';

/**
 * Registers sweep's kernels for backend 'wasm' on top of the built-in ones: an im2col Conv2D on
 * sweep's GEMM, a convolution with its bias and ReLU as one kernel, the missing and slow conv gradients, transposed matrix products on XNNPACK,
 * a Dense layer's fused product outside training on the exact GEMM, a fused Adam update, a row-copying gather,
 * a native 2×2 MaxPool and a one-pass MaxPoolGrad, a one-kernel sparse cross-entropy with its accuracy, fused
 * training-mode batch norm with its gradient and a native inference batch norm, a one-pass augmentation of a batch, ReLU's gradient
 * in one pass, an Identity that shares its input's data instead of copying it, dense layers
 * as one kernel forward and one per gradient, softmax's gradient in one kernel, and
 * sums over leading axes (a bias's gradient) without a transpose. Idempotent.
 */
export function registerWasmKernels(): void {
  registerWasmConv2D();
  registerWasmConvGradients();
  registerWasmConvRelu();
  registerWasmMatMul();
  registerWasmAdam();
  registerWasmGather();
  registerWasmMaxPool();
  registerWasmMaxPoolGrad();
  registerWasmCrossEntropy();
  registerWasmBatchNorm();
  registerWasmAugment();
  registerWasmReluGrad();
  registerWasmIdentity();
  registerWasmDense();
  registerWasmSoftmaxGrad();
  registerWasmSum();
}
