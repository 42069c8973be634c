// Why: tfjs-backend-wasm 4.22 runs BatchMatMul on XNNPACK (15–30 GFLOP/s here) only when neither
// operand is transposed; any transposed product goes to a naive C loop (~2 GFLOP/s). A training
// step's backward pass is made of transposed products (dW = xᵀ·dy, dx = dy·Wᵀ), so they dominated
// the step. This kernel materialises the transpose (a cheap copy) and runs the XNNPACK path.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { nativeAddon } from './native.js';
import { simdKernels } from './simd.js';
import { heapBuffer, heapOffset, type KernelArgs, overrideWasmKernel, runWasmKernel } from './wasm-kernel.js';

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

/**
 * c (+)= a·b by the exact GEMM, each product rounded, then added (simd.wat's gemm in its exact
 * build, XNNPACK's floats as tfjs-backend-wasm builds it): the native addon's gemm_exact where it
 * loads, the same floats, else simd.wat's. Operands are byte offsets into the backend's memory,
 * a's rows sai floats apart and its products' terms sap apart.
 */
function exactGemm(
  backend: BackendWasm, a: number, b: number, c: number, m: number, k: number, n: number, sai: number, sap: number, accumulate: boolean,
): void {
  const native = nativeAddon();
  if (native !== null) native.gemm_exact(heapBuffer(backend), a, b, c, m, k, n, sai, sap, accumulate ? 1 : 0);
  else simdKernels(backend)!.gemm(a, b, c, m, k, n, sai, sap, accumulate ? 1 : 0);
}

/**
 * Rows of b per pass of simd.wat's exact GEMM below: 128 rows of up to a few hundred floats stay
 * in cache while every row of a passes. The native GEMM takes the whole sum: it makes its own panels.
 */
const K_CHUNK = 128;

/**
 * c = a·b [+ bias] by exactGemm, on wasm over k in chunks (each sum still runs over k in order,
 * from the stored partial): the sums start from the bias where there is one (XNNPACK's fully connected
 * operator, and a Dense layer in model.predict), else from 0; then XNNPACK's clamp to [0, ∞)
 * where relu (x > 0 ? x : 0). c is [m × n] at byte `c`; k > 0.
 */
export function fullyConnected(
  backend: BackendWasm, a: number, b: number, bias: number | null, c: number, m: number, k: number, n: number, relu: boolean,
): void {
  const simd = simdKernels(backend)!;
  if (bias !== null) simd.fill_rows(c, bias, m, n);
  const chunk = nativeAddon() === null ? K_CHUNK : k;
  for (let p = 0; p < k; p += chunk) {
    exactGemm(backend, a + 4 * p, b + 4 * p * n, c, m, Math.min(chunk, k - p), n, k, 1, bias !== null || p > 0);
  }
  if (relu) simd.dense_epilogue(c, 0, m, n, 2);
}

/**
 * _FusedMatMul as a Dense layer runs it outside training (validation, model.predict, precise BN's
 * forward): tfjs-backend-wasm 4.22 hands it to XNNPACK's fully connected operator, which ran the
 * batch-normalised CNN's 3,136 → 256 layer at 14 GFLOP/s in validation. For that kind of call (a
 * [1, m, k] by a [1, k, n], neither transposed, linear or relu, a bias of n or none) the same
 * floats by fullyConnected; anything else the built-in.
 */
function fusedMatMulWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { a, b, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const bias = args.inputs.bias ?? undefined; // absent, undefined or null: none
  const { transposeA, transposeB, activation } = kernelAttrs<{ transposeA: boolean; transposeB: boolean; activation?: string }>(args.attrs);
  const act = activation ?? 'linear';
  if (a === undefined || b === undefined || transposeA || transposeB || preluActivationWeights != null || (act !== 'linear' && act !== 'relu')
    || a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== 1 || b.shape[0] !== 1 || a.shape[2] !== b.shape[1] || a.shape[2] === 0
    || [a, b, bias].some((t) => t !== undefined && t.dtype !== 'float32') || simdKernels(backend) === null) {
    return builtinFusedMatMul!.kernelFunc(args) as tf.TensorInfo;
  }
  const [m, k, n] = [a.shape[1], a.shape[2], b.shape[2]];
  if (bias !== undefined && tf.util.sizeFromShape(bias.shape) !== n) return builtinFusedMatMul!.kernelFunc(args) as tf.TensorInfo;
  const out = backend.makeOutput([1, m, n], 'float32');
  if (m * n === 0) return out;
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  fullyConnected(backend, at(a), at(b), bias === undefined ? null : at(bias), at(out), m, k, n, act === 'relu');
  return out;
}

let builtinFusedMatMul: tf.KernelConfig | undefined;

/** tfjs-backend-wasm's own _FusedMatMul (XNNPACK's), which fusedMatMulWasm must match (the tests' reference); undefined before registering. */
export function builtinFusedMatMulKernel(): tf.KernelConfig | undefined {
  return builtinFusedMatMul;
}

/** Registers the transposing BatchMatMul and the Dense layer's _FusedMatMul for backend 'wasm' over the built-in ones. Idempotent. */
export function registerWasmMatMul(): void {
  builtinMatMul = overrideWasmKernel('BatchMatMul', batchMatMulWasm);
  builtinFusedMatMul = overrideWasmKernel('_FusedMatMul', fusedMatMulWasm);
}
