import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { ImageShape } from '../data/dataset.js';
import type { Activation, OptimizerName } from '../spec/schema.js';
import { FusedAdam } from './kernels/adam.js';
import { bnReluPoolRuns, SweepBatchNorm } from './batch-norm.js';
import { SweepConv2D } from './conv2d.js';
import { SweepDense } from './dense.js';
import { inputProblem } from './input-fit.js';
import { SeededDropout } from './seeded-dropout.js';
import { registeredVariable, withRate } from './tfjs-internals.js';
import type { TrialConfig } from '../trial/types.js';

// Keras-style names in the spec → tfjs names; leaky_relu is a layer of its own in tfjs.
const ACTIVATION: Record<Exclude<Activation, 'leaky_relu'>, string> = {
  relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid', elu: 'elu', selu: 'selu', relu6: 'relu6',
  softplus: 'softplus', softsign: 'softsign', swish: 'swish', mish: 'mish', gelu: 'gelu',
  hard_sigmoid: 'hardSigmoid', linear: 'linear',
};

/**
 * Builds the configuration's model for images of `shape` and `classes` classes, with weights drawn
 * from `seed`: an ANN (Flatten → Dense… → Dropout → Dense(classes, softmax)) or a CNN (blocks of
 * Conv… → Pool, then Flatten or global average pooling → Dense… → Dropout → Dense(classes, softmax)),
 * with batch normalization before each hidden activation where asked. Same config and seed, same initial weights.
 */
export function buildModel(config: TrialConfig, seed: number, shape: ImageShape, classes: number): tf.Sequential {
  const problem = inputProblem(config, shape);
  if (problem) throw new Error(problem);
  const rng = seedrandom(`init:${seed}`);
  const nextSeed = () => Math.floor(rng() * 2 ** 31);
  const init = () => tf.initializers.glorotUniform({ seed: nextSeed() });
  const model = tf.sequential();
  const bn = config.batchNorm;
  // A layer, then its activation: inside the layer, or (with batch normalization, which goes
  // between the two, or leaky_relu, a layer of its own in tfjs) as layers after it.
  const activated = (layer: (activation: string, useBias: boolean) => tf.layers.Layer) => {
    const separate = bn || config.activation === 'leaky_relu';
    // Batch normalization's beta is the bias: the layer before it needs none (as Keras models do it).
    model.add(layer(separate ? 'linear' : ACTIVATION[config.activation as keyof typeof ACTIVATION], !bn));
    if (bn) model.add(new SweepBatchNorm({}));
    if (config.activation === 'leaky_relu') model.add(tf.layers.leakyReLU({ alpha: 0.3 }));
    else if (bn) model.add(tf.layers.activation({ activation: ACTIVATION[config.activation] as 'relu' }));
  };

  if (config.model === 'cnn') {
    const blocks = config.blocks ?? 1;
    (config.filters ?? []).forEach((filters, i) => {
      for (let b = 0; b < blocks; b++) {
        activated((activation, useBias) => new SweepConv2D({
          ...(i === 0 && b === 0 ? { inputShape: [...shape] } : {}),
          filters, kernelSize: config.kernelSize ?? 3, padding: 'same', useBias,
          activation: activation as 'relu', kernelInitializer: init(),
        }));
      }
      if (config.pooling !== 'none') {
        model.add(config.pooling === 'avg'
          ? tf.layers.averagePooling2d({ poolSize: 2 })
          : tf.layers.maxPooling2d({ poolSize: 2 }));
      }
    });
    model.add(config.head === 'gap' ? tf.layers.globalAveragePooling2d({}) : tf.layers.flatten());
  } else {
    model.add(tf.layers.flatten({ inputShape: [...shape] }));
  }
  config.units.forEach((units) => {
    activated((activation, useBias) => new SweepDense({ units, useBias, activation: activation as 'relu', kernelInitializer: init() }));
    if (config.dropout > 0) model.add(new SeededDropout({ rate: config.dropout, seed: nextSeed() }));
  });
  model.add(new SweepDense({ units: classes, activation: 'softmax', kernelInitializer: init() }));
  return model;
}

/**
 * model.apply(x, { training: true }) for a model of buildModel's: its layers in turn, with each
 * CNN block's batch norm, ReLU and max pooling as one kernel (SweepBatchNorm.trainWithReluPool)
 * where it takes them. The same floats, forward and backward; the two full-size activations
 * between the three are never stored.
 */
export function applyTraining(model: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  const layers = model.layers;
  const fusable = bnReluPoolRuns(model);
  let h = x;
  for (let i = 0; i < layers.length; i++) {
    const pooled = fusable[i] ? (layers[i] as SweepBatchNorm).trainWithReluPool(h) : null;
    if (pooled !== null) {
      h = pooled;
      i += 2;
    } else {
      h = layers[i].apply(h, { training: true }) as tf.Tensor;
    }
  }
  return h;
}

/**
 * The optimizer a configuration names, at its learning rate, with decoupled weight decay where
 * `weightDecay` > 0: before each update every kernel (weights of rank 2 or more; biases and batch
 * normalization's scales and offsets are left alone) is multiplied by 1 − lr·weightDecay, lr the
 * step's scheduled rate, as PyTorch's AdamW does (Loshchilov & Hutter); with adam, that is AdamW.
 */
export function makeOptimizer(name: OptimizerName, learningRate: number, weightDecay = 0): tf.Optimizer {
  const optimizer = baseOptimizer(name, learningRate);
  if (weightDecay > 0) decoupleWeightDecay(optimizer, weightDecay);
  return optimizer;
}

function baseOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    // tfjs's defaults (tf.train.adam), with the update fused into one kernel per variable.
    case 'adam': return new FusedAdam(learningRate, 0.9, 0.999);
    case 'sgd': return tf.train.sgd(learningRate);
    case 'rmsprop': return tf.train.rmsprop(learningRate);
    case 'adagrad': return tf.train.adagrad(learningRate);
  }
}

/** Sets the rate the optimizer's next update uses (tfjs's SGD keeps it as a tensor, the others as a number). */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const o = withRate(optimizer);
  if (o.learningRate === learningRate) return;
  if (o.setLearningRate) o.setLearningRate(learningRate);
  else o.learningRate = learningRate;
}

function decoupleWeightDecay(optimizer: tf.Optimizer, weightDecay: number): void {
  const o = withRate(optimizer);
  const apply = optimizer.applyGradients.bind(optimizer);
  o.applyGradients = (grads) => {
    const names = Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads);
    tf.tidy(() => {
      const keep = Math.fround(1 - o.learningRate * weightDecay);
      for (const name of names) {
        const v = registeredVariable(name);
        if (v.rank >= 2) v.assign(tf.mul(v, keep));
      }
    });
    apply(grads);
  };
}
