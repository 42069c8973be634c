import * as tf from '@tensorflow/tfjs';
import { convRelu, convReluAvailable } from './kernels/conv-relu.js';
import { conv2dClass, conv2dState, gradientDepth } from './tfjs-internals.js';

type Kwargs = Record<string, unknown>;

/**
 * tfjs's Conv2D that, with no bias and a linear activation (the layers batch normalization
 * follows), convolves with tf.conv2d instead of tf.fused.conv2d. The result is the same; the
 * difference is in training: the fused op's custom gradient computes the gradient of its input
 * even where nothing needs it, as for the first layer, whose input is the images (a quarter of
 * the backward pass of the notebook's CNN). tf.conv2d's gradient is computed only where used.
 * With a bias and ReLU (the notebook's CNN), while gradients are recorded on the wasm backend
 * with sweep's kernels, it is one kernel forward whose epilogue adds the bias and applies ReLU,
 * and one pass backward for ReLU's gradient and the bias's (`convRelu`): the floats tfjs's
 * Conv2D, Add and Relu compute, and their gradients', without three passes over the activation.
 * Same weights; it serialises as a plain `Conv2D`.
 */
export class SweepConv2D extends conv2dClass() {
  static className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const s = conv2dState(this);
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (input !== undefined && s.bias !== null && s.activation.getClassName() === 'relu' && s.dataFormat === 'channelsLast'
      && s.dilationRate.every((d) => d === 1) && gradientDepth() > 0 && convReluAvailable(input, s.kernel.read())) {
      return tf.tidy(() => convRelu(input as tf.Tensor4D, s.kernel.read() as tf.Tensor4D, s.bias!.read() as tf.Tensor1D, { strides: s.strides, pad: s.padding }));
    }
    const plain = input !== undefined && input.rank === 4 && s.bias === null && s.dataFormat === 'channelsLast'
      && s.activation.getClassName() === 'linear';
    if (!plain) return super.call(inputs, kwargs);
    return tf.tidy(() => tf.conv2d(input as tf.Tensor4D, s.kernel.read() as tf.Tensor4D, s.strides, s.padding, 'NHWC', s.dilationRate));
  }
}
