// Why: tfjs's BatchNormalization in training mode is tf.moments (Means, a Sub, a Square,
// reshapes) and a batchNorm, and autodiff through them adds dozens more kernels: about 60
// kernels per layer per training step, many of them full passes over the activations (165 ms
// for a [32, 28, 28, 32] forward and backward on wasm). Here the forward pass is one kernel
// (3 passes over x) and the backward one (2 passes over x and dy), both in simd.wat: ~4 ms.
// Where the native addon loads, its bn_forward and bn_backward run instead (native.c): the same
// floats on 512- or 256-bit vectors, the block partials in registers. Timed alone on a
// [128, 28, 28, 32] batch, 1.4x the wasm kernels; in a training step, where their inputs come
// from memory rather than cache, both are bound by memory and the step gains 2% (speed.md).
// So a CNN block's batch norm, ReLU and 2×2 max pooling also run as one kernel each way
// (fusedBatchNormReluPool, natively): the two full-size activations between them are never
// written, and the backward pass recomputes them from x. On the batch-normalised CNN at batch
// 128 those three layers' six kernels took 14 of a 41-ms step; the two fused ones take 8.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { nativeAddon } from './native.js';
import { simdKernels, type SimdKernels } from './simd.js';
import { heapBuffer, heapOffset, type KernelArgs, overrideWasmKernel } from './wasm-kernel.js';

export const BN_TRAIN = 'SweepBatchNormTrain';
export const BN_GRAD = 'SweepBatchNormGrad';
export const BN_RELU_POOL = 'SweepBatchNormReluPool';
export const BN_RELU_POOL_GRAD = 'SweepBatchNormReluPoolGrad';

type BatchNormAttrs = { epsilon: number };

/** The SIMD kernels, or an error: the kernels are only reached where fusedBatchNorm saw them. */
function kernelsOf(backend: BackendWasm, name: string): SimdKernels {
  const simd = simdKernels(backend);
  if (simd === null) throw new Error(`${name}: this wasm backend's memory can't host sweep's SIMD kernels`);
  return simd;
}

/** [rows, channels] of a tensor normalised over its last axis. */
function dims(x: tf.TensorInfo): [number, number] {
  const c = x.shape[x.shape.length - 1] ?? 1;
  return [c === 0 ? 0 : tf.util.sizeFromShape(x.shape) / c, c];
}

/** inputs x [..., C], gamma [C], beta [C] → [y, mean [C], variance [C]]. */
function batchNormTrainWasm(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = kernelAttrs<BatchNormAttrs>(args.attrs);
  const native = nativeAddon();
  const simd = native === null ? kernelsOf(backend, BN_TRAIN) : null;
  const [m, c] = dims(x);
  const y = backend.makeOutput([...x.shape], 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  const tmp = backend.makeOutput([c], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  const operands = [at(x), at(gamma), at(beta), at(y), at(mean), at(variance), at(tmp), m, c, Math.fround(epsilon)] as const;
  if (c > 0) {
    if (native !== null) native.bn_forward(heapBuffer(backend), ...operands);
    else simd!.bn_forward(...operands);
  }
  backend.disposeData(tmp.dataId);
  return [y, mean, variance];
}

/** inputs dy, x, gamma, mean, variance → [dx, dgamma, dbeta]. */
function batchNormGradWasm(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { dy, x, gamma, mean, variance } = args.inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = kernelAttrs<BatchNormAttrs>(args.attrs);
  const native = nativeAddon();
  const simd = native === null ? kernelsOf(backend, BN_GRAD) : null;
  const [m, c] = dims(x);
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dgamma = backend.makeOutput([c], 'float32');
  const dbeta = backend.makeOutput([c], 'float32');
  const tmp = backend.makeOutput([2 * c], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  const operands = [at(dy), at(x), at(gamma), at(mean), at(variance), at(dx), at(dgamma), at(dbeta), at(tmp), m, c, Math.fround(epsilon)] as const;
  if (c > 0) {
    if (native !== null) native.bn_backward(heapBuffer(backend), ...operands);
    else simd!.bn_backward(...operands);
  }
  backend.disposeData(tmp.dataId);
  return [dx, dgamma, dbeta];
}

/** inputs x [n, h, w, c], gamma, beta → [max_pool(relu(batch_norm(x))), mean [c], variance [c]]; the addon's kernel. */
function batchNormReluPoolWasm(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = kernelAttrs<BatchNormAttrs>(args.attrs);
  const [n, h, w, c] = x.shape;
  const pooled = backend.makeOutput([n, Math.floor(h / 2), Math.floor(w / 2), c], 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  const tmp = backend.makeOutput([c], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  nativeAddon()!.bn_relu_pool_forward(heapBuffer(backend), at(x), at(gamma), at(beta), at(pooled), at(mean), at(variance), at(tmp), n, h, w, c, Math.fround(epsilon));
  backend.disposeData(tmp.dataId);
  return [pooled, mean, variance];
}

/** inputs dy (at the pooled output), x, gamma, beta, mean, variance → [dx, dgamma, dbeta]. */
function batchNormReluPoolGradWasm(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { dy, x, gamma, beta, mean, variance } = args.inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = kernelAttrs<BatchNormAttrs>(args.attrs);
  const [n, h, w, c] = x.shape;
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dgamma = backend.makeOutput([c], 'float32');
  const dbeta = backend.makeOutput([c], 'float32');
  const tmp = backend.makeOutput([5 * c + 2 * w * c], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  nativeAddon()!.bn_relu_pool_backward(
    heapBuffer(backend), at(dy), at(x), at(gamma), at(beta), at(mean), at(variance), at(dx), at(dgamma), at(dbeta), at(tmp),
    n, h, w, c, Math.fround(epsilon),
  );
  backend.disposeData(tmp.dataId);
  return [dx, dgamma, dbeta];
}

let builtinInference: tf.KernelConfig | undefined;

/**
 * FusedBatchNorm with given statistics (a batch-norm layer outside training: validation, the test
 * set, model.predict, precise BN's forward to a later layer): tfjs-backend-wasm's kernel is a
 * scalar loop that wraps four indices per float, half a batch-normalised CNN's validation (1.8 of
 * 3.5 s for 6,000 images). Natively where every parameter has the last axis' channels, with its
 * floats (its FusedBatchNorm.cc): t = (x − mean)·scale in float, then offset + t/√(variance + eps)
 * in double, the root taken in float; anything else, or without the addon, the built-in.
 */
function batchNormInferenceWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { varianceEpsilon } = kernelAttrs<{ varianceEpsilon: number }>(args.attrs);
  const native = nativeAddon();
  const [m, c] = x === undefined ? [0, 0] : dims(x);
  const params = [mean, variance, offset, scale];
  if (native === null || x === undefined || x.dtype !== 'float32' || c === 0
    || params.some((p) => p === undefined || p.dtype !== 'float32' || tf.util.sizeFromShape(p.shape) !== c)) {
    return builtinInference!.kernelFunc(args) as tf.TensorInfo;
  }
  const y = backend.makeOutput([...x.shape], 'float32');
  const norm = backend.makeOutput([4 * c], 'float32'); // √(variance + eps) and the offset, as doubles
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  native.bn_inference(heapBuffer(backend), at(x), at(mean!), at(variance!), at(offset!), at(scale!), at(y), at(norm), m, c, Math.fround(varianceEpsilon));
  backend.disposeData(norm.dataId);
  return y;
}

/** tfjs-backend-wasm's own FusedBatchNorm, which the native one must match (the tests' reference); undefined before registering. */
export function builtinBatchNormInference(): tf.KernelConfig | undefined {
  return builtinInference;
}

/**
 * Registers the fused batch-norm kernels for backend 'wasm' and the forward kernel's gradient
 * (which runs the backward kernel), and the native FusedBatchNorm over the built-in. Idempotent.
 */
export function registerWasmBatchNorm(): void {
  builtinInference = overrideWasmKernel('FusedBatchNorm', batchNormInferenceWasm);
  if (tf.getKernel(BN_TRAIN, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: BN_TRAIN, backendName: 'wasm', kernelFunc: batchNormTrainWasm });
  tf.registerKernel({ kernelName: BN_GRAD, backendName: 'wasm', kernelFunc: batchNormGradWasm });
  tf.registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      // Gradients reaching mean and variance are dropped: those outputs only feed the moving
      // averages, which are not differentiated.
      const dy = (dys as tf.Tensor[])[0];
      const [x, gamma, mean, variance] = saved;
      // One kernel gives all three; run it here, not in the thunks, which the engine runs one by
      // one in separate tidies (the outputs a thunk doesn't return would be disposed).
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_GRAD, { dy, x, gamma, mean, variance }, attrs) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
  tf.registerKernel({ kernelName: BN_RELU_POOL, backendName: 'wasm', kernelFunc: batchNormReluPoolWasm });
  tf.registerKernel({ kernelName: BN_RELU_POOL_GRAD, backendName: 'wasm', kernelFunc: batchNormReluPoolGradWasm });
  tf.registerGradient({
    kernelName: BN_RELU_POOL,
    inputsToSave: ['x', 'gamma', 'beta'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const dy = (dys as tf.Tensor[])[0];
      const [x, gamma, beta, mean, variance] = saved;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_RELU_POOL_GRAD, { dy, x, gamma, beta, mean, variance }, attrs) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}

/**
 * Batch norm over x's last axis with the batch's statistics, as [y, mean, variance] (the
 * biased variance, as tf.moments), in one kernel with a one-kernel gradient; null where the
 * current backend lacks it (then use tf.moments and tf.batchNorm).
 */
export function fusedBatchNorm(
  x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number,
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] | null {
  if (tf.getKernel(BN_TRAIN, tf.getBackend()) === undefined || simdKernels(tf.backend() as BackendWasm) === null) return null;
  const c = x.shape[x.rank - 1];
  if (x.rank < 1 || x.size === 0 || [x, gamma, beta].some((t) => t.dtype !== 'float32')) return null;
  if (!tf.util.arraysEqual(gamma.shape, [c]) || !tf.util.arraysEqual(beta.shape, [c])) return null;
  const attrs: BatchNormAttrs = { epsilon };
  return tf.engine().runKernel(BN_TRAIN, { x, gamma, beta }, attrs) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
}

/**
 * A CNN block's batch norm (the batch's statistics), ReLU and 2×2 max pooling at stride 2 over
 * x [n, h, w, c], as [pooled, mean, variance], in one kernel with a one-kernel gradient: the
 * floats of fusedBatchNorm, tf.relu and tf.maxPool in turn, and of their gradients, without
 * storing the two full-size activations between them. Null where it can't (no native addon, c
 * not a multiple of 16, a window-less x): then run the three.
 */
export function fusedBatchNormReluPool(
  x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number,
): [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D] | null {
  if (tf.getBackend() !== 'wasm' || tf.getKernel(BN_RELU_POOL, 'wasm') === undefined || nativeAddon() === null) return null;
  if (x.rank !== 4 || [x, gamma, beta].some((t) => t.dtype !== 'float32')) return null;
  const [n, h, w, c] = x.shape;
  if (n === 0 || h < 2 || w < 2 || c === 0 || c % 16 !== 0) return null;
  if (!tf.util.arraysEqual(gamma.shape, [c]) || !tf.util.arraysEqual(beta.shape, [c])) return null;
  const attrs: BatchNormAttrs = { epsilon };
  return tf.engine().runKernel(BN_RELU_POOL, { x, gamma, beta }, attrs) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
}
