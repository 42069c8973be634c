import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ConvGeometry } from './simd.js';

/**
 * The native addon's exports (native.c): simd.wat's functions of the same names with the
 * memory's buffer first; pointers are byte offsets into it. isa 'avx2' forces the 256-bit GEMM.
 */
export type NativeAddon = {
  gemm(memory: ArrayBuffer, a: number, b: number, c: number, m: number, k: number, n: number, sai: number, sap: number, acc: number, isa?: 'avx2'): void;
  /** gemm with each product rounded, then added: the floats of simd.wat's exact build. */
  gemm_exact(memory: ArrayBuffer, a: number, b: number, c: number, m: number, k: number, n: number, sai: number, sap: number, acc: number, isa?: 'avx2'): void;
  conv_forward(memory: ArrayBuffer, x: number, w: number, y: number, col: number, rows: number, ...geometry: [...ConvGeometry, isa?: 'avx2']): void;
  conv_filter_grad(memory: ArrayBuffer, x: number, dy: number, dw: number, col: number, rows: number, ...geometry: [...ConvGeometry, isa?: 'avx2']): void;
  /** y += im2col(x)·w with gemm_exact's floats: XNNPACK's convolution (inference) when y holds the bias. */
  conv_forward_exact(memory: ArrayBuffer, x: number, w: number, y: number, col: number, rows: number, ...geometry: [...ConvGeometry, isa?: 'avx2']): void;
  /**
   * The first convolution (one input channel, stride 1) with its bias and ReLU, then 2×2 max
   * pooling (pool 1) or none (0), in one pass: y and pooled as CONV_RELU and XNNPACK's MaxPool make them.
   */
  conv1_forward(memory: ArrayBuffer, x: number, w: number, bias: number, y: number, pooled: number, ...geometry: [...Conv1Geometry, isa?: 'avx2']): void;
  /** Its gradients in one pass: dw and db as MaxPoolGrad, ReluGradSums and Conv2DBackpropFilter make them from dpool. */
  conv1_backward(memory: ArrayBuffer, x: number, y: number, dpool: number, dw: number, db: number, ...geometry: [...Conv1Geometry, isa?: 'avx2']): void;
  /** A later block's 2×2 max pooling at stride 2 (XNNPACK's floats), images n × oh × ow × co, co a multiple of 16. */
  max_pool_2x2(memory: ArrayBuffer, y: number, pooled: number, n: number, oh: number, ow: number, co: number, isa?: 'avx2'): void;
  /** Its gradient and ReLU's, dz, and the bias's, db: MaxPoolGrad's then ReluGradSums' floats (pool 0: ReluGradSums' alone). */
  pool_relu_grad(memory: ArrayBuffer, y: number, dpool: number, dz: number, db: number, n: number, oh: number, ow: number, co: number, pool: 0 | 1, isa?: 'avx2'): void;
  /** MaxPoolGrad for 2×2 windows at stride 2 without padding: dx from the pooling's input x and dy (db unused, 0). */
  max_pool_grad_2x2(memory: ArrayBuffer, x: number, dy: number, dx: number, db: 0, n: number, h: number, w: number, c: number, pool: 1, isa?: 'avx2'): void;
  /** Batch norm in training mode over x [m × c]: y, and the batch's mean and (biased) variance; tmp c floats. simd.wat's floats. */
  bn_forward(memory: ArrayBuffer, x: number, gamma: number, beta: number, y: number, mean: number, variance: number, tmp: number, m: number, c: number, eps: number, isa?: 'avx2'): void;
  /** Batch norm with given statistics (inference): tfjs-backend-wasm's FusedBatchNorm's floats, every parameter of c channels; tmp 4c floats (two arrays of c doubles), 8-byte aligned. */
  bn_inference(memory: ArrayBuffer, x: number, mean: number, variance: number, offset: number, scale: number, y: number, tmp: number, m: number, c: number, eps: number, isa?: 'avx2'): void;
  /** Its gradient: dx, dgamma, dbeta; tmp 2c floats. simd.wat's floats. */
  bn_backward(
    memory: ArrayBuffer, dy: number, x: number, gamma: number, mean: number, variance: number, dx: number, dgamma: number, dbeta: number,
    tmp: number, m: number, c: number, eps: number, isa?: 'avx2',
  ): void;
  /**
   * Batch norm in training mode, ReLU and 2×2 max pooling at stride 2 over x [n, h, w, c] (c a multiple of 16), as
   * bn_forward, tfjs's Relu and max_pool_2x2 in turn: the pooled output, the batch's mean and variance; tmp c floats.
   */
  bn_relu_pool_forward(
    memory: ArrayBuffer, x: number, gamma: number, beta: number, pooled: number, mean: number, variance: number, tmp: number,
    n: number, h: number, w: number, c: number, eps: number, isa?: 'avx2',
  ): void;
  /** Its gradient, as MaxPoolGrad, ReLU's and bn_backward's in turn: dx, dgamma, dbeta; tmp 5c + 2wc floats. */
  bn_relu_pool_backward(
    memory: ArrayBuffer, dpooled: number, x: number, gamma: number, beta: number, mean: number, variance: number, dx: number,
    dgamma: number, dbeta: number, tmp: number, n: number, h: number, w: number, c: number, eps: number, isa?: 'avx2',
  ): void;
  adam_fast(
    memory: ArrayBuffer, w0: number, m0: number, v0: number, g: number, w1: number, m1: number, v1: number, n: number,
    b1: number, c1: number, b2: number, c2: number, s1: number, s2: number, eps: number, isa?: 'avx2',
  ): void;
  /** seeded-dropout.ts's dropout multiplier from alea's state (c, s0, s1, s2): the same floats as its JavaScript loop. */
  dropout_mask(memory: ArrayBuffer, out: number, n: number, c: number, s0: number, s1: number, s2: number, keep: number): void;
  /** Copies rows idx[0], idx[1], … (each `row` floats) of the `rows` at src to dst, in order; a RangeError for an index outside them. */
  gather_rows(memory: ArrayBuffer, src: number, dst: number, row: number, rows: number, idx: Int32Array): void;
  /** `iterations` rounds of the core's peak loop (independent FMA chains on registers): its floating-point operations and seconds, wall and this thread's CPU. */
  peak(iterations: number, isa?: 'avx2'): { isa: 'avx512' | 'avx2'; flops: number; seconds: number; cpuSeconds: number };
  /** Which GEMM runs here: 512-bit, 256-bit, or none (neither AVX-512 nor AVX2 with FMA). */
  isa(): 'avx512' | 'avx2' | 'none';
};

/**
 * The first convolution's geometry: images n × h × w × 1, output oh × ow × co, filter kh × kw,
 * padding top and left, pool 1 or 0; epilogue 1 (the bias and ReLU, and their gradients) or 0
 * (Conv2D's plain sum, and Conv2DBackpropFilter from dz: no bias, y or db; no pooling).
 */
export type Conv1Geometry = [n: number, h: number, w: number, oh: number, ow: number, co: number, kh: number, kw: number, pt: number, pl: number, pool: 0 | 1, epilogue: 0 | 1];

/** Where `npm ci` builds the addon (binding.gyp, scripts/build-native.mjs); the same from src/ and dist/. */
export const NATIVE_ADDON = fileURLToPath(new URL('../../../build/Release/sweep_native.node', import.meta.url));

let addon: NativeAddon | null | undefined;
let status = '';

/**
 * The native kernels where they were built and the CPU has AVX-512 or AVX2 with FMA, else null
 * (the wasm kernels run). SWEEP_NATIVE=0 turns them off. Their floats are those of the wasm
 * kernels' fused build (the GEMM, adam_fast), bit for bit, so callers use them only where that
 * build runs (relaxed SIMD with FMA); gemm_exact's, conv_forward_exact's, dropout_mask's and
 * gather_rows' are those of the exact build or the JavaScript they replace, used anywhere. A
 * built addon that does not load (copied from another machine, say) leaves the wasm kernels
 * running, with the same floats; `nativeStatus` says why.
 */
export function nativeAddon(): NativeAddon | null {
  if (addon === undefined) {
    addon = null;
    if (process.env.SWEEP_NATIVE === '0') status = 'off (SWEEP_NATIVE=0)';
    else if (!existsSync(NATIVE_ADDON)) status = 'not built';
    else {
      try {
        const loaded = createRequire(import.meta.url)(NATIVE_ADDON) as NativeAddon;
        status = loaded.isa();
        if (status !== 'none') addon = loaded;
      } catch (e) {
        status = `failed to load: ${(e as Error).message.split('\n')[0]}`;
      }
    }
  }
  return addon;
}

/** The native kernels' state in a few words: 'avx512', 'avx2', 'none' (the CPU has neither), 'not built', …. */
export function nativeStatus(): string {
  nativeAddon();
  return status;
}

/** The core's measured single-precision peak at one vector width: the best round, the median, and how many rounds ran. */
export type Peak = { readonly isa: 'avx512' | 'avx2'; readonly gflops: number; readonly medianGflops: number; readonly rounds: number };

/**
 * The core's peak GFLOP/s for single precision with `isa`'s vectors, measured with the addon's
 * FMA loop: `rounds` rounds of about `seconds` each, the best kept (any slower round lost the core
 * to something else: another process, an interrupt, the host). One thread, as a sweep worker runs.
 */
export function measurePeak(native: NativeAddon, isa: 'avx512' | 'avx2', rounds = 15, seconds = 0.02): Peak {
  const force = isa === 'avx2' ? ['avx2' as const] : [];
  // Calibrated on a short run first, which also brings the core out of any lower clock.
  let iterations = 100_000;
  for (let r = native.peak(iterations, ...force); r.seconds < seconds / 4; r = native.peak(iterations, ...force)) iterations *= 4;
  const t = native.peak(iterations, ...force);
  iterations = Math.max(1, Math.round((iterations * seconds) / t.seconds));
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = native.peak(iterations, ...force);
    if (r.isa !== isa) throw new Error(`the peak loop ran ${r.isa}, not ${isa}`);
    rates.push(r.flops / r.seconds / 1e9);
  }
  rates.sort((a, b) => a - b);
  return { isa, gflops: rates[rates.length - 1], medianGflops: rates[Math.floor(rates.length / 2)], rounds };
}
