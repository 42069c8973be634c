import * as tf from '@tensorflow/tfjs';
import { EPSILON, HITS, LOSS } from './kernels/cross-entropy.js';

// Where the backend has sweep's fused kernels (wasm), one kernel each; elsewhere tfjs ops.
const fused = () => tf.getKernel(LOSS, tf.getBackend()) !== undefined;

/**
 * Sparse categorical cross-entropy of softmax outputs [rows, classes], as Keras computes it;
 * with label smoothing ε, against targets (1 − ε)·one-hot + ε/classes, as Keras's
 * `label_smoothing` does: −(1 − ε)·log p_y − (ε/K)·Σ_k log p_k, probabilities clipped alike.
 */
export function sparseCrossEntropy(probs: tf.Tensor2D, labels: tf.Tensor1D, smoothing = 0): tf.Scalar {
  if (smoothing > 0) {
    const classes = probs.shape[1];
    const logs = tf.log(tf.clipByValue(probs, EPSILON, 1 - EPSILON));
    const targets = tf.add(tf.mul(tf.oneHot(labels, classes), 1 - smoothing), smoothing / classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, logs), -1)));
  }
  if (fused()) return tf.engine().runKernel(LOSS, { probs, labels }) as tf.Scalar;
  const picked = tf.sum(tf.mul(probs, tf.oneHot(labels, probs.shape[1])), -1);
  return tf.neg(tf.mean(tf.log(tf.clipByValue(picked, EPSILON, 1 - EPSILON))));
}

/** How many rows of `probs` have their highest probability at their label (int32 scalar). */
export function countHits(probs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (fused()) return tf.engine().runKernel(HITS, { probs, labels }) as tf.Scalar;
  return tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), labels), 'int32'));
}
