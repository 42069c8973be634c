import * as tf from '@tensorflow/tfjs';
import { builtInConfig } from '../../src/spec/code.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expandGrid } from '../../src/search/grid.js';
import {
  ACTIVATIONS, HEADS, HYPERPARAMETERS, type HyperparameterKey, POOLINGS, REGISTRY, SCHEDULES,
} from '../../src/spec/hyperparameters.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { initBackend } from '../../src/train/backend.js';
import { buildModel, makeOptimizer } from '../../src/train/model.js';
import { directStep, evaluateDirect, DirectStep } from '../../src/train/direct-step.js';
import type { Split } from '../../src/train/tensors.js';
import type { TrialConfig } from '../../src/trial/types.js';

beforeAll(async () => {
  await initBackend('wasm');
});

type Values<K extends HyperparameterKey> = readonly NonNullable<TrialConfig[K]>[];

/**
 * Every hyperparameter's values that keep the direct training step and those that leave it, each
 * set alone on the default configuration of a model kind that has it (an ANN where both do). A
 * hyperparameter added to the registry fails the first test until it has a row here.
 */
const TABLE: { [K in HyperparameterKey]: { keeps: Values<K>; leaves: Values<K> } } = {
  model: { keeps: ['ann', 'cnn'], leaves: [] },
  epochs: { keeps: [1, 7, 1000], leaves: [] },
  activation: { keeps: ['relu'], leaves: ACTIVATIONS.filter((a) => a !== 'relu') },
  units: { keeps: [[1], [128], [64, 32], [16, 16, 16]], leaves: [] },
  dropout: { keeps: [0, 0.2, 0.99], leaves: [] },
  // CNN-only: a configuration that has them is a CNN. Its convolutions take multiples of 4 filters.
  filters: { keeps: [[8], [4, 8], [32, 64]], leaves: [[6], [32, 10]] },
  kernelSize: { keeps: [1, 3, 5], leaves: [] },
  pooling: { keeps: POOLINGS.filter((p) => p !== 'avg'), leaves: ['avg'] },
  optimizer: { keeps: ['adam'], leaves: ['sgd', 'rmsprop', 'adagrad'] },
  learningRate: { keeps: [1e-5, 0.001, 10], leaves: [] },
  batchSize: { keeps: [1, 32, 60000], leaves: [] },
  labelSmoothing: { keeps: [0], leaves: [0.1, 0.5] },
  batchNorm: { keeps: [false], leaves: [true] },
  // Without batch norm it is nothing: a configuration without takes 0 (and with, leaves by batchNorm).
  preciseBn: { keeps: [0], leaves: [] },
  augment: { keeps: ['none'], leaves: ['shift', 'flip', 'erase', 'shift+flip+erase'] },
  schedule: { keeps: SCHEDULES, leaves: [] },
  weightDecay: { keeps: [0], leaves: [1e-4, 0.1] },
  blocks: { keeps: [1, 2], leaves: [] },
  head: { keeps: HEADS.filter((h) => h !== 'gap'), leaves: ['gap'] },
};

const KEYS = Object.keys(TABLE) as HyperparameterKey[];
const cnnOnly = (key: HyperparameterKey) => !(REGISTRY[key].kinds as readonly string[]).includes('ann');

/** The default configuration of `key`'s model kind with `key` set to `value`, as a grid spec expands it. */
function configWith(key: HyperparameterKey, value: unknown): TrialConfig {
  const kind = key === 'model' ? value : cnnOnly(key) ? 'cnn' : 'ann';
  const lines = [`model: [${kind}]`, ...(key === 'model' ? [] : [`${key}: [${JSON.stringify(value)}]`])];
  return builtInConfig(expandGrid(parseSpec(`name: t\ngrid:\n${lines.map((l) => `  ${l}`).join('\n')}`, 't.yaml'))[0].config);
}

const ROWS = KEYS.flatMap((key) => [
  ...(TABLE[key].keeps as readonly unknown[]).map((value) => ({ key, value, eligible: true })),
  ...(TABLE[key].leaves as readonly unknown[]).map((value) => ({ key, value, eligible: false })),
]);

describe('directStep', () => {
  it('has a row for every hyperparameter in the registry', () => {
    expect([...KEYS].sort()).toEqual([...HYPERPARAMETERS].sort());
  });

  it('classifies every value of each hyperparameter whose values are a fixed set', () => {
    for (const key of KEYS) {
      const schema = REGISTRY[key].value;
      const all = schema instanceof z.ZodEnum ? schema.options : schema instanceof z.ZodBoolean ? [false, true] : null;
      if (all === null) continue;
      const classified = [...TABLE[key].keeps, ...TABLE[key].leaves] as unknown[];
      expect({ key, values: classified.map(String).sort() }).toEqual({ key, values: all.map(String).sort() });
    }
  });

  it.each(ROWS)('$key $value: eligible $eligible, and DirectStep.for takes the model built from it exactly then', ({ key, value, eligible }) => {
    const config = configWith(key, value);
    expect(config[key]).toEqual(value);
    const verdict = directStep(config);
    expect(verdict.eligible).toBe(eligible);
    // The reason names the value that leaves.
    if (!verdict.eligible) expect(verdict.why.split(': ')[0]).toBe(`${key} ${String(value)}`);
    const model = buildModel(config, 1, [28, 28, 1], 10);
    const optimizer = makeOptimizer(config.optimizer, config.learningRate, config.weightDecay);
    try {
      expect(DirectStep.for(model, optimizer, config) !== null).toBe(eligible);
    } finally {
      model.dispose();
      optimizer.dispose();
    }
  });

  it('evaluates by direct kernel calls the notebook models, even those that train through tfjs, unless the loss is label-smoothed', () => {
    const split: Split = { x: tf.zeros([3, 28, 28, 1]), y: tf.tensor1d([0, 1, 2], 'int32'), count: 3 };
    for (const [key, value, direct] of [['optimizer', 'sgd', true], ['augment', 'flip', true], ['model', 'cnn', true], ['labelSmoothing', 0.1, false]] as const) {
      const config = configWith(key, value);
      const model = buildModel(config, 1, [28, 28, 1], 10);
      expect({ key, direct: evaluateDirect(model, split, 2, config.labelSmoothing) !== null }).toEqual({ key, direct });
      model.dispose();
    }
    tf.dispose([split.x, split.y]);
  });
});
