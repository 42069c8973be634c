import * as tf from '@tensorflow/tfjs';
import { fusedBatchNorm, fusedBatchNormReluPool } from './kernels/batch-norm.js';
import { batchNormClass, batchNormState } from './tfjs-internals.js';

type Kwargs = Record<string, unknown>;
type FusedKernel = (x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number) => [tf.Tensor, tf.Tensor1D, tf.Tensor1D] | null;

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
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    // As tfjs: a missing `training` means inference.
    if (!kwargs.training || input === undefined) return super.call(inputs, kwargs);
    return tf.tidy(() => this.trainWith(input, fusedBatchNorm) ?? super.call(inputs, kwargs));
  }

  /**
   * This layer, then a ReLU and 2×2 max pooling (stride 2, no padding), in training mode as one
   * kernel and one for the gradient: the three layers' output and moving averages, to the bit.
   * Null where the kernel can't take them (then apply the three).
   */
  trainWithReluPool(input: tf.Tensor): tf.Tensor | null {
    return this.trainWith(input, fusedBatchNormReluPool);
  }

  /**
   * Training mode by `kernel` (over the last axis, centred and scaled, as the fused kernels do):
   * its output, the moving averages updated from its statistics; null where it can't.
   */
  private trainWith(input: tf.Tensor, kernel: FusedKernel): tf.Tensor | null {
    const fused = this.batchStatistics(input, kernel);
    if (fused === null) return null;
    const [y, mean, variance] = fused;
    const s = batchNormState(this);
    movingAverage(s.movingMean, mean, s.momentum);
    movingAverage(s.movingVariance, variance, s.momentum);
    return y;
  }

  /**
   * `kernel`'s training-mode output for `input` with the batch's mean and variance, the moving
   * averages untouched (precise BN's statistics); null where it can't take them.
   */
  batchStatistics(input: tf.Tensor, kernel: FusedKernel): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] | null {
    const s = batchNormState(this);
    if (input.rank < 2 || !s.center || !s.scale || (s.axis !== -1 && s.axis !== input.rank - 1)) return null;
    return kernel(input, s.gamma.read() as tf.Tensor1D, s.beta.read() as tf.Tensor1D, s.epsilon);
  }
}

/** Whether `layers` from `i` are batch norm, ReLU, then 2×2 max pooling at stride 2 without padding: a CNN block's tail. */
function bnReluPoolAt(layers: readonly tf.layers.Layer[], i: number): boolean {
  const [bn, act, pool] = [layers[i], layers[i + 1], layers[i + 2]];
  if (!(bn instanceof SweepBatchNorm) || act?.getClassName() !== 'Activation' || pool?.getClassName() !== 'MaxPooling2D') return false;
  const p = pool.getConfig();
  return act.getConfig().activation === 'relu' && p.padding === 'valid' && p.dataFormat === 'channelsLast'
    && String(p.poolSize) === '2,2' && String(p.strides) === '2,2';
}

const runs = new WeakMap<tf.LayersModel, readonly boolean[]>();

/** bnReluPoolAt at each of the model's layers, worked out once per model (the training step and precise BN ask every batch). */
export function bnReluPoolRuns(model: tf.LayersModel): readonly boolean[] {
  let at = runs.get(model);
  if (at === undefined) runs.set(model, at = model.layers.map((_, i) => bnReluPoolAt(model.layers, i)));
  return at;
}
