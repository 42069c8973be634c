import * as tf from '@tensorflow/tfjs';
import { fusedBatchNorm, fusedBatchNormReluPool } from './kernels/batch-norm.js';
import { batchNormClass, batchNormState } from './tfjs-internals.js';

type Kwargs = Record<string, unknown>;

/** variable ← variable − (variable − value)·(1 − momentum), with tfjs's ops in tfjs's order. */
function movingAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

/**
 * tfjs's BatchNormalization whose training pass over the last axis runs as one fused kernel
 * (and one for its gradient) where the backend has them (wasm); everything else is tfjs's own.
 * Same weights, same moving averages; it serialises as a plain `BatchNormalization`.
 */
export class SweepBatchNorm extends batchNormClass() {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const s = batchNormState(this);
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    // As tfjs: a missing `training` means inference.
    if (!kwargs.training || input === undefined || input.rank < 2 || !s.center || !s.scale) return super.call(inputs, kwargs);
    if (s.axis !== -1 && s.axis !== input.rank - 1) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const fused = fusedBatchNorm(input, s.gamma.read() as tf.Tensor1D, s.beta.read() as tf.Tensor1D, s.epsilon);
      if (fused === null) return super.call(inputs, kwargs);
      const [y, mean, variance] = fused;
      movingAverage(s.movingMean, mean, s.momentum);
      movingAverage(s.movingVariance, variance, s.momentum);
      return y;
    });
  }

  /**
   * This layer, then a ReLU and 2×2 max pooling (stride 2, no padding), in training mode as one
   * kernel and one for the gradient: the three layers' output and moving averages, to the bit.
   * Null where the kernel can't take them (then apply the three).
   */
  trainWithReluPool(input: tf.Tensor): tf.Tensor | null {
    const s = batchNormState(this);
    if (!s.center || !s.scale || (s.axis !== -1 && s.axis !== input.rank - 1)) return null;
    const fused = fusedBatchNormReluPool(input, s.gamma.read() as tf.Tensor1D, s.beta.read() as tf.Tensor1D, s.epsilon);
    if (fused === null) return null;
    const [pooled, mean, variance] = fused;
    movingAverage(s.movingMean, mean, s.momentum);
    movingAverage(s.movingVariance, variance, s.momentum);
    return pooled;
  }
}

/** Whether `layers` from `i` are batch norm, ReLU, then 2×2 max pooling at stride 2 without padding: a CNN block's tail. */
export function bnReluPoolAt(layers: readonly tf.layers.Layer[], i: number): boolean {
  const [bn, act, pool] = [layers[i], layers[i + 1], layers[i + 2]];
  if (!(bn instanceof SweepBatchNorm) || act?.getClassName() !== 'Activation' || pool?.getClassName() !== 'MaxPooling2D') return false;
  const p = pool.getConfig();
  return act.getConfig().activation === 'relu' && p.padding === 'valid' && p.dataFormat === 'channelsLast'
    && String(p.poolSize) === '2,2' && String(p.strides) === '2,2';
}
