import * as tf from '@tensorflow/tfjs';
import { denseKernelAvailable, sweepDense } from './kernels/dense.js';
import { denseClass, denseState, gradientDepth } from './tfjs-internals.js';

type Kwargs = Record<string, unknown>;

/**
 * tfjs's Dense that, while gradients are recorded (training) on the wasm backend, computes its
 * product, bias and ReLU as one kernel, and its gradients as one kernel each (`sweepDense`),
 * with the floats tfjs computes there: relu as its unfused product, add and relu; linear as its
 * fused product, sums starting from the bias; any other activation (softmax) as a product, a
 * bias add, then the activation. Elsewhere, and in inference, it is tfjs's Dense. Same weights;
 * it serialises as a plain `Dense`.
 */
export class SweepDense extends denseClass() {
  static className = 'Dense';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const s = denseState(this);
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (input === undefined || input.rank !== 2 || input.dtype !== 'float32' || !recordingGradients() || !denseKernelAvailable()) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      s.invokeCallHook(inputs, kwargs);
      const name = s.activation.getClassName();
      const bias = (s.bias?.read() ?? null) as tf.Tensor1D | null;
      const kernel = s.kernel.read() as tf.Tensor2D;
      const x = input as tf.Tensor2D;
      if (name === 'relu') return sweepDense(x, kernel, bias, { activation: 'relu', biasFirst: false });
      if (name === 'linear') return sweepDense(x, kernel, bias, { activation: 'linear', biasFirst: true });
      return s.activation.apply(sweepDense(x, kernel, bias, { activation: 'linear', biasFirst: false }));
    });
  }
}

/** Whether tfjs is recording gradients: then it computes a Dense layer unfused (see tfjs's fused matMul). */
function recordingGradients(): boolean {
  return gradientDepth() > 0;
}
