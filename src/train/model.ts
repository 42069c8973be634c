import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { Activation, OptimizerName } from '../spec/schema.js';
import { FusedAdam } from './kernels/adam.js';
import { SeededDropout } from './seeded-dropout.js';
import type { TrialConfig } from '../types.js';

export const IMAGE_SHAPE = [28, 28, 1] as const;
export const CLASSES = 10;

// Keras-style names in the spec → tfjs names; leaky_relu is a layer of its own in tfjs.
const ACTIVATION: Record<Exclude<Activation, 'leaky_relu'>, string> = {
  relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid', elu: 'elu', selu: 'selu', relu6: 'relu6',
  softplus: 'softplus', softsign: 'softsign', swish: 'swish', mish: 'mish', gelu: 'gelu',
  hard_sigmoid: 'hardSigmoid', linear: 'linear',
};

/**
 * Builds the configuration's model with weights drawn from `seed`: an ANN
 * (Flatten → Dense… → Dropout → Dense(10, softmax)) or a CNN (Conv → Pool… → Flatten →
 * Dense… → Dropout → Dense(10, softmax)). Same config and seed, same initial weights.
 */
export function buildModel(config: TrialConfig, seed: number): tf.Sequential {
  const rng = seedrandom(`init:${seed}`);
  const nextSeed = () => Math.floor(rng() * 2 ** 31);
  const init = () => tf.initializers.glorotUniform({ seed: nextSeed() });
  const model = tf.sequential();
  const activated = (layer: (a: string) => tf.layers.Layer) => {
    if (config.activation === 'leaky_relu') {
      model.add(layer('linear'));
      model.add(tf.layers.leakyReLU({ alpha: 0.3 }));
    } else {
      model.add(layer(ACTIVATION[config.activation]));
    }
  };

  if (config.model === 'cnn') {
    let size: number = IMAGE_SHAPE[0];
    (config.filters ?? []).forEach((filters, i) => {
      activated((activation) => tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [...IMAGE_SHAPE] } : {}),
        filters, kernelSize: config.kernelSize ?? 3, padding: 'same',
        activation: activation as 'relu', kernelInitializer: init(),
      }));
      if (config.pooling !== 'none') {
        if (size < 2) throw new Error(`the CNN's conv layer ${i + 1} has a ${size}×${size} input: too small to pool; use fewer conv layers or pooling: none`);
        size = Math.floor(size / 2);
        model.add(config.pooling === 'avg'
          ? tf.layers.averagePooling2d({ poolSize: 2 })
          : tf.layers.maxPooling2d({ poolSize: 2 }));
      }
    });
    model.add(tf.layers.flatten());
  } else {
    model.add(tf.layers.flatten({ inputShape: [...IMAGE_SHAPE] }));
  }
  config.units.forEach((units) => {
    activated((activation) => tf.layers.dense({ units, activation: activation as 'relu', kernelInitializer: init() }));
    if (config.dropout > 0) model.add(new SeededDropout({ rate: config.dropout, seed: nextSeed() }));
  });
  model.add(tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: init() }));
  return model;
}

/** The optimizer a configuration names, at its learning rate. */
export function makeOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    // tfjs's defaults (tf.train.adam), with the update fused into one kernel per variable.
    case 'adam': return new FusedAdam(learningRate, 0.9, 0.999);
    case 'sgd': return tf.train.sgd(learningRate);
    case 'rmsprop': return tf.train.rmsprop(learningRate);
    case 'adagrad': return tf.train.adagrad(learningRate);
  }
}
