// Why: a Dense layer in training is, on stock tfjs, a product, a broadcast bias add and an
// activation forward, then backward ReLU's gradient, each product behind a transpose, and the
// bias's Sum behind another transpose with its reshapes: about a dozen kernel calls per layer,
// each costing more in bookkeeping than a batch of 32 costs in arithmetic, and the broadcast add
// and Sum are slow loops on wasm. Here a layer is one kernel forward and one per gradient it
// needs (none for the images' own gradient), with the same float32 operations in the same order
// as the stock kernels, so training takes the same steps, bit for bit; except that where the
// engine has relaxed SIMD the products fuse their multiply-adds (productKernels), as the
// convolutions do: one rounding instead of two, 1.3-1.4x faster GEMMs.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { fullyConnected } from './matmul.js';
import { productKernels, simdKernels } from './simd.js';
import { heapOffset, type KernelArgs, runWasmKernel } from './wasm-kernel.js';

export const DENSE = 'SweepDense';
export const DENSE_GRAD_INPUT = 'SweepDenseGradInput';
export const DENSE_GRAD_KERNEL = 'SweepDenseGradKernel';
export const DENSE_GRAD_BIAS = 'SweepDenseGradBias';

/**
 * relu: y = relu(x·W + b), the sum rounded before the bias is added (tfjs's unfused path, which
 * it takes for relu while recording gradients). linear: y = x·W + b with the sums starting from
 * the bias (XNNPACK's fused product, which tfjs takes for linear); biasFirst says so.
 */
export type DenseAttrs = { activation: 'relu' | 'linear'; biasFirst: boolean };

type Inputs = Record<string, tf.TensorInfo | undefined>;

function denseWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = backend as BackendWasm;
  const { x, kernel, bias } = inputs as Inputs as { x: tf.TensorInfo; kernel: tf.TensorInfo; bias?: tf.TensorInfo };
  const { activation, biasFirst } = kernelAttrs<DenseAttrs>(attrs);
  const [m, k] = x.shape;
  const n = kernel.shape[1];
  const y = b.makeOutput([m, n], 'float32');
  const simd = productKernels(b)!;
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  const relu = activation === 'relu' ? 1 : 0;
  if (bias !== undefined && biasFirst) {
    simd.fill_rows(at(y), at(bias), m, n);
    simd.gemm(at(x), at(kernel), at(y), m, k, n, k, 1, 1);
    simd.dense_epilogue(at(y), 0, m, n, relu);
  } else {
    simd.gemm(at(x), at(kernel), at(y), m, k, n, k, 1, 0);
    simd.dense_epilogue(at(y), bias === undefined ? 0 : at(bias), m, n, relu);
  }
  return y;
}

/**
 * The gradient at the layer's pre-activation: dy where linear, dy·step(y) where relu (y > 0
 * exactly where the pre-activation is), as a temporary the caller frees, or dy itself.
 */
function preActivationGrad(b: BackendWasm, dy: tf.TensorInfo, y: tf.TensorInfo, activation: string): tf.TensorInfo {
  if (activation !== 'relu') return dy;
  const dz = b.makeOutput([...y.shape], 'float32');
  simdKernels(b)!.relu_grad(heapOffset(b, dy), heapOffset(b, y), heapOffset(b, dz), tf.util.sizeFromShape(y.shape));
  return dz;
}

/** Runs `compute` with dz (see preActivationGrad), then frees it if it was made for this. */
function withDz<T>(args: KernelArgs, compute: (b: BackendWasm, dz: tf.TensorInfo) => T): T {
  const b = args.backend as BackendWasm;
  const { dy, y } = args.inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const dz = preActivationGrad(b, dy, y, kernelAttrs<DenseAttrs>(args.attrs).activation);
  try {
    return compute(b, dz);
  } finally {
    if (dz !== dy) b.disposeData(dz.dataId);
  }
}

/** dW [k×n] = xᵀ·dz, x read in place as the transposed operand (tfjs transposes it, then multiplies: the same sums). */
function kernelGradWasm(args: KernelArgs): tf.TensorInfo {
  return withDz(args, (b, dz) => {
    const x = args.inputs.x as tf.TensorInfo;
    const [m, k] = x.shape;
    const n = dz.shape[1];
    const dw = b.makeOutput([k, n], 'float32');
    productKernels(b)!.gemm(heapOffset(b, x), heapOffset(b, dz), heapOffset(b, dw), k, m, n, 1, k, 0);
    return dw;
  });
}

/** db [n] = Σ over the batch of dz, rows in order. */
function biasGradWasm(args: KernelArgs): tf.TensorInfo {
  return withDz(args, (b, dz) => {
    const [m, n] = dz.shape;
    const db = b.makeOutput([n], 'float32');
    simdKernels(b)!.col_sums(heapOffset(b, dz), heapOffset(b, db), m, n);
    return db;
  });
}

/**
 * dx [m×k] = dz·Wᵀ, each sum over n in order. Wᵀ is made explicitly where it is the smaller
 * copy; otherwise dxᵀ = W·dzᵀ, then transposed (so only dz and dx are copied).
 */
function inputGradWasm(args: KernelArgs): tf.TensorInfo {
  return withDz(args, (b, dz) => {
    const kernel = args.inputs.kernel as tf.TensorInfo;
    const [k, n] = kernel.shape;
    const m = dz.shape[0];
    const simd = productKernels(b)!;
    const at = (t: tf.TensorInfo) => heapOffset(b, t);
    const transpose = (t: tf.TensorInfo) => runWasmKernel(b, 'Transpose', { x: t }, { perm: [1, 0] });
    if (k * n <= m * n + m * k) {
      const wt = transpose(kernel);
      const dx = b.makeOutput([m, k], 'float32');
      simd.gemm(at(dz), at(wt), at(dx), m, n, k, n, 1, 0);
      b.disposeData(wt.dataId);
      return dx;
    }
    const dzt = transpose(dz);
    const dxt = b.makeOutput([k, m], 'float32');
    simd.gemm(at(kernel), at(dzt), at(dxt), k, n, m, n, 1, 0);
    const dx = transpose(dxt);
    b.disposeData(dzt.dataId);
    b.disposeData(dxt.dataId);
    return dx;
  });
}

/**
 * What model.predict computes for a Dense layer on wasm, from x at byte `x` ([m×k], any place
 * in the backend's memory, a slice of a split included), as backend data the caller frees.
 * relu and linear: XNNPACK's fully connected operator, as tfjs runs those layers outside
 * training (fullyConnected: sums starting from the bias, unfused, then ReLU as its clamp,
 * x > 0 ? x : 0). 'product-then-bias': the product, then the bias added (a layer whose
 * activation tfjs applies apart, softmax). The same floats as predict, without the engine.
 */
export function denseInference(
  b: BackendWasm, x: number, m: number, kernel: tf.TensorInfo, bias: tf.TensorInfo | null, mode: 'relu' | 'linear' | 'product-then-bias',
): tf.TensorInfo {
  const [k, n] = kernel.shape;
  const y = b.makeOutput([m, n], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(b, t);
  const biasFirst = mode !== 'product-then-bias' && bias !== null;
  fullyConnected(b, x, at(kernel), biasFirst ? at(bias!) : null, at(y), m, k, n, mode === 'relu');
  if (mode === 'product-then-bias' && bias !== null) simdKernels(b)!.dense_epilogue(at(y), at(bias), m, n, 0);
  return y;
}

/** Whether `sweepDense` runs here: on wasm with sweep's SIMD kernels. */
export function denseKernelAvailable(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(DENSE, 'wasm') !== undefined && simdKernels(tf.backend() as BackendWasm) !== null;
}

/** The layer's output (see DenseAttrs) as one kernel, differentiable: one kernel per gradient, each only where needed. */
export function sweepDense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, attrs: DenseAttrs): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = bias === null ? { x, kernel } : { x, kernel, bias };
  return tf.engine().runKernel(DENSE, inputs, attrs) as tf.Tensor2D;
}

/** Registers the dense kernels (wasm) and the gradient of `sweepDense`. Idempotent. */
export function registerWasmDense(): void {
  if (tf.getKernel(DENSE, 'wasm') !== undefined) return;
  const kernels: [string, (args: KernelArgs) => tf.TensorInfo][] = [
    [DENSE, denseWasm], [DENSE_GRAD_INPUT, inputGradWasm], [DENSE_GRAD_KERNEL, kernelGradWasm], [DENSE_GRAD_BIAS, biasGradWasm],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  tf.registerGradient({
    kernelName: DENSE,
    inputsToSave: ['x', 'kernel'],
    outputsToSave: [true],
    // The engine calls only the thunks of inputs that lead to what is differentiated.
    gradFunc: (dy, saved, attrs) => {
      const [x, kernel, y] = saved;
      const run = (name: string, inputs: tf.NamedTensorMap) => () => tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
      return {
        x: run(DENSE_GRAD_INPUT, { dy: dy as tf.Tensor, y, kernel }),
        kernel: run(DENSE_GRAD_KERNEL, { dy: dy as tf.Tensor, y, x }),
        bias: run(DENSE_GRAD_BIAS, { dy: dy as tf.Tensor, y }),
      };
    },
  });
}
