import type * as tf from '@tensorflow/tfjs';

/**
 * The floating-point operations one training sample costs a model, counted from its layers'
 * shapes, so that samples/s can be set against the core's peak (npm run bench, docs/speed.md).
 *
 * The rule: a product of [m×k]·[k×n] is 2·m·k·n (a multiply and an add per term). A Dense layer of
 * `in` inputs and `out` units is one such product per sample forward (m = 1) and one per gradient
 * backward: its weights' (xᵀ·dy) and its input's (dy·Wᵀ). A convolution counts as its im2col GEMM:
 * forward [OH·OW × KH·KW·CI]·[KH·KW·CI × CO] per image, padded positions included (the kernels
 * multiply those zeros too); the weights' gradient the same product transposed; the input's
 * gradient the convolution of dy with the flipped filter over the input's H·W positions,
 * [H·W × KH·KW·CO]·[KH·KW·CO × CI]. No layer before the first with weights needs a gradient, so its
 * input's gradient is not counted: the images need none, whatever an implementation computes.
 *
 * Left out, as arithmetic that is not products: bias adds, activations and their gradients,
 * pooling, dropout, batch normalization, softmax and the loss, and the optimizer's update (a few
 * operations per weight per step, not per sample). For the notebook's CNN they are a few percent
 * of the products; leaving them out makes the achieved rate a lower bound, as MLPerf's "model
 * FLOPs" are.
 */
export type LayerFlops = {
  readonly name: string;
  readonly kind: 'dense' | 'conv';
  readonly forward: number;
  readonly weightsGradient: number;
  /** 0 for the first layer with weights: nothing before it takes a gradient. */
  readonly inputGradient: number;
};
export type TrainingFlops = {
  readonly forward: number;
  readonly backward: number;
  readonly total: number;
  readonly layers: readonly LayerFlops[];
};

/** The operations of one [m×k]·[k×n] product, each term a multiply and an add. */
export function gemmFlops(m: number, k: number, n: number): number {
  return 2 * m * k * n;
}

/** Weighted layers that hold no product: left out by the rule above. */
const ELEMENTWISE = new Set(['BatchNormalization']);

/** The FLOPs per training sample of a built model's products, forward and backward (the rule above). */
export function trainingFlops(model: tf.LayersModel): TrainingFlops {
  const layers: LayerFlops[] = [];
  let upstreamWeights = false;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const className = layer.getClassName();
    const kernel = layer.weights[0].shape as number[];
    if (className === 'Dense') {
      const [inputs, units] = kernel;
      const product = gemmFlops(1, inputs, units);
      layers.push({ name: layer.name, kind: 'dense', forward: product, weightsGradient: product, inputGradient: upstreamWeights ? product : 0 });
    } else if (className === 'Conv2D') {
      const [kh, kw, ci, co] = kernel;
      const [, h, w] = shapeOf(inputOf(layer).shape);
      const [, oh, ow] = shapeOf(layer.outputShape);
      const forward = gemmFlops(oh * ow, kh * kw * ci, co);
      layers.push({ name: layer.name, kind: 'conv', forward, weightsGradient: forward, inputGradient: upstreamWeights ? gemmFlops(h * w, kh * kw * co, ci) : 0 });
    } else if (!ELEMENTWISE.has(className)) {
      throw new Error(`no FLOP rule for a ${className} layer (${layer.name})`);
    }
    upstreamWeights = true;
  }
  const forward = layers.reduce((s, l) => s + l.forward, 0);
  const backward = layers.reduce((s, l) => s + l.weightsGradient + l.inputGradient, 0);
  return { forward, backward, total: forward + backward, layers };
}

function inputOf(layer: tf.layers.Layer): tf.SymbolicTensor {
  const input = layer.input;
  return Array.isArray(input) ? input[0] : input;
}

function shapeOf(shape: tf.Shape | tf.Shape[]): number[] {
  const one = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  return one.map((d) => d ?? 1);
}
