// Why: Keras's sparse categorical cross-entropy on softmax outputs, built from tfjs ops
// (one-hot, multiply, sum, clip, log, mean) with its accuracy (argmax, equal, cast, sum),
// is ~40 small kernels per training step with its gradient; on the wasm backend each costs
// more in bookkeeping than in arithmetic. Here each is one kernel, with the same math.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Keras clips probabilities by this epsilon before the log in cross-entropy. */
export const EPSILON = 1e-7;
const LO = Math.fround(EPSILON);
const HI = Math.fround(1 - EPSILON);

export const LOSS = 'SweepSparseCrossEntropy';
export const LOSS_GRAD = 'SweepSparseCrossEntropyGrad';
export const HITS = 'SweepCountHits';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Views = { probs: Float32Array; labels: Int32Array; rows: number; classes: number };

function views(backend: BackendWasm, probs: tf.TensorInfo, labels: tf.TensorInfo): Views {
  const [rows, classes] = probs.shape;
  return {
    probs: backend.typedArrayFromHeap(probs) as Float32Array,
    labels: backend.typedArrayFromHeap(labels) as Int32Array,
    rows, classes,
  };
}

/** A kernel whose output is one number computed from the probabilities and the labels. */
function scalarKernel(dtype: 'float32' | 'int32', compute: (v: Views) => number): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const b = backend as BackendWasm;
    const out = b.makeOutput([], dtype);
    const v = views(b, inputs.probs as tf.TensorInfo, inputs.labels as tf.TensorInfo);
    (b.typedArrayFromHeap(out) as Float32Array | Int32Array)[0] = compute(v);
    return out;
  };
}

/** mean over rows of −log(clip(p[label], ε, 1 − ε)). */
const lossKernel = scalarKernel('float32', (v) => {
  let sum = 0;
  for (let i = 0; i < v.rows; i++) {
    const p = v.probs[i * v.classes + v.labels[i]];
    sum += -Math.log(p < LO ? LO : p > HI ? HI : p);
  }
  return sum / v.rows;
});

/** d loss / d probs: −dy / (rows · p[label]) at the label where the clip passes p, else 0. */
function lossGradKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as BackendWasm;
  const probs = inputs.probs as tf.TensorInfo;
  const out = b.makeOutput([...probs.shape], 'float32');
  const v = views(b, probs, inputs.labels as tf.TensorInfo);
  const dy = (b.typedArrayFromHeap(inputs.dy as tf.TensorInfo) as Float32Array)[0];
  const dp = b.typedArrayFromHeap(out) as Float32Array;
  dp.fill(0);
  for (let i = 0; i < v.rows; i++) {
    const at = i * v.classes + v.labels[i];
    const p = v.probs[at];
    if (p >= LO && p <= HI) dp[at] = -dy / (v.rows * p);
  }
  return out;
}

/** How many rows' first-maximum class equals their label (int32 scalar). */
const hitsKernel = scalarKernel('int32', (v) => {
  let hits = 0;
  for (let i = 0; i < v.rows; i++) {
    let best = 0;
    for (let c = 1; c < v.classes; c++) if (v.probs[i * v.classes + c] > v.probs[i * v.classes + best]) best = c;
    if (best === v.labels[i]) hits++;
  }
  return hits;
});

/** Registers the loss, its gradient and the hit count for backend 'wasm'. Idempotent. */
export function registerWasmCrossEntropy(): void {
  if (tf.getKernel(LOSS, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: LOSS, backendName: 'wasm', kernelFunc: lossKernel });
  tf.registerKernel({ kernelName: LOSS_GRAD, backendName: 'wasm', kernelFunc: lossGradKernel });
  tf.registerKernel({ kernelName: HITS, backendName: 'wasm', kernelFunc: hitsKernel });
  tf.registerGradient({
    kernelName: LOSS,
    inputsToSave: ['probs', 'labels'],
    gradFunc: (dy, saved) => {
      const [probs, labels] = saved;
      return {
        probs: () => tf.engine().runKernel(LOSS_GRAD, { probs, labels, dy: dy as tf.Tensor }) as tf.Tensor,
        labels: () => tf.zerosLike(labels),
      };
    },
  });
}

