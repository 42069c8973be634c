import * as tf from '@tensorflow/tfjs';
import { conv2dClass, conv2dState } from './tfjs-internals.js';

type Kwargs = Record<string, unknown>;

/**
 * tfjs's Conv2D that, with no bias and a linear activation (the layers batch normalization
 * follows), convolves with tf.conv2d instead of tf.fused.conv2d. The result is the same; the
 * difference is in training: the fused op's custom gradient computes the gradient of its input
 * even where nothing needs it, as for the first layer, whose input is the images (a quarter of
 * the backward pass of the notebook's CNN). tf.conv2d's gradient is computed only where used.
 * Same weights; it serialises as a plain `Conv2D`.
 */
export class SweepConv2D extends conv2dClass() {
  static className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const s = conv2dState(this);
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const plain = input !== undefined && input.rank === 4 && s.bias === null && s.dataFormat === 'channelsLast'
      && s.activation.getClassName() === 'linear';
    if (!plain) return super.call(inputs, kwargs);
    return tf.tidy(() => tf.conv2d(input as tf.Tensor4D, s.kernel.read() as tf.Tensor4D, s.strides, s.padding, 'NHWC', s.dilationRate));
  }
}
