// Run by matmul.test.ts in a child process with SWEEP_NATIVE=0: a Dense layer's _FusedMatMul on
// simd.wat's exact GEMM alone (no addon), against XNNPACK's own kernel, bit for bit.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../dist/train/backend.js';
import { builtinFusedMatMulKernel } from '../../../dist/train/kernels/matmul.js';
import { nativeStatus } from '../../../dist/train/kernels/native.js';

await initBackend('wasm');
let state = 7;
const values = (n) => Float32Array.from({ length: n }, () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 30) - 1);
const run = (config, inputs, attrs) => {
  const out = tf.engine().makeTensorFromTensorInfo(config.kernelFunc({ inputs, backend: tf.backend(), attrs }));
  const bits = new Uint32Array(out.dataSync().slice().buffer);
  out.dispose();
  return bits;
};
const cases = [];
for (const [m, k, n] of [[256, 3136, 256], [37, 300, 13], [5, 7, 3]]) {
  for (const activation of ['linear', 'relu']) {
    for (const withBias of [false, true]) {
      const a = values(m * k);
      a[k + 1] = NaN;
      a[5] = -0;
      const inputs = { a: tf.tensor(a, [1, m, k]), b: tf.tensor(values(k * n), [1, k, n]) };
      if (withBias) inputs.bias = tf.tensor(values(n), [n]);
      const attrs = { transposeA: false, transposeB: false, activation };
      const ours = run(tf.getKernel('_FusedMatMul', 'wasm'), inputs, attrs);
      const theirs = run(builtinFusedMatMulKernel(), inputs, attrs);
      tf.dispose(Object.values(inputs));
      cases.push({ shape: [m, k, n], activation, withBias, same: ours.length === theirs.length && ours.every((v, i) => v === theirs[i]) });
    }
  }
}
process.stdout.write(JSON.stringify({ native: nativeStatus(), cases }));
