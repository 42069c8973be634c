// Run by fma.test.ts in a child process, `node --experimental-wasm-relaxed-simd` (Node 20) or
// plain node (22): the convolutions with fused multiply-adds, against the unfused kernels and cpu.
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../dist/train/backend.js';
import { fusedMultiplyAdd, simdKernels } from '../../../dist/train/kernels/simd.js';

let state = 7;
const values = (n) => Float32Array.from({ length: n }, () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 30) - 1);
const [xs, fs, dys] = [values(4 * 14 * 14 * 32), values(3 * 3 * 32 * 64), values(4 * 14 * 14 * 64)];
const run = () => {
  const x = tf.tensor4d(xs, [4, 14, 14, 32]);
  const dy = tf.tensor4d(dys, [4, 14, 14, 64]);
  const y = tf.conv2d(x, tf.tensor4d(fs, [3, 3, 32, 64]), 1, 'same');
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, filterShape: [3, 3, 32, 64] });
  return [y, dw].map((t) => t.dataSync().slice());
};
await initBackend('cpu');
const cpu = run();
await initBackend('wasm');
const wasm = run();
const stats = cpu.map((ref, i) => {
  let diff = 0, max = 0, differs = 0;
  for (let j = 0; j < ref.length; j++) {
    diff = Math.max(diff, Math.abs(ref[j] - wasm[i][j]));
    max = Math.max(max, Math.abs(ref[j]));
    if (ref[j] !== wasm[i][j]) differs++;
  }
  const sha = createHash('sha256').update(wasm[i]).digest('hex');
  return { diff, max, differs, n: ref.length, sha };
});
// The unfused build's probe: its multiply and add round twice.
const exactProbe = simdKernels(tf.backend()).fma_probe();
console.log(JSON.stringify({ fma: fusedMultiplyAdd(), exactProbe, stats }));
