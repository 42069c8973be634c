import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { FusedAdam } from './kernels/adam.js';
import { HITS, LOSS, LOSS_GRAD } from './kernels/cross-entropy.js';
import { DENSE, DENSE_GRAD_BIAS, DENSE_GRAD_INPUT, DENSE_GRAD_KERNEL, denseInference, denseKernelAvailable, type DenseAttrs } from './kernels/dense.js';
import { CONV_RELU, convReluInference, convReluPool, type ConvReluAttrs, poolFusable, poolReluGradSums, RELU_GRAD_SUMS } from './kernels/conv-relu.js';
import { firstConv, firstConvBackward, firstConvForward, type FirstConv } from './kernels/first-conv.js';
import { heapOffset } from './kernels/wasm-kernel.js';
import { nativeAddon } from './kernels/native.js';
import { SOFTMAX_GRAD } from './kernels/softmax-grad.js';
import { SweepConv2D } from './conv2d.js';
import { SweepDense } from './dense.js';
import { dropoutMask, SeededDropout } from './seeded-dropout.js';
import { conv2dState, denseState, dropoutState, madeBy, registeredVariables, variableOf } from './tfjs-internals.js';
import type { Split } from './tensors.js';
import { withDefaults } from '../spec/hyperparameters.js';
import type { TrialConfig } from '../trial/types.js';

type Hidden = { dense: SweepDense; dropout: SeededDropout | null };
/** A convolution with its bias and ReLU, then 2×2 max pooling or none: the notebook CNN's block. */
type ConvBlock = { conv: SweepConv2D; attrs: ConvReluAttrs; pool: { filterSize: [number, number]; strides: [number, number]; pad: 'valid' } | null };

const RELU: DenseAttrs = { activation: 'relu', biasFirst: false };
// The output layer's product and bias, before its softmax (SweepDense's path for softmax).
const LINEAR: DenseAttrs = { activation: 'linear', biasFirst: false };

/** Whether a configuration takes the direct step, or why it trains through tfjs. */
export type StepVerdict = { eligible: true } | { eligible: false; why: string };

// What the direct step is: the notebook's kinds of model (its ANN, and its CNN: blocks of a
// convolution with ReLU and 2×2 max pooling, flattened into the ANN), unsmoothed sparse
// cross-entropy, a plain Adam update, the images as they are. Each rule names the value that
// leaves it, or says null.
const RULES: readonly ((c: TrialConfig) => string | null)[] = [
  (c) => (c.activation === 'relu' ? null : `activation ${c.activation}: the direct step's hidden layers are relu`),
  (c) => (c.model !== 'cnn' || c.pooling !== 'avg' ? null : 'pooling avg: the direct step pools by max'),
  (c) => (c.model !== 'cnn' || c.head !== 'gap' ? null : 'head gap: the direct step flattens the last block'),
  (c) => {
    const odd = c.model === 'cnn' ? (c.filters ?? []).find((f) => f % 4 !== 0) : undefined;
    return odd === undefined ? null : `filters ${String(c.filters)}: the direct step's convolutions take multiples of 4 filters`;
  },
  (c) => (c.batchNorm ? 'batchNorm true: the direct step has no batch normalization' : null),
  (c) => (c.optimizer === 'adam' ? null : `optimizer ${c.optimizer}: the direct step updates by Adam`),
  (c) => (c.weightDecay === 0 ? null : `weightDecay ${c.weightDecay}: the direct step's Adam update has no decay`),
  (c) => (c.labelSmoothing === 0 ? null : `labelSmoothing ${c.labelSmoothing}: the loss kernel has no smoothing`),
  (c) => (c.augment === 'none' ? null : `augment ${c.augment}: the direct step trains on the images as they are`),
];

/**
 * Whether `config` trains by DirectStep (where the backend is wasm with sweep's kernels), or the
 * first reason it trains through tfjs: the one place that says which configurations do. Any
 * epochs, units, dropout, learning rate, batch size and schedule keep it; so do a CNN's
 * blocks, kernel size and filters (multiples of 4) with max pooling or none.
 */
export function directStep(config: TrialConfig): StepVerdict {
  const c = withDefaults(config);
  for (const rule of RULES) {
    const why = rule(c);
    if (why !== null) return { eligible: false, why };
  }
  return { eligible: true };
}

/**
 * The notebook's kinds of model as their layers: [SweepConv2D relu with a bias → MaxPooling2D
 * 2×2?]… → Flatten → [SweepDense relu → SeededDropout?]… → SweepDense softmax; `convs` is empty
 * for the ANN. Null for any other model, or off wasm.
 */
function plainModel(model: tf.LayersModel): { convs: ConvBlock[]; hidden: Hidden[]; output: SweepDense } | null {
  if (!denseKernelAvailable() || tf.getKernel(SOFTMAX_GRAD, 'wasm') === undefined || tf.getKernel(LOSS, 'wasm') === undefined) return null;
  if (model.inputs.length !== 1) return null;
  const layers = [...model.layers];
  const convs: ConvBlock[] = [];
  while (layers[0] instanceof SweepConv2D) {
    const conv = layers.shift() as SweepConv2D;
    const c = conv2dState(conv);
    const filters = c.kernel.shape[3] ?? 1;
    if (tf.getKernel(CONV_RELU, 'wasm') === undefined || c.bias === null || c.activation.getClassName() !== 'relu'
      || c.dataFormat !== 'channelsLast' || c.dilationRate.some((d) => d !== 1) || filters % 4 !== 0) return null;
    let pool: ConvBlock['pool'] = null;
    if (layers[0]?.getClassName() === 'MaxPooling2D') {
      const p = layers.shift() as unknown as { poolSize: [number, number]; strides: [number, number]; padding: string; dataFormat: string };
      if (p.padding !== 'valid' || p.dataFormat !== 'channelsLast') return null;
      pool = { filterSize: p.poolSize, strides: p.strides, pad: 'valid' };
    }
    convs.push({ conv, attrs: { strides: c.strides, pad: c.padding }, pool });
  }
  if (layers.shift()?.getClassName() !== 'Flatten') return null;
  const output = layers.pop();
  const activation = (l: tf.layers.Layer) => denseState(l).activation.getClassName();
  if (!(output instanceof SweepDense) || activation(output) !== 'softmax') return null;
  const hidden: Hidden[] = [];
  for (let i = 0; i < layers.length; i++) {
    const dense = layers[i];
    if (!(dense instanceof SweepDense) || activation(dense) !== 'relu') return null;
    const next = layers[i + 1];
    const dropout = next instanceof SeededDropout ? next : null;
    if (dropout !== null) {
      if (!dropout.masksInOneLoop()) return null;
      i++;
    }
    hidden.push({ dense, dropout });
  }
  return { convs, hidden, output };
}

/** A convolution's filter and bias. */
function convWeightsOf(layer: SweepConv2D): { kernel: tf.Variable; bias: tf.Variable } {
  const s = conv2dState(layer);
  return { kernel: s.kernel.read() as tf.Variable, bias: s.bias!.read() as tf.Variable };
}

/** A Dense layer's kernel and bias. */
function weightsOf(layer: SweepDense): { kernel: tf.Variable; bias: tf.Variable | null } {
  const s = denseState(layer);
  return { kernel: s.kernel.read() as tf.Variable, bias: (s.bias?.read() ?? null) as tf.Variable | null };
}

/**
 * evaluate()'s sums for the notebook's kinds of model on wasm (the loss of each slice of `rows`
 * images times its size, and the hits), by direct kernel calls: what model.predict computes,
 * the same floats, then the loss and hit kernels. Null for any other model, with label
 * smoothing (the loss kernel has none), or for a CNN where the native addon does not load (its
 * convolutions are XNNPACK's floats by the addon's exact GEMM); the rest of directStep's rules
 * are the training step's.
 */
export function evaluateDirect(model: tf.LayersModel, data: Split, rows: number, labelSmoothing = 0): { loss: number; hits: number } | null {
  if (labelSmoothing !== 0) return null;
  const plain = plainModel(model);
  if (plain === null || (plain.convs.length > 0 && nativeAddon() === null)) return null;
  const b = tf.backend() as BackendWasm;
  const kernel = (name: string, inputs: Record<string, tf.TensorInfo>, attrs: object = {}) =>
    tf.getKernel(name, 'wasm')!.kernelFunc({ inputs, backend: b, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  const pixels = tf.util.sizeFromShape(data.x.shape.slice(1));
  let [loss, hits] = [0, 0];
  for (let start = 0; start < data.count; start += rows) {
    const size = Math.min(rows, data.count - start);
    const temps: tf.TensorInfo[] = [];
    const temp = (t: tf.TensorInfo) => (temps.push(t), t);
    try {
      const labels = temp(b.makeOutput([size], 'int32'));
      (b.typedArrayFromHeap(labels) as Int32Array).set((b.typedArrayFromHeap(data.y) as Int32Array).subarray(start, start + size));
      // The slice of images in place: the first layer reads it where the split keeps it.
      let x = heapOffset(b, data.x) + 4 * start * pixels;
      let shape = [size, ...data.x.shape.slice(1)] as [number, number, number, number];
      for (const { conv, attrs, pool } of plain.convs) {
        const w = convWeightsOf(conv);
        let y = temp(convReluInference(b, x, shape, w.kernel, w.bias, attrs)!);
        if (pool !== null) y = temp(kernel('MaxPool', { x: y }, pool));
        x = heapOffset(b, y);
        shape = y.shape as typeof shape;
      }
      for (const { dense } of plain.hidden) {
        const w = weightsOf(dense);
        x = heapOffset(b, temp(denseInference(b, x, size, w.kernel, w.bias, 'relu')));
      }
      const w = weightsOf(plain.output);
      const logits = temp(denseInference(b, x, size, w.kernel, w.bias, 'product-then-bias'));
      const probs = temp(kernel('Softmax', { logits }, { dim: 1 }));
      loss += Math.fround((b.typedArrayFromHeap(temp(kernel(LOSS, { probs, labels }))) as Float32Array)[0] * size);
      hits += (b.typedArrayFromHeap(temp(kernel(HITS, { probs, labels }))) as Int32Array)[0];
    } finally {
      for (const t of temps) b.disposeData(t.dataId);
    }
  }
  return { loss, hits };
}

/**
 * One training step of the notebook's kinds of model ([Conv relu → MaxPool?]… → Flatten →
 * [Dense relu → Dropout?]… → Dense softmax, sparse cross-entropy, Adam) on wasm, as direct
 * calls of the kernels that tfjs's tape would run for `optimizer.minimize`, with the same inputs:
 * the same floats, bit for bit, without the engine's bookkeeping around each of 40–70 kernels a
 * step (the tape, tidy, tensor tracking), which cost more than the arithmetic for the ANN at
 * batch 32 and about a tenth of the CNN's step.
 * `directStep` says which configurations are of that kind, and `DirectStep.for` also checks the
 * model and optimizer built from one; anything else trains through tfjs.
 */
export class DirectStep {
  private lossSum = 0;
  private hits = 0;

  private constructor(
    private readonly backend: BackendWasm,
    private readonly convs: readonly ConvBlock[],
    private readonly hidden: readonly Hidden[],
    private readonly output: SweepDense,
    private readonly optimizer: FusedAdam,
    /** The model's trainable variables in the order tfjs's minimize hands them to the optimizer. */
    private readonly variables: readonly tf.Variable[],
  ) {}

  /**
   * The step for the model and optimizer built from `config`, or null where directStep says the
   * configuration trains through tfjs, or the model or optimizer turn out not to be of its kind
   * (or the backend is not wasm).
   */
  static for(model: tf.LayersModel, optimizer: tf.Optimizer, config: TrialConfig): DirectStep | null {
    if (!directStep(config).eligible || !madeBy(optimizer, FusedAdam)) return null;
    const mlp = plainModel(model);
    if (mlp === null) return null;
    // tfjs's minimize differentiates every trainable variable, in the order they were made.
    const own = new Set(model.trainableWeights.map(variableOf));
    const variables = registeredVariables().filter((v) => own.has(v));
    if (variables.length !== own.size) return null;
    return new DirectStep(tf.backend() as BackendWasm, mlp.convs, mlp.hidden, mlp.output, optimizer, variables);
  }

  /** Trains on the rows `idx` of `data`: one step. */
  run(data: Split, idx: Int32Array): void {
    const b = this.backend;
    const temps: tf.TensorInfo[] = [];
    const temp = (t: tf.TensorInfo) => (temps.push(t), t);
    const call = (name: string, inputs: Record<string, tf.TensorInfo>, attrs: object = {}) => temp(
      tf.getKernel(name, 'wasm')!.kernelFunc({ inputs, backend: b, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo);
    try {
      const [x, labels] = this.batch(data, idx, temp);
      const grads = new Map<tf.Variable, tf.TensorInfo>();
      const weights = (l: SweepDense) => {
        const { kernel, bias } = weightsOf(l);
        const inputs = (input: tf.TensorInfo): Record<string, tf.TensorInfo> => (bias === null ? { x: input, kernel } : { x: input, kernel, bias });
        return { kernel, bias, inputs };
      };

      // Forward. Each block's input, its convolution's output and what its pooling made; the
      // first block over one channel in one pass where the addon takes it (first-conv.ts).
      // fused: its pooling made with the convolution, and so its gradient with ReLU's (conv-relu.ts).
      const blocks: { input: tf.TensorInfo; y: tf.TensorInfo; pooled: tf.TensorInfo; first: FirstConv | null; fused: boolean }[] = [];
      let h = x;
      for (const [l, { conv, attrs, pool }] of this.convs.entries()) {
        const input = h;
        const { kernel, bias } = convWeightsOf(conv);
        const first = l === 0 ? firstConv(input.shape, kernel.shape, attrs, pool) : null;
        if (first !== null) {
          const [y, pooled] = firstConvForward(b, first, input, kernel, bias);
          temp(y);
          if (pooled !== y) temp(pooled);
          h = pooled;
          blocks.push({ input, y, pooled, first, fused: true });
          continue;
        }
        if (poolFusable(pool, kernel.shape[3] ?? 0)) {
          const [y, pooled] = convReluPool(b, input, kernel, bias, attrs).map(temp);
          h = pooled;
          blocks.push({ input, y, pooled, first, fused: true });
          continue;
        }
        const y = call(CONV_RELU, { x: input, filter: kernel, bias }, attrs);
        h = pool === null ? y : call('MaxPool', { x: y }, pool);
        blocks.push({ input, y, pooled: h, first, fused: false });
      }
      // Flatten: the same data as [n × features] (tfjs's Reshape shares it).
      if (this.convs.length > 0) h = call('Reshape', { x: h }, { shape: [idx.length, tf.util.sizeFromShape(h.shape.slice(1))] });
      // Each hidden layer's input, output (what its gradients read) and dropout's mask.
      const saved: { input: tf.TensorInfo; y: tf.TensorInfo; mask: tf.TensorInfo | null }[] = [];
      for (const { dense, dropout } of this.hidden) {
        const input = h;
        const y = call(DENSE, weights(dense).inputs(input), RELU);
        let mask: tf.TensorInfo | null = null;
        h = y;
        if (dropout !== null) {
          // As SeededDropout.call: a fresh seed per training call, then its mask.
          const seed = dropout.drawSeed();
          const s = dropoutState(dropout);
          s.seed = seed;
          mask = temp(b.makeOutput([...y.shape], 'float32'));
          dropoutMask(b.typedArrayFromHeap(mask) as Float32Array, s.rate, seed);
          h = call('Multiply', { a: y, b: mask });
        }
        saved.push({ input, y, mask });
      }
      const out = weights(this.output);
      const logits = call(DENSE, out.inputs(h), LINEAR);
      const probs = call('Softmax', { logits }, { dim: 1 });
      const cost = call(LOSS, { probs, labels });
      const hits = call(HITS, { probs, labels });
      this.lossSum = Math.fround(this.lossSum + Math.fround((b.typedArrayFromHeap(cost) as Float32Array)[0] * idx.length));
      this.hits += (b.typedArrayFromHeap(hits) as Int32Array)[0];

      // Backward, as the tape runs it from d(loss) = 1.
      const one = temp(b.makeOutput([], 'float32'));
      (b.typedArrayFromHeap(one) as Float32Array)[0] = 1;
      const dprobs = call(LOSS_GRAD, { probs, labels, dy: one });
      const dlogits = call(SOFTMAX_GRAD, { dy: dprobs, y: probs });
      grads.set(out.kernel, call(DENSE_GRAD_KERNEL, { dy: dlogits, y: logits, x: h }, LINEAR));
      if (out.bias !== null) grads.set(out.bias, call(DENSE_GRAD_BIAS, { dy: dlogits, y: logits }, LINEAR));
      let dh = call(DENSE_GRAD_INPUT, { dy: dlogits, y: logits, kernel: out.kernel }, LINEAR);
      for (let l = this.hidden.length - 1; l >= 0; l--) {
        const { input, y, mask } = saved[l];
        // Dropout's gradient: dy·cast(mask), the cast of a float32 mask a copy.
        const dy = mask === null ? dh : call('Multiply', { a: dh, b: mask });
        const w = weights(this.hidden[l].dense);
        grads.set(w.kernel, call(DENSE_GRAD_KERNEL, { dy, y, x: input }, RELU));
        if (w.bias !== null) grads.set(w.bias, call(DENSE_GRAD_BIAS, { dy, y }, RELU));
        if (l > 0 || this.convs.length > 0) dh = call(DENSE_GRAD_INPUT, { dy, y, kernel: w.kernel }, RELU);
      }
      // Back through Flatten, then each block: pooling's gradient, then ReLU's and the bias's
      // in one pass (convRelu's gradient), the filter's, and the block's input's but the images'.
      for (let l = this.convs.length - 1; l >= 0; l--) {
        const { conv, attrs, pool } = this.convs[l];
        const { input, y, pooled, first, fused } = blocks[l];
        let dy = call('Reshape', { x: dh }, { shape: [...pooled.shape] });
        if (first !== null) {
          const [dw, db] = firstConvBackward(b, first, input, y, dy).map(temp);
          const { kernel, bias } = convWeightsOf(conv);
          grads.set(bias, db);
          grads.set(kernel, dw);
          continue;
        }
        if (pool !== null && !fused) dy = call('MaxPoolGrad', { dy, input: y, output: pooled }, pool);
        const [dz, db] = (fused ? poolReluGradSums(b, dy, y)
          : tf.getKernel(RELU_GRAD_SUMS, 'wasm')!.kernelFunc({ inputs: { dy, y }, backend: b, attrs: {} }) as tf.TensorInfo[]).map(temp);
        const { kernel, bias } = convWeightsOf(conv);
        const common = { ...attrs, dataFormat: 'NHWC' };
        grads.set(bias, db);
        grads.set(kernel, call('Conv2DBackpropFilter', { x: input, dy: dz }, { ...common, filterShape: kernel.shape }));
        if (l > 0) dh = call('Conv2DBackpropInput', { dy: dz, filter: kernel }, { ...common, inputShape: input.shape });
      }
      this.optimizer.applyGradientData(this.variables.map((variable) => ({ variable, gradient: grads.get(variable)! })));
    } finally {
      for (const t of temps) b.disposeData(t.dataId);
    }
  }

  /** The loss summed over the samples trained since the last call (float32, as tfjs would sum it), and the hits; then both restart from 0. */
  takeSums(): { lossSum: number; hits: number } {
    const sums = { lossSum: this.lossSum, hits: this.hits };
    this.lossSum = 0;
    this.hits = 0;
    return sums;
  }

  /** The batch's images ([n×784] for an ANN, [n×28×28×1] for a CNN) and labels, copied row by row from the split (tf.gather's values). */
  private batch(data: Split, idx: Int32Array, temp: (t: tf.TensorInfo) => tf.TensorInfo): [tf.TensorInfo, tf.TensorInfo] {
    const b = this.backend;
    const pixels = tf.util.sizeFromShape(data.x.shape.slice(1));
    const shape = this.convs.length > 0 ? data.x.shape.slice(1) : [pixels];
    const x = temp(b.makeOutput([idx.length, ...shape], 'float32'));
    const labels = temp(b.makeOutput([idx.length], 'int32'));
    // Views after the outputs are made: growing the heap detaches older ones.
    const images = b.typedArrayFromHeap(data.x) as Float32Array;
    const classes = b.typedArrayFromHeap(data.y) as Int32Array;
    const [xs, ys] = [b.typedArrayFromHeap(x) as Float32Array, b.typedArrayFromHeap(labels) as Int32Array];
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i];
      if (!(r >= 0 && r < data.count)) throw new Error(`batch index ${r} is not in [0, ${data.count - 1}]`);
      ys[i] = classes[r];
    }
    // The images' rows: by the native addon where it loads (it fetches the next row while it
    // copies one), else copied within the heap here.
    const native = nativeAddon();
    if (native !== null) native.gather_rows(images.buffer as ArrayBuffer, images.byteOffset, xs.byteOffset, pixels, data.count, idx);
    else {
      const heap = new Float32Array(images.buffer);
      const [from, to] = [images.byteOffset / 4, xs.byteOffset / 4];
      for (let i = 0; i < idx.length; i++) heap.copyWithin(to + i * pixels, from + idx[i] * pixels, from + (idx[i] + 1) * pixels);
    }
    return [x, labels];
  }
}
