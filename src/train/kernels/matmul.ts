// Why: tfjs-backend-wasm 4.22 runs BatchMatMul on XNNPACK (15–30 GFLOP/s here) only when neither
// operand is transposed; any transposed product goes to a naive C loop (~2 GFLOP/s). A training
// step's backward pass is made of transposed products (dW = xᵀ·dy, dx = dy·Wᵀ), so they dominated
// the step. This kernel materialises the transpose (a cheap copy) and runs the XNNPACK path.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { simdKernels } from './simd.js';
import { heapOffset, type KernelArgs, overrideWasmKernel, runWasmKernel } from './wasm-kernel.js';

let builtinMatMul: tf.KernelConfig | undefined;

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** A 2-D view of a [1, r, c] or [r, c] tensor (same data). */
function view(t: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  return { dataId: t.dataId, shape: [rows, cols], dtype: t.dtype };
}

function matMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return builtinMatMul!.kernelFunc({
    inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
}

function transpose(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  return runWasmKernel(backend, 'Transpose', { x }, { perm: [1, 0] });
}

function batchMatMulWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = kernelAttrs<tf.BatchMatMulAttrs>(args.attrs);
  const [ar, br] = [a.shape.length, b.shape.length];
  // Batched products keep the built-in path.
  if (size(a.shape.slice(0, -2)) !== 1 || size(b.shape.slice(0, -2)) !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return builtinMatMul!.kernelFunc(args) as tf.TensorInfo;
  }
  if (!transposeA && !transposeB) return untransposed(args, backend, a, b);
  const [a0, a1] = [a.shape[ar - 2], a.shape[ar - 1]];
  const [b0, b1] = [b.shape[br - 2], b.shape[br - 1]];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const n = transposeB ? b0 : b1;
  if (k !== (transposeB ? b1 : b0)) return builtinMatMul!.kernelFunc(args) as tf.TensorInfo; // its error message
  const outShape = [...(ar >= br ? a.shape : b.shape).slice(0, -2), m, n];
  const temps: tf.TensorInfo[] = [];
  const keep = <T extends tf.TensorInfo>(t: T) => (temps.push(t), t);
  let out: tf.TensorInfo;
  if (transposeA && transposeB) {
    // aᵀ·bᵀ = (b·a)ᵀ
    out = transpose(backend, keep(matMul(backend, view(b, n, k), view(a, k, m))));
  } else if (transposeA) {
    out = matMul(backend, keep(transpose(backend, view(a, k, m))), view(b, k, n));
  } else if (2 * n * k <= 2 * m * k + m * n) {
    // a·bᵀ with the transposed b as XNNPACK's packed weights: cheaper when b is the smaller.
    out = matMul(backend, view(a, m, k), keep(transpose(backend, view(b, n, k))));
  } else {
    // a·bᵀ = (b·aᵀ)ᵀ: transposes and packs only a (dx = dy·Wᵀ with a small batch).
    out = transpose(backend, keep(matMul(backend, view(b, n, k), keep(transpose(backend, view(a, m, k))))));
  }
  for (const t of temps) backend.disposeData(t.dataId);
  out.shape = outShape;
  return out;
}

/** a·b: sweep's GEMM (no packing) where the width allows, else XNNPACK. */
function untransposed(args: KernelArgs, backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const [ar, br] = [a.shape.length, b.shape.length];
  const [m, k, n] = [a.shape[ar - 2], a.shape[ar - 1], b.shape[br - 1]];
  const simd = simdKernels(backend);
  if (simd === null || n % 4 !== 0 || k !== b.shape[br - 2] || m * k * n === 0) {
    return builtinMatMul!.kernelFunc(args) as tf.TensorInfo;
  }
  const out = backend.makeOutput([...(ar >= br ? a.shape : b.shape).slice(0, -2), m, n], 'float32');
  simd.gemm(heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out), m, k, n, k, 1, 0);
  return out;
}

/** Registers the transposing BatchMatMul for backend 'wasm' over the built-in one. Idempotent. */
export function registerWasmMatMul(): void {
  builtinMatMul = overrideWasmKernel('BatchMatMul', batchMatMulWasm);
}
