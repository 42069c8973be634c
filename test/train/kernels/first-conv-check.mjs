// Run by first-conv.test.ts in a child process, `node --experimental-wasm-relaxed-simd` (Node 20)
// or plain node (22), as `sweep run` trains: the first convolution's one-pass kernels (native.c's
// conv1_forward and conv1_backward, first-conv.ts) with each of the machine's vector widths,
// against the kernels they replace on the same inputs (CONV_RELU, XNNPACK's own MaxPool; MaxPoolGrad,
// RELU_GRAD_SUMS, Conv2DBackpropFilter), float for float; then a CNN trained by the direct step,
// which uses them, against the same CNN trained through tfjs's tape.
import * as tf from '@tensorflow/tfjs';
import { loadFashionMnist } from '../../../dist/data/fashion-mnist.js';
import { initBackend } from '../../../dist/train/backend.js';
import { DirectStep } from '../../../dist/train/direct-step.js';
import { CONV_RELU, RELU_GRAD_SUMS } from '../../../dist/train/kernels/conv-relu.js';
import { firstConv } from '../../../dist/train/kernels/first-conv.js';
import { fusedMultiplyAdd } from '../../../dist/train/kernels/fma.js';
import { builtinMaxPool } from '../../../dist/train/kernels/max-pool.js';
import { nativeAddon } from '../../../dist/train/kernels/native.js';
import { heapOffset } from '../../../dist/train/kernels/wasm-kernel.js';
import { disposeSplits, makeSplits } from '../../../dist/train/tensors.js';
import { trainTrial } from '../../../dist/train/train.js';

await initBackend('wasm');
const backend = tf.backend();
const native = nativeAddon();
const memory = () => backend.wasm.asm.memory.buffer;
const isas = native === null ? [] : native.isa() === 'avx512' ? ['avx512', 'avx2'] : ['avx2'];
const out = { fma: fusedMultiplyAdd(), isa: native?.isa() ?? 'none', kernels: [], plain: [], training: null, batchNorm: null, declined: [] };
let state = 3;
const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 30 - 1;
const special = [0, -0, Infinity, -Infinity, NaN];
/** n values in [-1, 1) times scale, every `every`-th one of ±0, ±∞ or NaN in turn (none where every is 0). */
const values = (n, every, scale = 1) => Float32Array.from({ length: n }, (_, i) => (every > 0 && i % every === every - 1 ? special[(i / every | 0) % special.length] : random() * scale));
// Bit patterns; NaN compares as NaN (its payload is the engine's choice).
const bits = (t) => new Uint32Array(t.dataSync().slice().buffer);
const nan = (u) => (u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0;
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i] || (nan(v) && nan(b[i])));
const at = (t) => heapOffset(backend, t);
const POOL = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };

// 'same' and 'valid' padding, odd output sizes (a last row and column outside every window),
// 1 to 25 taps, 16 to 48 filters.
const CASES = [
  [3, 28, 28, 32, 3, 3, 'same', true], [2, 9, 7, 48, 3, 3, 'valid', true], [2, 12, 12, 16, 5, 5, 'same', false],
  [1, 6, 6, 16, 2, 2, 'same', true], [2, 10, 11, 32, 1, 1, 'valid', true], [2, 8, 8, 16, 3, 3, 'same', false],
];
for (const [n, h, w, co, kh, kw, pad, pooled] of CASES) {
  // plain values; ±0, ±∞ and NaN at a few pixels of the images (windows that mix NaN with
  // numbers); or in a few channels' filters and biases, and in the incoming gradient, where the
  // other channels stay finite.
  for (const specials of ['none', 'images', 'weights']) {
    for (const levels of [0, 3]) {
      const attrs = { strides: [1, 1], pad };
      const plan = firstConv([n, h, w, 1], [kh, kw, 1, co], attrs, pooled ? POOL : null);
      if (plan === null) { out.kernels.push({ case: [n, h, w, co, kh, kw, pad, pooled], planned: false }); continue; }
      // A few levels make ties in the windows (after ReLU, zeros tie too).
      const image = values(n * h * w, specials === 'images' ? 23 : 0).map((v) => (levels > 0 && Number.isFinite(v) ? Math.round(v * levels) / levels : v));
      const x = tf.tensor4d(image, [n, h, w, 1]);
      const f = values(kh * kw * co, 0);
      const b = values(co, 0, 0.1);
      if (specials === 'weights') {
        [f[1], f[co + 2], f[3]] = [NaN, Infinity, -Infinity];
        [b[4], b[5], b[6], b[7]] = [-0, NaN, Infinity, -Infinity];
      }
      const filter = tf.tensor4d(f, [kh, kw, 1, co]);
      const bias = tf.tensor1d(b);
      // The kernels the one-pass ones replace.
      const y0 = tf.engine().runKernel(CONV_RELU, { x, filter, bias }, attrs);
      // XNNPACK's own MaxPool: tf.maxPool now runs sweep's native one for these windows.
      const p0 = pooled ? tf.engine().makeTensorFromTensorInfo(builtinMaxPool().kernelFunc({ inputs: { x: y0 }, backend, attrs: { filterSize: 2, strides: 2, pad: 'valid' } })) : y0;
      const g = values(p0.size, 0);
      if (specials === 'weights') [g[co + 8], g[3 * co + 9], g[5 * co + 10], g[7 * co + 11]] = [NaN, Infinity, -Infinity, -0];
      const dpool = tf.tensor(g, p0.shape);
      const dx0 = pooled ? tf.engine().runKernel('MaxPoolGrad', { dy: dpool, input: y0, output: p0 }, POOL) : dpool;
      const [dz0, db0] = tf.engine().runKernel(RELU_GRAD_SUMS, { dy: dx0, y: y0 });
      const dw0 = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dz0 }, { ...attrs, dataFormat: 'NHWC', filterShape: [kh, kw, 1, co] });
      for (const isa of isas) {
        const extra = isa === 'avx2' ? ['avx2'] : [];
        const [y, p, dw, db] = [tf.fill(y0.shape, 7), tf.fill(p0.shape, 7), tf.fill(dw0.shape, 7), tf.fill(db0.shape, 7)];
        native.conv1_forward(memory(), at(x), at(filter), at(bias), at(y), pooled ? at(p) : 0, ...plan.geometry, ...extra);
        native.conv1_backward(memory(), at(x), at(y0), at(dpool), at(dw), at(db), ...plan.geometry, ...extra);
        const count = (t, test) => bits(t).filter(test).length;
        out.kernels.push({
          case: [n, h, w, co, kh, kw, pad, pooled], specials, levels, isa, planned: true,
          y: same(bits(y), bits(y0)), pooled: pooled ? same(bits(p), bits(p0)) : null, dw: same(bits(dw), bits(dw0)), db: same(bits(db), bits(db0)),
          // What the case holds: NaN in the activations, gradients of -0 (ReLU's 0 times a negative
          // gradient), and how many of the filter's gradients stayed numbers.
          nanY: count(y0, nan), negativeZeroDz: count(dz0, (u) => u === 0x80000000), numbersDw: count(dw0, (u) => !nan(u)), sizeDw: dw0.size,
        });
      }
    }
  }
}
// Without the epilogue: Conv2D's plain sum and Conv2DBackpropFilter from dz (a batch-normalised
// CNN's first layer, which has no bias), against the GEMM over im2col they replace.
for (const [n, h, w, co, kh, kw, pad] of CASES) {
  const attrs = { strides: [1, 1], pad };
  const plan = firstConv([n, h, w, 1], [kh, kw, 1, co], attrs, null);
  if (plan === null) { out.plain.push({ case: [n, h, w, co, kh, kw, pad], planned: false }); continue; }
  const geometry = [...plan.geometry.slice(0, 10), 0, 0];
  const [, , , oh, ow] = geometry;
  const gemmGeometry = [n, h, w, 1, oh, ow, co, kh, kw, 1, 1, geometry[8], geometry[9]];
  const x = tf.tensor1d(values(n * h * w, 31));
  const filter = tf.tensor1d(values(kh * kw * co, 0));
  const dz = tf.tensor1d(values(n * oh * ow * co, 0).map((v, i) => (i % 41 === 3 ? -0 : i % 97 === 5 ? 0 : v)));
  const rows = 1000;
  const col = tf.zeros([rows * kh * kw]);
  const [y0, dw0] = [tf.zeros([n * oh * ow * co]), tf.zeros([kh * kw * co])];
  native.conv_forward(memory(), at(x), at(filter), at(y0), at(col), rows, ...gemmGeometry);
  native.conv_filter_grad(memory(), at(x), at(dz), at(dw0), at(col), rows, ...gemmGeometry);
  for (const isa of isas) {
    const extra = isa === 'avx2' ? ['avx2'] : [];
    const [y, dw] = [tf.fill(y0.shape, 7), tf.fill(dw0.shape, 7)];
    native.conv1_forward(memory(), at(x), at(filter), 0, at(y), 0, ...geometry, ...extra);
    native.conv1_backward(memory(), at(x), 0, at(dz), at(dw), 0, ...geometry, ...extra);
    out.plain.push({ case: [n, h, w, co, kh, kw, pad], isa, planned: true, y: same(bits(y), bits(y0)), dw: same(bits(dw), bits(dw0)), nanY: bits(y0).filter(nan).length });
  }
}

// Where the one-pass kernels do not apply, the plan says so and the general kernels run.
for (const [xShape, filterShape, strides, pool] of [
  [[2, 8, 8, 3], [3, 3, 3, 16], [1, 1], POOL], [[2, 8, 8, 1], [3, 3, 1, 8], [1, 1], POOL], [[2, 8, 8, 1], [3, 3, 1, 16], [2, 2], null],
  [[2, 8, 8, 1], [3, 3, 1, 16], [1, 1], { filterSize: [3, 3], strides: [2, 2], pad: 'valid' }], [[2, 12, 12, 1], [7, 7, 1, 16], [1, 1], null],
]) out.declined.push(firstConv(xShape, filterShape, { strides, pad: 'same' }, pool) === null);

// Training: a CNN whose first block is one channel in and 16 filters, by the direct step (which
// uses the one-pass kernels) and through tfjs's tape, the same weights and metrics bit for bit.
if (native !== null) {
  const splits = makeSplits(await loadFashionMnist(), { validationSplit: 0.2, trainLimit: 601, testLimit: 200 });
  const config = {
    model: 'cnn', epochs: 2, filters: [16, 32], units: [32], kernelSize: 3, pooling: 'max', activation: 'relu', dropout: 0.2,
    optimizer: 'adam', learningRate: 0.001, batchSize: 32,
  };
  let calls = 0;
  const backward = native.conv1_backward;
  // The calls with the epilogue (the last argument): the direct step's; the tape's Conv2DBackpropFilter has none.
  native.conv1_backward = (...args) => (args.at(-1) === 1 && calls++, backward(...args));
  const train = async () => {
    const { model, seconds: _, epochs, ...outcome } = await trainTrial({ config, seed: 7, splits, backend: 'wasm' });
    const weights = model.getWeights().map((t) => Array.from(bits(t)));
    model.dispose();
    return { outcome, epochs: epochs.map(({ seconds: __, ...e }) => e), weights };
  };
  const direct = await train();
  const fusedCalls = calls;
  const forDirect = DirectStep.for;
  DirectStep.for = () => null;
  const tape = await train();
  DirectStep.for = forDirect;
  native.conv1_backward = backward;
  out.training = {
    fusedCalls, steps: Math.ceil(splits.train.count / config.batchSize) * config.epochs, tapeCalls: calls - fusedCalls,
    same: JSON.stringify(direct) === JSON.stringify(tape), accuracy: direct.outcome.valAccuracy,
  };

  // A batch-normalised CNN trains through tfjs's tape: its first layer's Conv2D and
  // Conv2DBackpropFilter take the kernels without the epilogue. Against the same training with
  // them put back to the GEMM over im2col, weight for weight.
  const bn = { ...config, batchNorm: true, epochs: 1 };
  const [forward, filterGrad] = [native.conv1_forward, native.conv1_backward];
  let plainCalls = 0;
  const count = (f) => (...args) => (args.at(-1) === 0 && plainCalls++, f(...args));
  native.conv1_forward = count(forward);
  native.conv1_backward = count(filterGrad);
  const trainBn = async () => {
    const { model, seconds: _, epochs, ...outcome } = await trainTrial({ config: bn, seed: 5, splits, backend: 'wasm' });
    const weights = model.getWeights().map((t) => Array.from(bits(t)));
    model.dispose();
    return { outcome, epochs: epochs.map(({ seconds: __, ...e }) => e), weights };
  };
  const withPlain = await trainBn();
  const plainSeen = plainCalls;
  // The GEMM's way, on a scratch im2col buffer made before training starts.
  const scratch = tf.zeros([4096 * 9]);
  const gemmGeometry = (g) => [g[0], g[1], g[2], 1, g[3], g[4], g[5], g[6], g[7], 1, 1, g[8], g[9]];
  native.conv1_forward = (mem, x, w, bias, y, pooled, ...g) => native.conv_forward(memory(), x, w, y, at(scratch), 4096, ...gemmGeometry(g));
  native.conv1_backward = (mem, x, y, dz, dw, db, ...g) => native.conv_filter_grad(memory(), x, dz, dw, at(scratch), 4096, ...gemmGeometry(g));
  const withGemm = await trainBn();
  [native.conv1_forward, native.conv1_backward] = [forward, filterGrad];
  scratch.dispose();
  out.batchNorm = { plainCalls: plainSeen, steps: Math.ceil(splits.train.count / bn.batchSize), same: JSON.stringify(withPlain) === JSON.stringify(withGemm), accuracy: withPlain.outcome.valAccuracy };
  disposeSplits(splits);
}
console.log(JSON.stringify(out));
