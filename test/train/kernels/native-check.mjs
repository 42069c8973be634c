// Run by native.test.ts in a child process, `node --experimental-wasm-relaxed-simd` (Node 20) or
// plain node (22): the native GEMM, convolutions and Adam (native.c), with each of the machine's
// vector widths, against the wasm kernels' fused build on the same memory, float for float.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../dist/train/backend.js';
import { fusedMultiplyAdd, productKernels, simdKernels, wasmProductKernels, wasmSimdKernels } from '../../../dist/train/kernels/simd.js';
import { measurePeak, nativeAddon } from '../../../dist/train/kernels/native.js';
import { heapOffset } from '../../../dist/train/kernels/wasm-kernel.js';

await initBackend('wasm');
const backend = tf.backend();
const native = nativeAddon();
const wasm = wasmProductKernels(backend);
const wasmExact = wasmSimdKernels(backend);
const memory = () => backend.wasm.asm.memory.buffer;
const isas = native === null ? [] : native.isa() === 'avx512' ? ['avx512', 'avx2'] : ['avx2'];
let state = 11;
const values = (n) => Float32Array.from({ length: n }, () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 30) - 1);
const at = (t) => heapOffset(backend, t);
// Bit patterns, so that -0 and NaN compare as themselves.
const bits = (t) => new Uint32Array(t.dataSync().slice().buffer);
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const out = { fma: fusedMultiplyAdd(), isa: native?.isa() ?? 'none', dispatched: false, exactDispatched: false, gemm: [], gemmExact: [], conv: [], adam: [], peak: [], rangeError: null, gather: null };

// GEMMs: every edge of the blocks (every remainder of rows mod 8 and mod 6, alone and
// with the block before it split in two; columns mod 32 and 16, k = 0 and 1), sums
// of one panel and of three (512, 512, then 76 terms), A stored plain and transposed, C written
// and accumulated. Each build's wasm GEMM gives the
// reference; the native one runs with each of the machine's vector widths.
const special = [0, -0, Infinity, -Infinity, NaN, 1e-40];
for (const [m, k, n] of [[1, 1, 1], [5, 7, 3], [8, 64, 16], [9, 33, 17], [13, 5, 31], [16, 100, 32], [17, 20, 33], [33, 128, 10], [32, 784, 128], [9, 1100, 40], [3, 3136, 33], [6, 0, 40], [7, 3, 130], [2, 40, 48], [11, 17, 35], [12, 17, 35], [10, 50, 64], [128, 784, 16], [20, 0, 33], [24, 1, 64]]) {
  for (const transposed of [false, true]) {
    for (const acc of [0, 1]) {
      const b = tf.tensor1d(values(k * n));
      const c0 = values(m * n);
      const [sai, sap] = transposed ? [1, m] : [k, 1];
      /** C's bits after `gemm` (a wasm GEMM, or a native one with its memory and vector width). */
      const product = (a, gemm, ...extra) => {
        const c = tf.tensor1d(c0);
        gemm(...extra.slice(0, 1), at(a), at(b), at(c), m, k, n, sai, sap, acc, ...extra.slice(1));
        return bits(c);
      };
      /** The native GEMM with each width against the wasm build's bits for the same A. */
      const runs = (a, nativeGemm, want) => isas.map((isa) => {
        const got = product(a, nativeGemm, memory(), ...(isa === 'avx2' ? ['avx2'] : []));
        return { m, k, n, transposed, acc, isa, got, same: same(got, want) };
      });
      const a = tf.tensor1d(values(m * k));
      const fusedBits = product(a, wasm.gemm);
      out.gemm.push(...runs(a, native.gemm, fusedBits).map(({ got: _, ...r }) => r));
      // The exact build: each product rounded, then added. Some of A's values are made 0, −0,
      // infinite or NaN, so that signed zeros and NaN's propagation are compared too. On the
      // plain A it must not give the fused build's floats.
      const ae = tf.tensor1d(values(m * k).map((v, i) => (i % 17 === 5 ? special[i % special.length] : v)));
      const fusedWouldDiffer = !same(product(a, native.gemm_exact, memory()), fusedBits);
      out.gemmExact.push(...runs(ae, native.gemm_exact, product(ae, wasmExact.gemm)).map(({ got: _, ...r }) => ({ ...r, fusedWouldDiffer })));
    }
  }
}

// Convolutions: 'same' and 'valid' padding, strides 1 and 2, one input channel (the first layer)
// and many; chunks that split the positions unevenly. Where a kernel row spans 64 floats or more
// (kw·ci), the forward pass reads x in place (conv_forward_in_place): the CNN's second layer and its
// input's gradient (64 channels in), strides of 2, 'valid', windows that overhang every side,
// columns that end inside a vector, and kernel rows of more than one panel (288 floats: two with
// 256-bit vectors; 1,050: three with 512-bit ones). The exact build too (conv_forward_exact, from
// y = +0).
for (const [n, h, w, ci, co, kh, kw, s, pad, rows] of [
  [2, 28, 28, 1, 32, 3, 3, 1, 'same', 3640], [2, 14, 14, 32, 64, 3, 3, 1, 'same', 113], [3, 9, 11, 3, 8, 5, 3, 2, 'same', 7], [2, 8, 8, 4, 4, 3, 3, 2, 'valid', 5],
  [2, 14, 14, 64, 32, 3, 3, 1, 'same', 56], [2, 9, 7, 24, 40, 3, 3, 2, 'same', 11], [2, 6, 5, 64, 17, 3, 2, 1, 'valid', 9], [1, 7, 7, 33, 35, 5, 5, 1, 'same', 6],
  [1, 5, 6, 96, 20, 3, 3, 1, 'same', 8], [1, 4, 5, 350, 16, 3, 3, 1, 'same', 4],
]) {
  const info = tf.backend_util.computeConv2DInfo([n, h, w, ci], [kh, kw, ci, co], s, 1, pad, undefined, false, 'channelsLast');
  const geometry = [n, h, w, ci, info.outHeight, info.outWidth, co, kh, kw, s, s, info.padInfo.top, info.padInfo.left];
  const x = tf.tensor1d(values(n * h * w * ci));
  const filter = tf.tensor1d(values(kh * kw * ci * co));
  const dy = tf.tensor1d(values(n * info.outHeight * info.outWidth * co));
  const col = tf.tensor1d(new Float32Array(rows * kh * kw * ci));
  const [y0, dw0] = [tf.zeros([n * info.outHeight * info.outWidth * co]), tf.zeros([kh * kw * ci * co])];
  const ye0 = tf.zeros(y0.shape);
  wasm.conv_forward(at(x), at(filter), at(y0), at(col), rows, ...geometry);
  wasm.conv_filter_grad(at(x), at(dy), at(dw0), at(col), rows, ...geometry);
  wasmExact.conv_forward(at(x), at(filter), at(ye0), at(col), rows, ...geometry);
  for (const isa of isas) {
    const [y, dw, ye] = [tf.fill(y0.shape, 5), tf.fill(dw0.shape, 7), tf.zeros(y0.shape)];
    const extra = isa === 'avx2' ? ['avx2'] : [];
    native.conv_forward(memory(), at(x), at(filter), at(y), at(col), rows, ...geometry, ...extra);
    native.conv_filter_grad(memory(), at(x), at(dy), at(dw), at(col), rows, ...geometry, ...extra);
    native.conv_forward_exact(memory(), at(x), at(filter), at(ye), at(col), rows, ...geometry, ...extra);
    out.conv.push({ geometry, rows, isa, forward: same(bits(y), bits(y0)), filterGrad: same(bits(dw), bits(dw0)), exact: same(bits(ye), bits(ye0)) });
  }
}

// Adam in PyTorch's form: every tail length of both widths, in place and not, with moments that
// fall below 2⁻¹²⁶ (flushed to 0), zero and subnormal gradients, and a NaN gradient (NaN kept).
const f = Math.fround;
for (const n of [1, 7, 8, 15, 16, 17, 33, 1000, 100355]) {
  for (const inPlace of [false, true]) {
    const g = values(n).map((x, i) => (i % 11 === 0 ? 0 : i % 13 === 0 ? 1e-40 : x * 0.01));
    if (n > 20) g[19] = NaN;
    const m0 = values(n).map((x, i) => (i % 5 === 0 ? x * 1e-37 : x * 0.01));
    const v0 = values(n).map((x, i) => (i % 7 === 0 ? Math.abs(x) * 1e-37 : x * x * 1e-4));
    const scalars = [f(0.9), f(0.1), f(0.999), f(f(1) - f(0.999)), f(f(-0.001) / f(1 - 0.9 ** 3)), f(1 / Math.sqrt(f(1 - 0.999 ** 3))), f(1e-7)];
    const run = (adam) => {
      const [w, gt, mt, vt] = [values(n), g, m0, v0].map((a) => tf.tensor1d(a));
      const w1 = tf.zeros([n]);
      const [m1, v1] = inPlace ? [mt, vt] : [tf.zeros([n]), tf.zeros([n])];
      adam(at(w), at(mt), at(vt), at(gt), at(w1), at(m1), at(v1), n, ...scalars);
      return [w1, m1, v1].map(bits);
    };
    state = 5 + n;
    const want = run((...args) => wasm.adam_fast(...args));
    for (const isa of isas) {
      state = 5 + n;
      const got = run((...args) => native.adam_fast(memory(), ...args, ...(isa === 'avx2' ? ['avx2'] : [])));
      // NaN as NaN (its payload is the engine's), everything else bit for bit.
      const nan = (u) => (u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0;
      const sameOrNaN = (a, b) => a.length === b.length && a.every((v, i) => v === b[i] || (nan(v) && nan(b[i])));
      const flushed = want[1].filter((u) => u === 0).length;
      out.adam.push({ n, inPlace, isa, same: got.every((a, i) => sameOrNaN(a, want[i])), flushed, nan: want[0].some(nan) });
    }
  }
}

if (native !== null) {
  // The kernels sweep trains with are the native ones here.
  out.dispatched = productKernels(backend).gemm !== wasm.gemm && productKernels(backend).adam_fast !== wasm.adam_fast;
  out.exactDispatched = simdKernels(backend).gemm !== wasmExact.gemm;
  // An operand past the end of the memory is refused, not read.
  try {
    native.gemm(memory(), memory().byteLength - 32, 0, 0, 4, 4, 4, 4, 1, 0); // A: 16 floats from 8 before the end
  } catch (e) {
    out.rangeError = `${e.name}: ${e.message}`;
  }
}
// A batch's rows gathered: rows repeated and in any order, against the same copy in JavaScript;
// then an index past the last row, refused before anything is written.
if (native !== null) {
  const [rows, row] = [50, 37];
  const src = tf.tensor1d(values(rows * row));
  const idx = Int32Array.from([49, 0, 3, 3, 17, 48, 1]);
  const dst = tf.fill([idx.length * row], 5);
  native.gather_rows(memory(), at(src), at(dst), row, rows, idx);
  const srcValues = src.dataSync();
  const want = Float32Array.from({ length: idx.length * row }, (_, i) => srcValues[idx[Math.floor(i / row)] * row + (i % row)]);
  const untouched = tf.fill([2 * row], 5);
  let refused = null;
  try {
    native.gather_rows(memory(), at(src), at(untouched), row, rows, Int32Array.from([1, rows]));
  } catch (e) {
    refused = `${e.name}: ${e.message}`;
  }
  out.gather = { same: same(bits(dst), new Uint32Array(want.buffer)), refused, untouched: untouched.dataSync().every((v) => v === 5) };
}
// The peak loop: the operations it says it ran, for 1,000 rounds, and a short measurement.
for (const isa of isas) {
  const round = native.peak(1000, ...(isa === 'avx2' ? ['avx2'] : []));
  const measured = measurePeak(native, isa, 3, 0.002);
  out.peak.push({ isa, ran: round.isa, flops: round.flops, seconds: round.seconds, cpuSeconds: round.cpuSeconds, gflops: measured.gflops, medianGflops: measured.medianGflops });
}

console.log(JSON.stringify(out));
