// Why: tfjs's moving averages keep momentum 0.99 of their old value per step, so after an
// epoch of a few hundred steps they still hold much of their initial 0 and 1 (0.99^169 = 0.18
// on 5,400 images at batch 32), and a short run evaluates a model whose statistics are not its
// own: 9.8% validation accuracy after an epoch that trained to 80%. Precise BN (Wu & Johnson
// 2021, arXiv:2105.07576 §3; fvcore's update_bn_stats, detectron2's PRECISE_BN) recomputes
// them with the weights fixed, as the plain mean of the statistics of a fixed set of batches.
import * as tf from '@tensorflow/tfjs';
import { bnReluPoolRuns, type SweepBatchNorm } from './batch-norm.js';
import { fusedBatchNorm, fusedBatchNormReluPool } from './kernels/batch-norm.js';
import { batchNormState } from './tfjs-internals.js';
import type { Split } from './tensors.js';

/** How many batches precise BN reads from an epoch of `count` images: full batches only (one short batch where there is no full one). */
export function preciseBatches(count: number, batchSize: number, batches: number): number {
  return Math.min(batches, Math.max(1, Math.floor(count / batchSize)));
}

/**
 * Sets every BatchNormalization layer's moving mean and variance to the mean, over the first
 * `batches` batches of `order` (the epoch's shuffle, of `batchSize` images as training takes
 * them), of each batch's mean and variance at that layer, each batch normalized by its own
 * statistics on the way, as in training. Nothing else changes: dropout is off (its generator
 * is not drawn, so training goes on as without this) and no weight but those statistics is
 * written. The result depends only on the weights and `order`, which the checkpoint holds, so a
 * resumed trial recomputes what an uninterrupted one did. Returns the batches it read.
 */
export function preciseBatchNorm(model: tf.LayersModel, data: Split, order: Int32Array, batchSize: number, batches: number): number {
  const layers = model.layers;
  const norms = layers.filter(isBatchNorm);
  if (norms.length === 0 || batches <= 0) return 0;
  // Nothing after the last batch norm changes its statistics: the head is not run.
  const last = layers.indexOf(norms[norms.length - 1]);
  const fusable = bnReluPoolRuns(model);
  const sums = norms.map((l) => {
    const channels = batchNormState(l).movingMean.shape[0]!;
    return { mean: new Float64Array(channels), variance: new Float64Array(channels) };
  });
  const n = preciseBatches(data.count, batchSize, batches);
  for (let b = 0; b < n; b++) {
    const idx = order.subarray(b * batchSize, Math.min((b + 1) * batchSize, data.count));
    tf.tidy(() => {
      let x: tf.Tensor = tf.gather(data.x, tf.tensor1d(idx, 'int32'));
      let k = 0;
      for (let i = 0; i <= last; i++) {
        const layer = layers[i];
        if (!isBatchNorm(layer)) {
          x = layer.apply(x, { training: false }) as tf.Tensor;
          continue;
        }
        // A block's batch norm, ReLU and pooling as one kernel where it takes them: the same floats.
        const pooled = fusable[i] ? (layer as SweepBatchNorm).batchStatistics(x, fusedBatchNormReluPool) : null;
        const [y, mean, variance] = pooled ?? batchMoments(layer, x);
        const sum = sums[k++];
        mean.dataSync().forEach((v, c) => { sum.mean[c] += v; });
        variance.dataSync().forEach((v, c) => { sum.variance[c] += v; });
        x = y;
        if (pooled !== null) i += 2;
      }
    });
  }
  tf.tidy(() => norms.forEach((l, k) => {
    const s = batchNormState(l);
    s.movingMean.write(tf.tensor1d(Float32Array.from(sums[k].mean, (v) => v / n)));
    s.movingVariance.write(tf.tensor1d(Float32Array.from(sums[k].variance, (v) => v / n)));
  }));
  return n;
}

function isBatchNorm(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === 'BatchNormalization';
}

/** The layer's training-mode output and the batch's mean and (biased) variance over every axis but the last, as SweepBatchNorm computes them. */
function batchMoments(layer: tf.layers.Layer, x: tf.Tensor): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  const s = batchNormState(layer);
  const [gamma, beta] = [s.gamma.read() as tf.Tensor1D, s.beta.read() as tf.Tensor1D];
  const fused = fusedBatchNorm(x, gamma, beta, s.epsilon);
  if (fused !== null) return fused;
  const { mean, variance } = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, i) => i));
  return [tf.batchNorm(x, mean, variance, beta, gamma, s.epsilon), mean as tf.Tensor1D, variance as tf.Tensor1D];
}
