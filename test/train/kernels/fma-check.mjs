// Run by fma.test.ts in a child process, `node --experimental-wasm-relaxed-simd` (Node 20) or
// plain node (22): the convolutions and the dense kernel with fused multiply-adds, and Adam in
// the form it then takes, against the unfused kernels and cpu.
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../dist/train/backend.js';
import { fusedMultiplyAdd, simdKernels } from '../../../dist/train/kernels/simd.js';
import { sweepDense } from '../../../dist/train/kernels/dense.js';
import { FusedAdam } from '../../../dist/train/kernels/adam.js';

let state = 7;
const values = (n) => Float32Array.from({ length: n }, () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 30) - 1);
const [xs, fs, dys] = [values(4 * 14 * 14 * 32), values(3 * 3 * 32 * 64), values(4 * 14 * 14 * 64)];
// A dense layer of the notebook's ANN at batch 32, and an output layer whose width (10) takes the GEMM's last-columns block.
const [as, ws, rs, w2s] = [values(32 * 784), values(784 * 128), values(32 * 128), values(128 * 10)];
const grads = Array.from({ length: 5 }, () => values(784 * 128).map((g) => g * 0.01));
const run = () => {
  const x = tf.tensor4d(xs, [4, 14, 14, 32]);
  const dy = tf.tensor4d(dys, [4, 14, 14, 64]);
  const y = tf.conv2d(x, tf.tensor4d(fs, [3, 3, 32, 64]), 1, 'same');
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, filterShape: [3, 3, 32, 64] });
  // The dense kernel where it runs (wasm), tfjs's ops on cpu: forward, then dW and dx through its gradients.
  const a = tf.tensor2d(as, [32, 784]);
  const [w, w2] = [tf.tensor2d(ws, [784, 128]), tf.tensor2d(w2s, [128, 10])];
  const dense = (xx, ww) => (tf.getBackend() === 'wasm' ? sweepDense(xx, ww, null, { activation: 'linear', biasFirst: false }) : tf.matMul(xx, ww));
  const h = dense(a, w);
  const [dh, dw1] = tf.grads((hh, ww) => tf.sum(tf.mul(tf.tensor2d(rs.slice(0, 320), [32, 10]), dense(hh, ww))))([h, w2]);
  const dw0 = tf.grad((ww) => tf.sum(tf.mul(tf.tensor2d(rs, [32, 128]), dense(a, ww))))(w);
  // Five Adam steps on the notebook's first kernel: FusedAdam on wasm, tf.train.adam on cpu.
  const weights = tf.variable(tf.tensor2d(ws, [784, 128]));
  const adam = tf.getBackend() === 'wasm' ? new FusedAdam(0.001, 0.9, 0.999) : tf.train.adam(0.001, 0.9, 0.999);
  for (let step = 0; step < 5; step++) {
    adam.applyGradients({ [weights.name]: tf.tensor2d(grads[step], [784, 128]) });
  }
  return [y, dw, h, dh, dw1, dw0, weights].map((t) => t.dataSync().slice());
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
