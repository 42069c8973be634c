// The wasm side of docs/speed.md's "A native path: measured, not built": sweep's GEMM, unfused and
// fused (relaxed SIMD), on the same products as bench/gemm-native.c, best of 9 × 300 calls.
// node bench/gemm-wasm.mjs (after npm run build)
import '../dist/cli/startup.js';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../dist/train/backend.js';
import { simdKernels, productKernels } from '../dist/train/kernels/simd.js';
import { heapOffset } from '../dist/train/kernels/wasm-kernel.js';
await initBackend('wasm');
const b = tf.backend();
for (const [m, k, n, tr] of [[32, 784, 128, 0], [784, 32, 128, 1], [128, 128, 128, 0]]) {
  const a = tf.randomNormal([m, k]); const w = tf.randomNormal([k, n]); const c = tf.zeros([m, n]);
  const [pa, pw, pc] = [a, w, c].map((t) => heapOffset(b, t));
  const line = [];
  for (const kern of [simdKernels(b), productKernels(b)]) {
    let best = 1e9;
    for (let rep = 0; rep < 9; rep++) { const t = performance.now(); for (let r = 0; r < 300; r++) kern.gemm(pa, pw, pc, m, k, n, tr ? 1 : k, tr ? m : 1, 0); best = Math.min(best, (performance.now() - t) / 300); }
    line.push(`${(best * 1000).toFixed(0)} us ${(2 * m * k * n / best / 1e6).toFixed(1)} GF/s`);
  }
  console.log(`wasm ${m}x${k}x${n}${tr ? ' (A transposed)' : ''}: exact ${line[0]}; fma ${line[1]}`);
}
