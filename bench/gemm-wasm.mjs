// The products of docs/speed.md's "The native GEMM": sweep's wasm GEMM, unfused and fused
// (relaxed SIMD), and the native addon's (src/train/kernels/native.c) where it is built, on the backend's
// memory, from JavaScript, best of 9 × 300 calls. The first three shapes are bench/gemm-native.c's.
// node bench/gemm-wasm.mjs (after npm run build)
import '../dist/cli/startup.js';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../dist/train/backend.js';
import { wasmSimdKernels, wasmProductKernels } from '../dist/train/kernels/simd.js';
import { nativeAddon } from '../dist/train/kernels/native.js';
import { heapOffset } from '../dist/train/kernels/wasm-kernel.js';
await initBackend('wasm');
const b = tf.backend();
const native = nativeAddon();
const kernels = [['exact', wasmSimdKernels(b).gemm], ['fma', wasmProductKernels(b).gemm]];
if (native !== null) kernels.push([`native ${native.isa()}`, (...args) => native.gemm(b.wasm.asm.memory.buffer, ...args)]);
for (const [m, k, n, tr] of [[32, 784, 128, 0], [784, 32, 128, 1], [128, 128, 128, 0], [128, 784, 128, 0], [784, 128, 128, 1]]) {
  const a = tf.randomNormal([m, k]); const w = tf.randomNormal([k, n]); const c = tf.zeros([m, n]);
  const [pa, pw, pc] = [a, w, c].map((t) => heapOffset(b, t));
  const line = [];
  for (const [name, gemm] of kernels) {
    let best = 1e9;
    for (let rep = 0; rep < 9; rep++) { const t = performance.now(); for (let r = 0; r < 300; r++) gemm(pa, pw, pc, m, k, n, tr ? 1 : k, tr ? m : 1, 0); best = Math.min(best, (performance.now() - t) / 300); }
    line.push(`${name} ${(best * 1000).toFixed(0)} us ${(2 * m * k * n / best / 1e6).toFixed(1)} GF/s`);
  }
  console.log(`${m}x${k}x${n}${tr ? ' (A transposed)' : ''}: ${line.join('; ')}`);
}
