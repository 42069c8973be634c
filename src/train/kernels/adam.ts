// Why: tfjs's Adam spends ~13 kernels and ~6 scalar uploads per variable per step; on the wasm
// backend each small kernel costs more in bookkeeping than in arithmetic, so the optimiser took
// about half of an ANN step. This is the same update in one kernel per variable, with the same
// float32 operations in tfjs's order (simd.wat), so it gives bit-identical weights; or, where the
// products fuse their multiply-adds (relaxed SIMD, so the floats already differ from tfjs's), in
// PyTorch's form, with one division and one square root where tfjs's order has three divisions:
// the update is bound by the divider, and that form is 1.5x faster (97 against 64 µs for the
// notebook's 101,770 weights, the kernel alone). That form also stores moments below float32's
// normal range as 0: a weight whose gradient stays 0 has its first moment decay into subnormals,
// whose arithmetic is slow here (15% of the notebook's first-layer moments after 12,000 steps;
// its epochs 2-5 went from 1.09-1.20 s to 0.90-0.93 s). Where the native kernels are built
// (native.c), that form runs there on wider vectors, the same floats: 64 against 134 µs a step.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { adamState, kernelAttrs, registeredVariable } from '../tfjs-internals.js';
import { fusedMultiplyAdd, productKernels, simdKernels } from './simd.js';
import { heapOffset, type KernelArgs } from './wasm-kernel.js';

const KERNEL = 'SweepAdamUpdate';
const f = Math.fround;

type AdamAttrs = { beta1: number; beta2: number; epsilon: number; learningRate: number };

/** The kernel; with `into`, it writes the new value and moments there (in place) instead of new outputs. */
function adamUpdateWasm(args: KernelArgs, into?: tf.TensorInfo[]): tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { value, m, v, gradient, accBeta1, accBeta2 } = args.inputs as Record<string, tf.TensorInfo>;
  const { beta1, beta2, epsilon, learningRate } = kernelAttrs<AdamAttrs>(args.attrs);
  const outs = into ?? [value, m, v].map((t) => backend.makeOutput([...t.shape], 'float32'));
  const a1 = (backend.typedArrayFromHeap(accBeta1) as Float32Array)[0];
  const a2 = (backend.typedArrayFromHeap(accBeta2) as Float32Array)[0];
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  const ptrs = [at(value), at(m), at(v), at(gradient), at(outs[0]), at(outs[1]), at(outs[2]), tf.util.sizeFromShape(value.shape)] as const;
  const [oma1, oma2] = [f(1 - a1), f(1 - a2)];
  if (fusedMultiplyAdd()) {
    // Where the products fuse their multiply-adds, Adam takes PyTorch's form: the step's two bias
    // corrections folded into two scalars, one division and one square root per weight; on the
    // native kernels where they are built (the same floats).
    productKernels(backend)!.adam_fast(...ptrs, f(beta1), f(1 - beta1), f(beta2), f(1 - beta2),
      f(f(-learningRate) / oma1), f(1 / Math.sqrt(oma2)), f(epsilon));
  } else {
    // The float32 scalars tfjs's AdamOptimizer builds, in the order it applies them.
    simdKernels(backend)!.adam(...ptrs, f(beta1), f(1 - beta1), f(beta2), f(1 - beta2), oma1, oma2, f(epsilon), f(-learningRate));
  }
  return outs;
}

/** Registers the fused Adam update for backend 'wasm'. Idempotent. */
export function registerWasmAdam(): void {
  if (tf.getKernel(KERNEL, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: (args: KernelArgs) => adamUpdateWasm(args) });
  }
}

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/**
 * tfjs's Adam, with the per-variable update done by one fused kernel where the backend has it
 * (wasm); elsewhere the stock update. Same state and saved weights; the same results bit for bit,
 * except where the products fuse multiply-adds (then PyTorch's form of the update, see above).
 */
export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Gradients): void {
    const backend = tf.backend();
    if (tf.getKernel(KERNEL, tf.getBackend()) === undefined || simdKernels(backend as BackendWasm) === null) {
      super.applyGradients(variableGradients);
      return;
    }
    const s = adamState(this);
    const named: { name: string; tensor: tf.Tensor }[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const attrs = { beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, learningRate: s.learningRate };
    tf.tidy(() => {
      named.forEach(({ name, tensor: gradient }, i) => {
        const value = registeredVariable(name);
        const [m, v] = this.moments(i, value);
        if (gradient == null) return;
        const [w1, m1, v1] = tf.engine().runKernel<tf.Tensor[]>(KERNEL, {
          value, m, v, gradient, accBeta1: s.accBeta1, accBeta2: s.accBeta2,
        }, attrs);
        m.assign(m1);
        v.assign(v1);
        value.assign(w1);
      });
    });
    this.advance();
  }

  /**
   * The same update from gradients that are backend data, not tensors (sweep's direct training
   * step, src/train/direct-step.ts): variables in the order tfjs's minimize would give them. The
   * moments are written in place where no other tensor shares their data (allocation and
   * bookkeeping saved); the value always goes to new data, as assign does, since the backend
   * caches operators by a weight's data (XNNPACK's packed weights in predict) and would not see
   * it change in place.
   */
  applyGradientData(grads: readonly { variable: tf.Variable; gradient: tf.TensorInfo }[]): void {
    const backend = tf.backend() as BackendWasm;
    const s = adamState(this);
    const attrs = { beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, learningRate: s.learningRate };
    const own = (t: tf.Tensor) => backend.refCount(t.dataId) === 1;
    grads.forEach(({ variable, gradient }, i) => {
      const [m, v] = this.moments(i, variable);
      const inputs = { value: variable, m, v, gradient, accBeta1: s.accBeta1, accBeta2: s.accBeta2 };
      const inPlace = own(m) && own(v);
      const outs = adamUpdateWasm({ inputs, backend, attrs }, [
        backend.makeOutput([...variable.shape], 'float32'),
        ...(inPlace ? [m, v] : [m, v].map((t) => backend.makeOutput([...t.shape], 'float32'))),
      ]);
      const replace = (target: tf.Variable, info: tf.TensorInfo) => {
        const t = tf.engine().makeTensorFromTensorInfo(info);
        target.assign(t);
        t.dispose();
      };
      replace(variable, outs[0]);
      if (!inPlace) {
        replace(m, outs[1]);
        replace(v, outs[2]);
      }
    });
    this.advance();
  }

  /** The i-th variable's moments, made (zeros) on its first update, as tfjs's AdamOptimizer makes them. */
  private moments(i: number, value: tf.Variable): [tf.Variable, tf.Variable] {
    const s = adamState(this);
    s.accumulatedFirstMoment[i] ??= { originalName: `${value.name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    s.accumulatedSecondMoment[i] ??= { originalName: `${value.name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    return [s.accumulatedFirstMoment[i].variable, s.accumulatedSecondMoment[i].variable];
  }

  /** After each update: β₁ᵗ and β₂ᵗ, then the iteration count. */
  private advance(): void {
    const s = adamState(this);
    tf.tidy(() => {
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    this.incrementIterations();
  }
}
