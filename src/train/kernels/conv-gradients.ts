// Why: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter (conv nets can't train on 'wasm') and a slow dense Conv2DBackpropInput.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { im2colRows } from './conv2d.js';
import { plainFirstConvFilterGrad } from './first-conv.js';
import { type ConvGeometry, productKernels } from './simd.js';
import { heapOffset, type KernelArgs, onHeap, overrideWasmKernel, runWasmKernel as run } from './wasm-kernel.js';

/** NHWC conv geometry (dilation 1) shared by both gradient kernels. */
interface Geom {
  N: number; H: number; W: number; CI: number;
  OH: number; OW: number; CO: number;
  KH: number; KW: number; SH: number; SW: number; PT: number; PL: number; PB: number; PR: number;
}

// Scratch buffers reused across calls (grown on demand) so training steps don't allocate.
let accScratch = new Float64Array(0);
let patchScratch = new Float64Array(0);
let wtScratch = new Float64Array(0);
let nzOffScratch = new Int32Array(0);
let nzValScratch = new Float64Array(0);

function ensureScratch(accLen: number, patchLen: number, wtLen: number, nzLen: number): void {
  if (accScratch.length < accLen) accScratch = new Float64Array(accLen);
  if (patchScratch.length < patchLen) patchScratch = new Float64Array(patchLen);
  if (wtScratch.length < wtLen) wtScratch = new Float64Array(wtLen);
  if (nzOffScratch.length < nzLen) {
    nzOffScratch = new Int32Array(nzLen);
    nzValScratch = new Float64Array(nzLen);
  }
}

function countNonZero(v: Float32Array): number {
  let nnz = 0;
  for (let i = 0, n = v.length; i < n; ++i) if (v[i] !== 0) ++nnz;
  return nnz;
}

/**
 * Collects the non-zero entries of the dy row at dyOff as (co*K, value) pairs; returns how many.
 * (Filter grad and input grad both index their per-co K-vectors by co*K.)
 */
function gatherNonZero(
  dyv: Float32Array, dyOff: number, CO: number, K: number, nzOff: Int32Array, nzVal: Float64Array,
): number {
  let cnt = 0;
  for (let co = 0; co < CO; ++co) {
    const d = dyv[dyOff + co];
    if (d !== 0) {
      nzOff[cnt] = co * K;
      nzVal[cnt] = d;
      ++cnt;
    }
  }
  return cnt;
}

/**
 * Copies the (zero-padded) receptive field of an output position into
 * patch[(kh*KW + kw)*CI + ci], i.e. one row of the im2col matrix in HWIO filter order.
 */
function gatherPatch(
  xv: Float32Array, patch: Float64Array, xImg: number, ih0: number, iw0: number,
  H: number, W: number, CI: number, KH: number, KW: number,
): void {
  const rowLen = KW * CI;
  const xRowStride = W * CI;
  const interiorW = iw0 >= 0 && iw0 + KW <= W;
  for (let kh = 0, k = 0; kh < KH; ++kh) {
    const ih = ih0 + kh;
    if (ih < 0 || ih >= H) {
      for (let e = k + rowLen; k < e; ++k) patch[k] = 0;
      continue;
    }
    const rowBase = xImg + ih * xRowStride;
    if (interiorW) {
      for (let i = rowBase + iw0 * CI, e = k + rowLen; k < e; ++k, ++i) patch[k] = xv[i];
      continue;
    }
    for (let kw = 0; kw < KW; ++kw) {
      const iw = iw0 + kw;
      if (iw < 0 || iw >= W) {
        for (let e = k + CI; k < e; ++k) patch[k] = 0;
      } else {
        for (let i = rowBase + iw * CI, e = k + CI; k < e; ++k, ++i) patch[k] = xv[i];
      }
    }
  }
}

/** Adds patch[(kh*KW + kw)*CI + ci] back into the in-bounds pixels of acc (col2im of one row). */
function scatterPatch(
  acc: Float64Array, patch: Float64Array, xImg: number, ih0: number, iw0: number,
  H: number, W: number, CI: number, KH: number, KW: number,
): void {
  const rowLen = KW * CI;
  const xRowStride = W * CI;
  const interiorW = iw0 >= 0 && iw0 + KW <= W;
  for (let kh = 0, k = 0; kh < KH; ++kh, k += rowLen) {
    const ih = ih0 + kh;
    if (ih < 0 || ih >= H) continue;
    const rowBase = xImg + ih * xRowStride;
    if (interiorW) {
      for (let i = rowBase + iw0 * CI, j = k, e = k + rowLen; j < e; ++j, ++i) acc[i] += patch[j];
      continue;
    }
    for (let kw = 0; kw < KW; ++kw) {
      const iw = iw0 + kw;
      if (iw < 0 || iw >= W) continue;
      for (let i = rowBase + iw * CI, j = k + kw * CI, e = j + CI; j < e; ++j, ++i) acc[i] += patch[j];
    }
  }
}

/**
 * dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*SH+kh-PT, ow*SW+kw-PL, ci] * dy[b,oh,ow,co] (NHWC, HWIO),
 * i.e. dW = im2col(x)^T . dy, with im2col rows built one output position at a time.
 * After ReLU + max-pool backprop most of dy is zero, so when dy is sparse enough each position
 * only axpys its patch into acc[co][k] for its non-zero dy[.., co] (work ~ nnz(dy)*K); otherwise
 * it does the dense outer product into acc[k][co], skipping zero patch entries.
 * Zeros are skipped outright, so a NaN/Inf in x meeting a zero in dy gives 0 rather than NaN.
 */
function conv2dFilterGrad(xv: Float32Array, dyv: Float32Array, dwv: Float32Array, g: Geom): void {
  const { N, H, W, CI, OH, OW, CO, KH, KW, SH, SW, PT, PL } = g;
  const K = KH * KW * CI;
  const M = N * OH * OW;
  ensureScratch(K * CO, K, 0, CO);
  const acc = accScratch;
  const patch = patchScratch;
  const nzOff = nzOffScratch;
  const nzVal = nzValScratch;
  acc.fill(0, 0, K * CO);

  // Rough cost, in inner-loop iterations plus per-loop overhead, of the two formulations.
  const sparse = countNonZero(dyv) * (K + 8) < M * K * (CO + 8);
  const xImgStride = H * W * CI;
  let dyOff = 0;
  for (let b = 0; b < N; ++b) {
    const xImg = b * xImgStride;
    for (let oh = 0; oh < OH; ++oh) {
      const ih0 = oh * SH - PT;
      for (let ow = 0; ow < OW; ++ow, dyOff += CO) {
        const iw0 = ow * SW - PL;
        if (sparse) {
          const cnt = gatherNonZero(dyv, dyOff, CO, K, nzOff, nzVal);
          if (cnt === 0) continue;
          gatherPatch(xv, patch, xImg, ih0, iw0, H, W, CI, KH, KW);
          let t = 0;
          // Up to four dy entries per pass share each patch load.
          for (; t + 3 < cnt; t += 4) {
            const d0 = nzVal[t], d1 = nzVal[t + 1], d2 = nzVal[t + 2], d3 = nzVal[t + 3];
            const a0 = nzOff[t], a1 = nzOff[t + 1], a2 = nzOff[t + 2], a3 = nzOff[t + 3];
            for (let k = 0; k < K; ++k) {
              const p = patch[k];
              acc[a0 + k] += d0 * p;
              acc[a1 + k] += d1 * p;
              acc[a2 + k] += d2 * p;
              acc[a3 + k] += d3 * p;
            }
          }
          if (t + 1 < cnt) {
            const d0 = nzVal[t];
            const d1 = nzVal[t + 1];
            const a0 = nzOff[t];
            const a1 = nzOff[t + 1];
            for (let k = 0; k < K; ++k) {
              const p = patch[k];
              acc[a0 + k] += d0 * p;
              acc[a1 + k] += d1 * p;
            }
            t += 2;
          }
          if (t < cnt) {
            const d0 = nzVal[t];
            const a0 = nzOff[t];
            for (let k = 0; k < K; ++k) acc[a0 + k] += d0 * patch[k];
          }
        } else {
          gatherPatch(xv, patch, xImg, ih0, iw0, H, W, CI, KH, KW);
          for (let k = 0, a = 0; k < K; ++k, a += CO) {
            const p = patch[k];
            if (p === 0) continue;
            for (let co = 0; co < CO; ++co) acc[a + co] += p * dyv[dyOff + co];
          }
        }
      }
    }
  }
  if (sparse) {
    // acc[co][k] -> dW[k][co]
    for (let k = 0, o = 0; k < K; ++k) {
      for (let a = k, e = k + CO * K; a < e; a += K, ++o) dwv[o] = acc[a];
    }
  } else {
    for (let i = 0, n = K * CO; i < n; ++i) dwv[i] = acc[i];
  }
}

/**
 * dx[b,ih,iw,ci] = sum over (oh,ow,kh,kw,co) with ih = oh*SH+kh-PT, iw = ow*SW+kw-PL of
 * dy[b,oh,ow,co] * w[kh,kw,ci,co]: per output position, the patch gradient w . dy[b,oh,ow,:] is
 * built from axpys of the co-major filter rows for its non-zero dy entries (work ~ nnz(dy)*K) and
 * scattered back into dx (col2im). Same zero-skipping caveat as conv2dFilterGrad.
 */
function conv2dInputGrad(dyv: Float32Array, wv: Float32Array, dxv: Float32Array, g: Geom): void {
  const { N, H, W, CI, OH, OW, CO, KH, KW, SH, SW, PT, PL } = g;
  const K = KH * KW * CI;
  const dxSize = N * H * W * CI;
  ensureScratch(dxSize, K, K * CO, CO);
  const acc = accScratch;
  const pg = patchScratch;
  const wt = wtScratch;
  const nzOff = nzOffScratch;
  const nzVal = nzValScratch;
  acc.fill(0, 0, dxSize);
  // w[k][co] -> wt[co][k], so each non-zero dy entry adds one contiguous K-row.
  for (let k = 0, i = 0; k < K; ++k) {
    for (let a = k, e = k + CO * K; a < e; a += K, ++i) wt[a] = wv[i];
  }
  const xImgStride = H * W * CI;
  let dyOff = 0;
  for (let b = 0; b < N; ++b) {
    const xImg = b * xImgStride;
    for (let oh = 0; oh < OH; ++oh) {
      const ih0 = oh * SH - PT;
      for (let ow = 0; ow < OW; ++ow, dyOff += CO) {
        const cnt = gatherNonZero(dyv, dyOff, CO, K, nzOff, nzVal);
        if (cnt === 0) continue;
        pg.fill(0, 0, K);
        let t = 0;
        for (; t + 3 < cnt; t += 4) {
          const d0 = nzVal[t], d1 = nzVal[t + 1], d2 = nzVal[t + 2], d3 = nzVal[t + 3];
          const a0 = nzOff[t], a1 = nzOff[t + 1], a2 = nzOff[t + 2], a3 = nzOff[t + 3];
          for (let k = 0; k < K; ++k) {
            pg[k] += d0 * wt[a0 + k] + d1 * wt[a1 + k] + d2 * wt[a2 + k] + d3 * wt[a3 + k];
          }
        }
        for (; t < cnt; ++t) {
          const d0 = nzVal[t];
          const a0 = nzOff[t];
          for (let k = 0; k < K; ++k) pg[k] += d0 * wt[a0 + k];
        }
        scatterPatch(acc, pg, xImg, ih0, ow * SW - PL, H, W, CI, KH, KW);
      }
    }
  }
  for (let i = 0; i < dxSize; ++i) dxv[i] = acc[i];
}

function convGeom(
  kernel: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: {
    strides: [number, number] | number;
    pad: tf.Conv2DBackpropFilterAttrs['pad'];
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  },
): { geom: Geom; outShape: number[] } {
  if (attrs.dataFormat === 'NCHW') {
    throw new Error(`${kernel} (wasm): dataFormat 'NCHW' is not supported; use 'NHWC' (channelsLast).`);
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernel} (wasm): expected rank-4 shapes, got [${xShape}] and [${filterShape}].`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1 /* dilations */,
    attrs.pad,
    attrs.dimRoundingMode,
    false /* depthwise */,
    'channelsLast',
  );
  return {
    geom: {
      N: info.batchSize, H: info.inHeight, W: info.inWidth, CI: info.inChannels,
      OH: info.outHeight, OW: info.outWidth, CO: info.outChannels,
      KH: info.filterHeight, KW: info.filterWidth, SH: info.strideHeight, SW: info.strideWidth,
      PT: info.padInfo.top, PL: info.padInfo.left, PB: info.padInfo.bottom, PR: info.padInfo.right,
    },
    outShape: info.outShape,
  };
}

function checkDy(kernel: string, dy: tf.TensorInfo, outShape: readonly number[]): void {
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== outShape[i])) {
    throw new Error(`${kernel} (wasm): dy shape [${dy.shape}] does not match the conv output shape [${outShape}].`);
  }
}

function checkFloat32(kernel: string, a: tf.TensorInfo, b: tf.TensorInfo): void {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(`${kernel} (wasm): inputs must be float32, got ${a.dtype} and ${b.dtype}.`);
  }
}

/** The wasm backend's own Conv2DBackpropInput, used as the fallback when dy is dense. */
let builtinInput: tf.KernelConfig | undefined;

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

function geometry(g: Geom): ConvGeometry {
  return [g.N, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL];
}

/**
 * The filter gradient as im2col and sweep's GEMM in simd.wat, a chunk of output positions at a
 * time: dW [KH·KW·CI × CO] = Σ patchᵀ·dy, summed in order. Null where it can't run (no SIMD
 * kernels here, or CO not a multiple of 4).
 */
function filterGradByGemm(backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, g: Geom, filterShape: number[]): tf.TensorInfo | null {
  const simd = productKernels(backend);
  if (simd === null || g.CO % 4 !== 0) return null;
  const k = g.KH * g.KW * g.CI;
  const rows = im2colRows(k);
  const dw = backend.makeOutput([...filterShape], 'float32');
  const col = backend.makeOutput([rows * k], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  simd.conv_filter_grad(at(x), at(dy), at(dw), at(col), rows, ...geometry(g));
  backend.disposeData(col.dataId);
  return dw;
}

/**
 * The filter gradient as one forward convolution on XNNPACK:
 * dW[kh,kw,ci,co] = Σ x[n, oh·s+kh−PT, ow·s+kw−PL, ci] · dy[n,oh,ow,co] is the convolution of
 * xᵀ [CI,H,W,N] (channels: the batch) with the filter dyᵀ [OH,OW,N,CO] at dilation s, giving
 * [CI,KH,KW,CO]. Null where its padding would be negative (strided 'same' edge cases).
 */
function filterGradByConv(backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, g: Geom): tf.TensorInfo | null {
  const padBottom = g.KH - g.H - g.PT + (g.OH - 1) * g.SH;
  const padRight = g.KW - g.W - g.PL + (g.OW - 1) * g.SW;
  if (padBottom < 0 || padRight < 0) return null;
  const xt = run(backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] });
  const dyt = run(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const pad: Pad4 = [[0, 0], [g.PT, padBottom], [g.PL, padRight], [0, 0]];
  const conv = run(backend, 'Conv2D', { x: xt, filter: dyt }, {
    strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [g.SH, g.SW], dimRoundingMode: undefined,
  });
  const dw = run(backend, 'Transpose', { x: conv }, { perm: [1, 2, 0, 3] });
  for (const t of [xt, dyt, conv]) backend.disposeData(t.dataId);
  return dw;
}

/**
 * The input gradient of a stride-1 convolution as one forward convolution on XNNPACK: dy
 * correlated with the filter flipped in space and with its channels swapped, padded by K−1−P
 * (so only where every padding P ≤ K−1).
 */
function inputGradByConv(backend: BackendWasm, dy: tf.TensorInfo, filter: tf.TensorInfo, g: Geom): tf.TensorInfo {
  const w = flippedSwapped(backend, filter);
  const pad: Pad4 = [[0, 0], [g.KH - 1 - g.PT, g.KH - 1 - g.PB], [g.KW - 1 - g.PL, g.KW - 1 - g.PR], [0, 0]];
  const dx = run(backend, 'Conv2D', { x: dy, filter: w }, {
    strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined,
  });
  backend.disposeData(w.dataId);
  return dx;
}

/**
 * The filter [KH, KW, CI, CO] flipped in space with its channels swapped, [KH, KW, CO, CI]: what
 * tfjs's Reverse (dims 0, 1) then Transpose (perm 0, 1, 3, 2) make, the same bits (copied as
 * 32-bit words, so NaN payloads too), in one pass. The wasm backend's Reverse took 0.6–1.0 ms for
 * the notebook CNN's 18,432-float filter, a fifth of the whole input gradient.
 */
export function flippedSwapped(backend: BackendWasm, filter: tf.TensorInfo): tf.TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  // Views after the output is made: growing the heap detaches older ones.
  const src = backend.typedArrayFromHeap(filter) as Float32Array;
  const from = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const to = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const a = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const b = (i * kw + j) * co * ci;
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) to[b + o * ci + c] = from[a + c * co + o];
    }
  }
  return out;
}

/**
 * The checks and geometry both gradient kernels start from: `other` is their input besides dy
 * (x or the filter), `xShape` the convolution's input shape.
 */
function prepare(
  name: string, args: KernelArgs, other: tf.TensorInfo, dy: tf.TensorInfo,
  xShape: readonly number[], filterShape: readonly number[],
): { backend: BackendWasm; geom: Geom } {
  const attrs = kernelAttrs<Parameters<typeof convGeom>[3]>(args.attrs);
  checkFloat32(name, other, dy);
  const { geom, outShape } = convGeom(name, xShape, filterShape, attrs);
  checkDy(name, dy, outShape);
  return { backend: args.backend as BackendWasm, geom };
}

function conv2DBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape, strides, pad } = kernelAttrs<tf.Conv2DBackpropFilterAttrs>(args.attrs);
  const { backend, geom } = prepare('Conv2DBackpropFilter', args, x, dy, x.shape, filterShape);
  // One channel in (a CNN's first layer): its positions folded in one pass (first-conv.ts).
  return plainFirstConvFilterGrad(backend, x, dy, filterShape, strides, pad)
    ?? filterGradByGemm(backend, x, dy, geom, filterShape)
    ?? filterGradByConv(backend, x, dy, geom)
    ?? onHeap(backend, filterShape, [x, dy], ([xv, dyv], dwv) => conv2dFilterGrad(xv, dyv, dwv, geom));
}

function conv2DBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape } = kernelAttrs<tf.Conv2DBackpropInputAttrs>(args.attrs);
  const { backend, geom: g } = prepare('Conv2DBackpropInput', args, filter, dy, inputShape, filter.shape);
  const padsFit = Math.min(g.KH - 1 - g.PT, g.KH - 1 - g.PB, g.KW - 1 - g.PL, g.KW - 1 - g.PR) >= 0;
  if (g.SH === 1 && g.SW === 1 && padsFit) return inputGradByConv(backend, dy, filter, g);
  // Strided or wider padding: the built-in (dense, native) kernel wins for small patches or
  // dense dy; ours wins behind ReLU + max-pool, where most of dy is zero (measured: ~5x at 13%
  // non-zero, K = 288).
  if (builtinInput !== undefined) {
    const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
    if (g.KH * g.KW * g.CI < 32 || countNonZero(dyv) > 0.5 * dyv.length) {
      return builtinInput.kernelFunc(args) as tf.TensorInfo;
    }
  }
  return onHeap(backend, inputShape, [dy, filter], ([dyv, wv], dxv) => conv2dInputGrad(dyv, wv, dxv, g));
}

/**
 * Registers, for backend 'wasm', the missing Conv2DBackpropFilter kernel and (unless
 * `inputGradient` is false: the benchmark's stock column) a Conv2DBackpropInput over the
 * built-in one: a convolution on XNNPACK at stride 1, a sparsity-aware loop when strided.
 * Idempotent.
 */
export function registerWasmConvGradients({ inputGradient = true } = {}): void {
  overrideWasmKernel('Conv2DBackpropFilter', conv2DBackpropFilterWasm);
  if (inputGradient) builtinInput = overrideWasmKernel('Conv2DBackpropInput', conv2DBackpropInputWasm);
}
