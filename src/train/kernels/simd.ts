import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmMemory } from '../tfjs-internals.js';
import { nativeAddon } from './native.js';
import { compiled, fusedMultiplyAdd, type Variant } from './fma.js';

export { fusedMultiplyAdd } from './fma.js';

/** The exports of simd.wat; pointers are byte offsets into the backend's memory. */
export type SimdKernels = {
  adam(
    w0: number, m0: number, v0: number, g: number, w1: number, m1: number, v1: number, n: number,
    b1: number, c1: number, b2: number, c2: number, oma1: number, oma2: number, eps: number, nlr: number,
  ): void;
  /** Adam in PyTorch's form (one division, one square root): s1 = nlr/oma1, s2 = 1/sqrt(oma2). */
  adam_fast(
    w0: number, m0: number, v0: number, g: number, w1: number, m1: number, v1: number, n: number,
    b1: number, c1: number, b2: number, c2: number, s1: number, s2: number, eps: number,
  ): void;
  /**
   * c = a·b (acc = 0) or c += a·b (acc = 1), c [m×n] and b [k×n] row-major; a's (i, p) at
   * a + 4·(i·sai + p·sap). Fastest where n % 8 = 0; the last n mod 4 columns are scalar.
   */
  gemm(a: number, b: number, c: number, m: number, k: number, n: number, sai: number, sap: number, acc: number): void;
  /**
   * The filter gradient of a dilation-1 NHWC convolution, dw [KH·KW·CI × CO] = im2col(x)ᵀ·dy, built
   * `rows` output positions at a time in `col` (rows·KH·KW·CI floats of scratch). CO % 4 = 0.
   */
  conv_filter_grad(x: number, dy: number, dw: number, col: number, rows: number, ...geometry: ConvGeometry): void;
  /** The convolution itself, y [N·OH·OW × CO] = im2col(x)·w, with the same scratch. CO % 4 = 0. */
  conv_forward(x: number, w: number, y: number, col: number, rows: number, ...geometry: ConvGeometry): void;
  /** Max pooling's gradient, NHWC, C % 4 = 0: each window's dy to its first maximum. */
  max_pool_grad(
    x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number,
    sh: number, sw: number, kh: number, kw: number, pt: number, pl: number,
  ): void;
  /** a·b + c in the GEMM's multiply-add for values where fusing shows: ≠ 0 where it fuses. */
  fma_probe(): number;
  /** y [m×n] = b in every row: a fused dense layer's sums start from its bias. */
  fill_rows(y: number, b: number, m: number, n: number): void;
  /**
   * y [m×n] += b per row where b ≠ 0 (a pointer), then in place relu = 1: x < 0 ? 0 : x (tfjs's
   * Relu); relu = 2: x > 0 ? x : 0 (XNNPACK's clamp, model.predict's fused ReLU).
   */
  dense_epilogue(y: number, b: number, m: number, n: number, relu: number): void;
  /** db [n] = the sum of dz [m×n]'s rows, in order, from 0. */
  col_sums(dz: number, db: number, m: number, n: number): void;
  /**
   * relu_grad(dy, y) into dz [m×n] and col_sums of it into db [n] in one pass, the same floats
   * (y is a ReLU's output, > 0 and NaN where its input is). n % 4 = 0.
   */
  relu_grad_sums(dy: number, y: number, dz: number, db: number, m: number, n: number): void;
  /** dx = dy·(x > 0 ? 1 : 0) over n floats. */
  relu_grad(dy: number, x: number, dx: number, n: number): void;
  /**
   * Batch norm over the last axis of a row-major [m×c] x, training mode: writes y [m×c], the
   * batch's mean [c] and biased variance [c]. tmp: c floats of scratch.
   */
  bn_forward(
    x: number, gamma: number, beta: number, y: number, mean: number, variance: number, tmp: number,
    m: number, c: number, eps: number,
  ): void;
  /** bn_forward's gradient: writes dx [m×c], dgamma [c], dbeta [c]. tmp: 2·c floats of scratch. */
  bn_backward(
    dy: number, x: number, gamma: number, mean: number, variance: number,
    dx: number, dgamma: number, dbeta: number, tmp: number, m: number, c: number, eps: number,
  ): void;
};

/** N, H, W, CI, OH, OW, CO, KH, KW, SH, SW, PT, PL. */
export type ConvGeometry = [
  n: number, h: number, w: number, ci: number, oh: number, ow: number, co: number,
  kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
];

const instances = { exact: new WeakMap<WebAssembly.Memory, SimdKernels>(), fma: new WeakMap<WebAssembly.Memory, SimdKernels>() };
const withNative = new WeakMap<WebAssembly.Memory, SimdKernels>();
const exactWithNative = new WeakMap<WebAssembly.Memory, SimdKernels>();

function instantiate(backend: BackendWasm, variant: Variant): SimdKernels | null {
  const memory = wasmMemory(backend);
  if (memory === null) return null;
  let kernels = instances[variant].get(memory);
  if (kernels === undefined) {
    kernels = new WebAssembly.Instance(compiled(variant), { env: { memory } }).exports as SimdKernels;
    instances[variant].set(memory, kernels);
  }
  return kernels;
}

/**
 * sweep's SIMD kernels bound to this wasm backend's memory, or null where they can't be (a
 * threaded build's shared memory, or an emscripten layout that hides the memory): callers then
 * use the stock kernels. Their floats are those of the stock kernels they replace. Where the
 * native addon loads, the GEMM is its gemm_exact (evaluation's dense layers, MatMul): the
 * same floats as the wasm exact GEMM, bit for bit, on wider vectors.
 */
export function simdKernels(backend: BackendWasm): SimdKernels | null {
  const kernels = wasmSimdKernels(backend);
  const native = nativeAddon();
  if (kernels === null || native === null) return kernels;
  const memory = wasmMemory(backend) as WebAssembly.Memory;
  let out = exactWithNative.get(memory);
  if (out === undefined) {
    out = { ...kernels, gemm: (...args) => native.gemm_exact(memory.buffer, ...args) };
    exactWithNative.set(memory, out);
  }
  return out;
}

/** `simdKernels` all in wasm: the exact build's own GEMM, whether or not the addon loads. */
export function wasmSimdKernels(backend: BackendWasm): SimdKernels | null {
  return instantiate(backend, 'exact');
}

/**
 * The wasm kernels the products use (convolutions and dense layers): with fused multiply-adds
 * where the engine has relaxed SIMD, else `simdKernels`. Only the GEMM's blocks differ.
 */
export function wasmProductKernels(backend: BackendWasm): SimdKernels | null {
  return instantiate(backend, fusedMultiplyAdd() ? 'fma' : 'exact');
}

/**
 * The kernels the products (and Adam in PyTorch's form) use: `wasmProductKernels`, except that
 * where the fused build runs and the native addon is built, the GEMM, the convolutions built on
 * it and adam_fast are native (AVX-512 or AVX2): the same floats, bit for bit, with wider
 * vectors (native.ts).
 */
export function productKernels(backend: BackendWasm): SimdKernels | null {
  const kernels = wasmProductKernels(backend);
  const native = fusedMultiplyAdd() ? nativeAddon() : null;
  if (kernels === null || native === null) return kernels;
  const memory = wasmMemory(backend) as WebAssembly.Memory;
  let out = withNative.get(memory);
  if (out === undefined) {
    out = {
      ...kernels,
      gemm: (...args) => native.gemm(memory.buffer, ...args),
      conv_forward: (...args) => native.conv_forward(memory.buffer, ...args),
      conv_filter_grad: (...args) => native.conv_filter_grad(memory.buffer, ...args),
      adam_fast: (...args) => native.adam_fast(memory.buffer, ...args),
    };
    withNative.set(memory, out);
  }
  return out;
}
