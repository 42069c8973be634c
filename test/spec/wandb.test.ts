import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { betaInc } from '../../src/search/distributions.js';
import { expandGrid } from '../../src/search/grid.js';
import { ndtr } from '../../src/search/parzen.js';
import { sampleRandom } from '../../src/search/random.js';
import { searchSpace, type Observation } from '../../src/search/space.js';
import { makeStrategy } from '../../src/search/strategy.js';
import { proposeTpe } from '../../src/search/tpe.js';
import { loadSpec, parseSpec, parseSpecWithNotes, SpecError } from '../../src/spec/load-spec.js';
import { tempDir } from '../temp-dir.js';
import { builtInConfig } from '../../src/spec/code.js';
import { SWEEPDEMO } from './wandb-docs.js';

// W&B's own example configurations, verbatim (trailing spaces included) from "Define a sweep
// configuration", https://docs.wandb.ai/guides/sweeps/define-sweep-configuration
// (wandb/docs content/en/guides/models/sweeps/define-sweep-configuration/_index.md).

// "Basic structure", the YAML tab: SWEEPDEMO, in wandb-docs.ts (the program examples quote it too).

/** "Sweep configuration examples", the CLI tab. */
const RANDOM = `program: train.py
method: random
metric:
  goal: minimize
  name: loss
parameters:
  batch_size:
    distribution: q_log_uniform_values
    max: 256 
    min: 32
    q: 8
  dropout: 
    values: [0.3, 0.4, 0.5]
  epochs:
    value: 1
  fc_layer_size: 
    values: [128, 256, 512]
  learning_rate:
    distribution: uniform
    max: 0.1
    min: 0
  optimizer:
    values: ["adam", "sgd"]
`;

/** "Bayes hyperband example". */
const BAYES_HYPERBAND = `program: train.py
method: bayes
metric:
  goal: minimize
  name: val_loss
parameters:
  dropout:
    values: [0.15, 0.2, 0.25, 0.3, 0.4]
  hidden_layer_size:
    values: [96, 128, 148]
  layer_1_size:
    values: [10, 12, 14, 16, 18, 20]
  layer_2_size:
    values: [24, 28, 32, 36, 40, 44]
  learn_rate:
    values: [0.001, 0.01, 0.003]
  decay:
    values: [1e-5, 1e-6, 1e-7]
  momentum:
    values: [0.8, 0.9, 0.95]
  epochs:
    value: 27
early_terminate:
  type: hyperband
  s: 2
  eta: 3
  max_iter: 27
`;

/** The same page's two `early_terminate` tabs. */
const MIN_ITER = `early_terminate:
  type: hyperband
  min_iter: 3
`;
const MAX_ITER = `early_terminate:
  type: hyperband
  max_iter: 27
  s: 2
`;

/** A W&B file without its `program:`: a sweep of sweep's own models, its parameters sweep's hyperparameters. */
const builtIn = (text: string) => text.replace('program: train.py\n', '');

const message = (text: string): string => {
  try {
    parseSpec(text, 'x.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as Error).message;
  }
  throw new Error('parsed without an error');
};

describe('W&B sweep configurations: the docs\' examples', () => {
  it('takes sweepdemo as written, a sweep of its program, once it has a run_cap: W&B runs bayes until stopped', () => {
    expect(message(SWEEPDEMO)).toBe('x.yaml:3:9 method: bayes search needs `run_cap: N`, how many trials to run (W&B would run it until stopped)');
    const wandb = parseSpec(`${SWEEPDEMO}run_cap: 20\n`, 'w.yaml');
    // W&B's bayes search counts a failed run as the worst value recorded (metric.impute's default).
    const native = parseSpec(`name: sweepdemo
program: train.py
metric: {name: validation_loss, goal: minimize, impute: worst}
search: {method: tpe, trials: 20}
grid:
  learning_rate: {min: 0.0001, max: 0.1}
  batch_size: [16, 32, 64]
  epochs: [5, 10, 15]
  optimizer: [adam, sgd]
`, 'n.yaml');
    expect(wandb).toEqual(native);
    expect(wandb.code).toMatchObject({ kind: 'program', program: 'train.py', grid: { learning_rate: { min: 0.0001, max: 0.1, log: false, type: 'float' } } });
    expect(makeStrategy(wandb).propose!([], 0)).toEqual(makeStrategy(native).propose!([], 0));
  });

  it('refuses sweepdemo without its program (a sweep of sweep\'s models) for its metric, which they do not record', () => {
    expect(message(builtIn(SWEEPDEMO))).toBe('x.yaml:5:9 metric.name: must be val_accuracy or val_loss, the metrics sweep records (got "validation_loss")');
  });

  it('runs sweepdemo without its program (val_loss, run_cap 20) as the native TPE spec it means, proposing the same first trial', () => {
    const wandb = parseSpec(`${builtIn(SWEEPDEMO).replace('validation_loss', 'val_loss')}run_cap: 20\n`, 'w.yaml');
    const native = parseSpec(`name: sweepdemo
metric: {name: val_loss, impute: worst}
search: {method: tpe, trials: 20}
grid:
  learningRate: {min: 0.0001, max: 0.1}
  batchSize: [16, 32, 64]
  epochs: [5, 10, 15]
  optimizer: [adam, sgd]
`, 'n.yaml');
    expect(wandb).toEqual(native);
    expect(makeStrategy(wandb).propose!([], 0)).toEqual(makeStrategy(native).propose!([], 0));
  });

  it('takes the random example as written, given a name and a run_cap: a sweep of its program, learning rate 0 allowed', () => {
    expect(message(RANDOM)).toBe('x.yaml:1:1 name: sweep needs a name: add `name: my-sweep` (letters, digits, ".", "_" or "-")');
    const spec = parseSpec(`name: random-example\nrun_cap: 10\n${RANDOM}`, 'x.yaml');
    expect(spec.metric).toEqual({ name: 'loss', goal: 'minimize' });
    expect(spec.code?.grid).toEqual({
      batch_size: { min: 32, max: 256, log: true, step: 8, type: 'float' }, dropout: [0.3, 0.4, 0.5], epochs: [1],
      fc_layer_size: [128, 256, 512], learning_rate: { min: 0, max: 0.1, log: false, type: 'float' }, optimizer: ['adam', 'sgd'],
    });
  });

  it('refuses the random example without its program: no name, then its metric, then a learning rate of 0', () => {
    expect(message(builtIn(RANDOM))).toBe('x.yaml:1:1 name: sweep needs a name: add `name: my-sweep` (letters, digits, ".", "_" or "-")');
    const named = `name: random-example\nrun_cap: 10\n${builtIn(RANDOM).replace('fc_layer_size', 'units')}`;
    expect(message(named)).toBe('x.yaml:6:9 metric.name: loss cannot be what the sweep ranks on (it is measured on the training images, where overfitting scores best): use val_accuracy or val_loss');
    // A schema error on the converted spec points at the W&B key: learning_rate's `min: 0`, line 23.
    expect(message(named.replace('name: loss', 'name: val_loss'))).toBe('x.yaml:22:10 parameters.learning_rate.min: must be positive');
  });

  // Adapted: a name and a run_cap added, loss → val_loss, fc_layer_size → units (sweep's hidden
  // width), and learning_rate's min 0 → 0.0001 (sweep refuses a learning rate of 0, above).
  const RANDOM_ADAPTED = `name: random-example\nrun_cap: 10\n${builtIn(RANDOM)
    .replace('name: loss', 'name: val_loss').replace('fc_layer_size', 'units').replace('min: 0\n', 'min: 0.0001\n')}`;

  it('runs the random example as the native spec it means, drawing the same trials', () => {
    const wandb = parseSpec(RANDOM_ADAPTED, 'w.yaml');
    const native = parseSpec(`name: random-example
metric: val_loss
search: {method: random, trials: 10}
grid:
  batchSize: {min: 32, max: 256, log: true, step: 8}
  dropout: [0.3, 0.4, 0.5]
  epochs: [1]
  units: [128, 256, 512]
  learningRate: {min: 0.0001, max: 0.1}
  optimizer: [adam, sgd]
`, 'n.yaml');
    expect(wandb).toEqual(native);
    const trials = makeStrategy(wandb).initial();
    expect(trials).toEqual(makeStrategy(native).initial());
    expect(trials).toHaveLength(10);
    // q_log_uniform_values with q 8: multiples of 8 in [32, 256].
    for (const { batchSize } of trials.map((t) => builtInConfig(t.config))) expect(batchSize % 8 === 0 && batchSize >= 32 && batchSize <= 256).toBe(true);
  });

  it('takes the Bayes hyperband example as written (given a name and a run_cap), a sweep of its program with W&B\'s hyperband', () => {
    const spec = parseSpec(`name: bh\nrun_cap: 30\n${BAYES_HYPERBAND}`, 'x.yaml');
    expect(Object.keys(spec.code!.grid)).toEqual(['dropout', 'hidden_layer_size', 'layer_1_size', 'layer_2_size', 'learn_rate', 'decay', 'momentum', 'epochs']);
    expect(spec.search).toEqual({ method: 'tpe', trials: 30, deterministic: true, parallelism: 4, earlyStopping: { type: 'wandb-hyperband', maxIter: 27, s: 2, eta: 3, strict: true } });
  });

  it('refuses the Bayes hyperband example without its program: hidden_layer_size is not sweep\'s', () => {
    expect(message(`name: bh\nrun_cap: 30\n${builtIn(BAYES_HYPERBAND)}`)).toBe(
      'x.yaml:10:3 parameters.hidden_layer_size: unknown hyperparameter "hidden_layer_size": sweep has model, epochs, activation, units, dropout, filters, kernel_size, pooling, optimizer, learning_rate, batch_size, label_smoothing, batch_norm, precise_bn, augment, schedule, weight_decay, blocks, head (or their camelCase keys)',
    );
  });

  // Adapted: a name added; hidden_layer_size → units, learn_rate → learning_rate; layer_1_size,
  // layer_2_size, decay and momentum dropped (sweep has no such hyperparameters).
  const HYPERBAND_ADAPTED = `name: bayes-hyperband\n${builtIn(BAYES_HYPERBAND)
    .replace('hidden_layer_size', 'units').replace('learn_rate', 'learning_rate')
    .replace(/ {2}(layer_1_size|layer_2_size|decay|momentum):\n.*\n/g, '')}`;
  const HYPERBAND_NATIVE = `name: bayes-hyperband
metric: val_loss
search:
  method: grid
  earlyStopping: {type: wandb-hyperband, maxIter: 27, s: 2, eta: 3}
grid:
  dropout: [0.15, 0.2, 0.25, 0.3, 0.4]
  units: [96, 128, 148]
  learningRate: [0.001, 0.01, 0.003]
  epochs: [27]
`;

  it('runs the Bayes hyperband example (run_cap 30) as TPE with W&B\'s hyperband stopping', () => {
    const wandb = parseSpec(`${HYPERBAND_ADAPTED}run_cap: 30\n`, 'w.yaml');
    expect(wandb).toEqual(parseSpec(HYPERBAND_NATIVE.replace('method: grid', 'method: tpe\n  trials: 30').replace('metric: val_loss', 'metric: {name: val_loss, impute: worst}'), 'n.yaml'));
    // strict defaults to true, as in schema.json (the docs' table says false; see wandbEarlyTerminate).
    expect(wandb.search.earlyStopping).toEqual({ type: 'wandb-hyperband', maxIter: 27, s: 2, eta: 3, strict: true });
  });

  it('runs it as a grid (method: grid) with the same configurations and config ids as the native grid', () => {
    const wandb = parseSpec(HYPERBAND_ADAPTED.replace('method: bayes', 'method: grid'), 'w.yaml');
    const native = parseSpec(HYPERBAND_NATIVE, 'n.yaml');
    expect(wandb).toEqual(native);
    expect(expandGrid(wandb)).toEqual(expandGrid(native));
    expect(expandGrid(wandb)).toHaveLength(5 * 3 * 3);
  });

  it.each([
    ['min_iter', MIN_ITER, { type: 'wandb-hyperband', minIter: 3, eta: 3, s: 0, strict: true }],
    ['max_iter', MAX_ITER, { type: 'wandb-hyperband', maxIter: 27, s: 2, eta: 3, strict: true }],
  ])('takes early_terminate with %s, eta defaulting to 3', (_what, early, expected) => {
    const text = `name: t\nmethod: grid\nmetric: {name: val_accuracy, goal: maximize}\nparameters:\n  dropout: {values: [0.2]}\n${early}`;
    expect(parseSpec(text, 'x.yaml').search.earlyStopping).toEqual(expected);
  });
});

describe('W&B parameters', () => {
  const spec = (method: string, parameters: string) =>
    parseSpec(`name: t\nmethod: ${method}\nrun_cap: 5\nparameters:\n${parameters}`, 'x.yaml');

  it.each([
    ['int_uniform, inferred from integer bounds', '  epochs: {min: 1, max: 9}\n', 'epochs', { min: 1, max: 9, log: false }],
    ['uniform, inferred where a bound is not an integer', '  dropout: {min: 0, max: 0.5}\n', 'dropout', { min: 0, max: 0.5, log: false }],
    ['log_uniform_values', '  learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.1}\n', 'learningRate', { min: 0.0001, max: 0.1, log: true }],
    ['log_uniform, whose bounds are natural-log exponents', '  learningRate: {distribution: log_uniform, min: -9, max: -2}\n', 'learningRate', { min: Math.exp(-9), max: Math.exp(-2), log: true }],
    ['q_uniform, q as the step', '  dropout: {distribution: q_uniform, min: 0, max: 0.5, q: 0.1}\n', 'dropout', { min: 0, max: 0.5, log: false, step: 0.1 }],
    ['q_uniform, q defaulting to 1', '  batch_size: {distribution: q_uniform, min: 16, max: 64}\n', 'batchSize', { min: 16, max: 64, log: false, step: 1 }],
    ['q_log_uniform', '  learning_rate: {distribution: q_log_uniform, min: -7, max: -2, q: 0.0001}\n', 'learningRate', { min: Math.exp(-7), max: Math.exp(-2), log: true, step: 0.0001 }],
    ['a constant', '  units: {value: [128, 64]}\n', 'units', [[128, 64]]],
    ['values as written in native specs (a bare width is one layer)', '  units: {values: [64, [128, 64]]}\n', 'units', [[64], [128, 64]]],
    ['model kinds', '  model: {distribution: categorical, values: [ann, cnn]}\n', 'model', ['ann', 'cnn']],
  ])('random search takes %s', (_what, parameters, key, axis) => {
    expect(spec('random', parameters).grid[key]).toEqual(axis);
  });

  it.each([
    ['int_uniform as range(min, max + 1)', '  epochs: {min: 1, max: 3}\n', 'epochs', [1, 2, 3]],
    ['q_uniform as np.arange(min, max, q), max left out', '  dropout: {distribution: q_uniform, min: 0.1, max: 0.5, q: 0.1}\n', 'dropout', [0.1, 0.2, 0.3, 0.4]],
  ])('a grid enumerates %s, as wandb/sweeps grid_search.py does', (_what, parameters, key, values) => {
    expect(spec('grid', parameters).grid[key]).toEqual(values);
  });

  it('lets a CNN-only hyperparameter in when the sweep has CNNs', () => {
    expect(spec('grid', '  model: {value: cnn}\n  kernel_size: {values: [3, 5]}\n').grid).toEqual({ model: ['cnn'], kernelSize: [3, 5] });
  });
});

// W&B's distribution list (schema.json's param_* definitions), each as params.py draws it
// (`HyperParameter.ppf(random.uniform(0, 1))`, wandb/sweeps b1dfc5f), through a program's W&B file.
describe('W&B\'s distributions', () => {
  const program = (method: string, parameter: string) =>
    `name: t\nprogram: train.py\nmethod: ${method}\nrun_cap: 5\nmetric: {name: loss, goal: minimize}\nparameters:\n  x: ${parameter}\n`;

  it.each([
    ['normal, mu and sigma defaulting to 0 and 1', '{distribution: normal}', { mu: 0, sigma: 1, log: false, type: 'float' }],
    ['q_normal', '{distribution: q_normal, mu: 10, sigma: 3, q: 2}', { mu: 10, sigma: 3, log: false, step: 2, type: 'float' }],
    ['log_normal', '{distribution: log_normal, mu: -3}', { mu: -3, sigma: 1, log: true, type: 'float' }],
    ['q_log_normal, q defaulting to 1', '{distribution: q_log_normal, mu: 2, sigma: 0.5}', { mu: 2, sigma: 0.5, log: true, step: 1, type: 'float' }],
    ['beta, a and b defaulting to 1', '{distribution: beta}', { a: 1, b: 1, type: 'float' }],
    ['q_beta', '{distribution: q_beta, a: 2, b: 3, q: 0.1}', { a: 2, b: 3, step: 0.1, type: 'float' }],
    ['inv_log_uniform: log-uniform over [e^-max, e^-min]', '{distribution: inv_log_uniform, min: -2, max: 3}', { min: Math.exp(-3), max: Math.exp(2), log: true, type: 'float' }],
    ['inv_log_uniform_values: log-uniform over [min, max]', '{distribution: inv_log_uniform_values, min: 0.01, max: 1}', { min: 0.01, max: 1, log: true, type: 'float' }],
    ['categorical_w_probabilities', '{distribution: categorical_w_probabilities, values: [1, 2], probabilities: [0.3, 0.7]}', { values: [1, 2], probabilities: [0.3, 0.7] }],
    ['values with probabilities (inferred categorical_w_probabilities)', '{values: [a, b], probabilities: [0.3, 0.7]}', { values: ['a', 'b'], probabilities: [0.3, 0.7] }],
  ])('takes %s, as the native axis it means', (_what, parameter, axis) => {
    expect(parseSpec(program('random', parameter), 'x.yaml').code?.grid.x).toEqual(axis);
  });

  const n = 5000;
  const ks = 1.63 / Math.sqrt(n); // the Kolmogorov–Smirnov statistic's 1% critical value
  const draws = (parameter: string): number[] => {
    const space = searchSpace(parseSpec(program('random', parameter), 'x.yaml'));
    return Array.from({ length: n }, (_, k) => sampleRandom(space, 1, k)[':x'] as number);
  };
  const ksAgainst = (xs: readonly number[], F: (x: number) => number) => {
    const us = xs.map(F).sort((a, b) => a - b);
    return Math.max(...us.map((u, i) => Math.max((i + 1) / us.length - u, u - i / us.length)));
  };
  /** Whether the share of draws equal to `x` is within four standard errors of p. */
  const shareIs = (xs: readonly number[], x: number, p: number) => Math.abs(xs.filter((v) => v === x).length / xs.length - p) < 4 * Math.sqrt((p * (1 - p)) / xs.length);
  const onGrid = (xs: readonly number[], q: number) => xs.every((x) => Math.abs(x / q - Math.round(x / q)) < 1e-9);
  const uniformCdf = (lo: number, hi: number) => (x: number) => (x - lo) / (hi - lo);

  // Each W&B distribution against the CDF params.py gives it (HyperParameter.cdf), or for the
  // q_ ones their grid and the mass of one of its cells.
  it.each<[string, string, (xs: number[]) => boolean]>([
    ['constant', '{value: 3}', (xs) => xs.every((x) => x === 3)],
    ['categorical: each value equally often', '{values: [1, 2, 3, 4]}', (xs) => [1, 2, 3, 4].every((v) => shareIs(xs, v, 0.25))],
    ['categorical_w_probabilities: each value as often as its probability', '{values: [1, 2, 3], probabilities: [0.6, 0.3, 0.1]}',
      (xs) => shareIs(xs, 1, 0.6) && shareIs(xs, 2, 0.3) && shareIs(xs, 3, 0.1)],
    ['int_uniform: each integer of [min, max] equally often', '{min: 1, max: 6}', (xs) => [1, 2, 3, 4, 5, 6].every((v) => shareIs(xs, v, 1 / 6))],
    ['uniform', '{min: -1.0, max: 2.0}', (xs) => ksAgainst(xs, uniformCdf(-1, 2)) < ks],
    ['q_uniform: round(U(min, max) / q) * q, the ends half as often', '{distribution: q_uniform, min: 0, max: 1, q: 0.25}',
      (xs) => onGrid(xs, 0.25) && shareIs(xs, 0, 0.125) && shareIs(xs, 0.5, 0.25) && shareIs(xs, 1, 0.125)],
    ['log_uniform: e^U(min, max)', '{distribution: log_uniform, min: -2, max: 1}', (xs) => ksAgainst(xs, (x) => (Math.log(x) + 2) / 3) < ks],
    ['log_uniform_values', '{distribution: log_uniform_values, min: 0.001, max: 1}', (xs) => ksAgainst(xs, (x) => Math.log(x / 0.001) / Math.log(1000)) < ks],
    ['q_log_uniform: e^U(min, max) rounded to q', '{distribution: q_log_uniform, min: 0, max: 3, q: 1}', (xs) => onGrid(xs, 1) && shareIs(xs, 1, Math.log(1.5) / 3)],
    ['q_log_uniform_values', '{distribution: q_log_uniform_values, min: 1, max: 100, q: 1}', (xs) => onGrid(xs, 1) && shareIs(xs, 1, Math.log(1.5) / Math.log(100))],
    // params.py's cdf for inv_log_uniform: 1 - uniform.cdf(log(1/x), min, max - min).
    ['inv_log_uniform: e^-U(min, max)', '{distribution: inv_log_uniform, min: -2, max: 3}', (xs) => ksAgainst(xs, (x) => 1 - (Math.log(1 / x) + 2) / 5) < ks],
    ['inv_log_uniform_values', '{distribution: inv_log_uniform_values, min: 0.01, max: 1}',
      (xs) => ksAgainst(xs, (x) => 1 - (Math.log(1 / x) + Math.log(1)) / (Math.log(1) - Math.log(0.01))) < ks],
    ['normal', '{distribution: normal, mu: 2, sigma: 3}', (xs) => ksAgainst(xs, (x) => ndtr((x - 2) / 3)) < ks],
    ['q_normal: multiples of q, the one at mu as often as the normal within q/2 of it', '{distribution: q_normal, mu: 10, sigma: 3, q: 2}',
      (xs) => onGrid(xs, 2) && shareIs(xs, 10, ndtr(1 / 3) - ndtr(-1 / 3))],
    ['log_normal: lognorm(s=sigma, scale=e^mu)', '{distribution: log_normal, mu: 1, sigma: 0.5}', (xs) => ksAgainst(xs, (x) => ndtr((Math.log(x) - 1) / 0.5)) < ks],
    ['q_log_normal: 0 as often as a draw below q/2', '{distribution: q_log_normal, mu: 2, sigma: 1, q: 1}', (xs) => onGrid(xs, 1) && shareIs(xs, 0, ndtr(Math.log(0.5) - 2))],
    ['beta', '{distribution: beta, a: 2, b: 5}', (xs) => ksAgainst(xs, (x) => betaInc(x, 2, 5)) < ks],
    ['q_beta: 0 as often as a draw below q/2', '{distribution: q_beta, a: 0.5, b: 0.5, q: 0.1}', (xs) => onGrid(xs, 0.1) && shareIs(xs, 0, betaInc(0.05, 0.5, 0.5))],
  ])('random search draws %s (5,000 seeded trials)', (_what, parameter, holds) => {
    expect(holds(draws(parameter))).toBe(true);
  });

  it('bayes (TPE) proposes values each distribution can draw, past its random start-up', () => {
    const text = `name: t\nprogram: train.py\nmethod: bayes\nrun_cap: 30\nmetric: {name: loss, goal: minimize}\nparameters:
  n: {distribution: q_normal, mu: 0, sigma: 1, q: 0.5}
  l: {distribution: log_normal, mu: -7, sigma: 1}
  b: {distribution: q_beta, a: 2, b: 2, q: 0.25}
  i: {distribution: inv_log_uniform_values, min: 0.01, max: 1}
  o: {values: [adam, sgd, none], probabilities: [0.5, 0.5, 0]}
`;
    const space = searchSpace(parseSpec(text, 'x.yaml'));
    const history: Observation[] = [];
    for (let k = 0; k < 30; k++) {
      const s = proposeTpe(space, 2, k, history);
      expect(Math.abs((s[':n'] as number) * 2 - Math.round((s[':n'] as number) * 2))).toBeLessThan(1e-9);
      expect(s[':l'] as number).toBeGreaterThan(0);
      expect([0, 0.25, 0.5, 0.75, 1]).toContain(s[':b']);
      expect(s[':i'] as number).toBeGreaterThanOrEqual(0.01);
      expect(s[':i'] as number).toBeLessThanOrEqual(1);
      expect(['adam', 'sgd']).toContain(s[':o']);
      history.push({ number: k, config: s, state: 'complete', score: -Math.abs(s[':n'] as number - 1) });
    }
  });

  it('says once where a parameter uses a form whose min and max are exponents, as W&B\'s validator does', () => {
    const text = `name: t\nmethod: random\nrun_cap: 5\nparameters:\n  learning_rate: {distribution: log_uniform, min: -9, max: -2}\n  weight_decay: {distribution: inv_log_uniform, min: 2, max: 9}\n`;
    expect(parseSpecWithNotes(text, 'x.yaml').notes).toEqual([
      'x.yaml: parameters.learning_rate is log_uniform, whose min and max are natural-log exponents (it draws from e^min to e^max); W&B\'s validator flags it: log_uniform_values takes the values themselves',
      'x.yaml: parameters.weight_decay is inv_log_uniform, whose min and max are natural-log exponents (it draws from e^-max to e^-min); W&B\'s validator flags it: inv_log_uniform_values takes the values themselves',
    ]);
  });

  // W&B's schema lets sigma, a and b be 0 (minimum 0); scipy then draws NaN, so they are refused.
  it.each([
    ['sigma 0', '{distribution: normal, sigma: 0}', 'x.yaml:7:36 parameters.x.sigma: must be positive'],
    ['a negative sigma', '{distribution: log_normal, mu: 1, sigma: -1}', 'x.yaml:7:47 parameters.x.sigma: must be positive'],
    ['a beta\'s a of 0', '{distribution: beta, a: 0}', 'x.yaml:7:30 parameters.x.a: must be positive'],
    ['a q of 0', '{distribution: q_beta, a: 2, b: 3, q: 0}', 'x.yaml:7:44 parameters.x.q: must be positive'],
    ['a mu that is not a number', '{distribution: normal, mu: x}', 'x.yaml:7:33 parameters.x.mu: must be a number'],
    ['a key of another distribution', '{distribution: normal, min: 0}', 'x.yaml:7:29 parameters.x.min: unknown key "min": normal takes mu, sigma'],
    ['an unknown key', '{distribution: beta, a: 2, alpha: 3}', 'x.yaml:7:33 parameters.x.alpha: unknown key "alpha": beta takes a, b'],
    ['mu and sigma without a distribution (W&B infers none)', '{mu: 0, sigma: 1}', 'x.yaml:7:6 parameters.x: needs `value`, `values`, or `min` and `max` (other distributions name themselves with `distribution`)'],
    ['probabilities that do not add up to 1', '{values: [a, b], probabilities: [0.3, 0.6]}', 'x.yaml:7:38 parameters.x.probabilities: must add up to 1 (they add up to 0.9)'],
    ['more probabilities than values', '{values: [a, b], probabilities: [0.3, 0.3, 0.4]}', 'x.yaml:7:38 parameters.x.probabilities: must give one probability per value: 2 values, 3 probabilities'],
    ['a negative probability', '{values: [a, b], probabilities: [1.3, -0.3]}', 'x.yaml:7:44 parameters.x.probabilities[1]: must not be negative'],
    ['categorical_w_probabilities without probabilities', '{distribution: categorical_w_probabilities, values: [a, b]}', 'x.yaml:7:6 parameters.x: categorical_w_probabilities needs `probabilities`'],
    ['probabilities with distribution categorical (no schema of W&B\'s fits)', '{distribution: categorical, values: [1, 2], probabilities: [0.3, 0.7]}',
      'x.yaml:7:50 parameters.x.probabilities: unknown key "probabilities": categorical takes values (with probabilities it is categorical_w_probabilities: write that, or no distribution)'],
    ['inv_log_uniform_values from 0', '{distribution: inv_log_uniform_values, min: 0, max: 1}', 'x.yaml:7:50 parameters.x.min: must be positive for a log range'],
    ['inv_log_uniform_values with min above max', '{distribution: inv_log_uniform_values, min: 2, max: 1}', 'x.yaml:7:58 parameters.x.max: must be greater than min (2)'],
  ])('refuses %s, at its key', (_what, parameter, expected) => {
    expect(message(program('random', parameter))).toBe(expected);
  });

  // grid_search.py allows categorical, constant, int_uniform and q_uniform, and no probabilities.
  it.each([
    ['normal', '{distribution: normal}', 'x.yaml:7:21 parameters.x.distribution: grid search takes `values` or `value` (W&B also enumerates int_uniform and q_uniform): normal needs method random or bayes'],
    ['beta', '{distribution: beta}', 'x.yaml:7:21 parameters.x.distribution: grid search takes `values` or `value` (W&B also enumerates int_uniform and q_uniform): beta needs method random or bayes'],
    ['inv_log_uniform_values', '{distribution: inv_log_uniform_values, min: 0.1, max: 1}', 'x.yaml:7:21 parameters.x.distribution: grid search takes `values` or `value` (W&B also enumerates int_uniform and q_uniform): inv_log_uniform_values needs method random or bayes'],
    ['probabilities', '{values: [a, b], probabilities: [0.3, 0.7]}', 'x.yaml:7:38 parameters.x.probabilities: grid search runs every value once and takes no probabilities (W&B\'s refuses them too): use method random or bayes'],
  ])('a grid refuses %s, as grid_search.py does', (_what, parameter, expected) => {
    expect(message(program('grid', parameter))).toBe(expected);
  });
});

describe('W&B refusals', () => {
  const W = (lines: string) => `name: t\nmethod: random\nrun_cap: 5\nmetric: {name: val_loss, goal: minimize}\n${lines}`;
  const P = (parameter: string) => W(`parameters:\n  ${parameter}\n`);

  // Every refusal is one line, `file:line:col path: problem`, at the W&B key it is about.
  it.each([
    ...['normal', 'q_normal', 'log_normal', 'q_log_normal', 'beta', 'q_beta'].map((d) => [
      `${d} on one of sweep's hyperparameters, which are bounded`, P(`dropout: {distribution: ${d}}`),
      `x.yaml:6:27 parameters.dropout.distribution: cannot honour ${d} on dropout: sweep's hyperparameters take values between bounds, which a`,
    ]),
    ['an unknown distribution', P('dropout: {distribution: triangular, min: 0, max: 0.5}'), 'x.yaml:6:27 parameters.dropout.distribution: unknown distribution "triangular"'],
    ['probabilities for the model kind', P('model: {values: [ann, cnn], probabilities: [0.9, 0.1]}'), 'x.yaml:6:46 parameters.model.probabilities: cannot honour probabilities for model: sweep draws the model kind uniformly'],
    ['inv_log_uniform on an integer hyperparameter', P('epochs: {distribution: inv_log_uniform_values, min: 1, max: 9}'), 'x.yaml:6:26 parameters.epochs.distribution: inv_log_uniform_values draws real numbers and epochs takes integers: use int_uniform, or q_log_uniform_values'],
    ['inv_log_uniform whose e^-min is past the hyperparameter\'s range (at min)', P('dropout: {distribution: inv_log_uniform, min: -1, max: 2}'), 'x.yaml:6:49 parameters.dropout.min: must be in [0, 1)'],
    ['nested parameters', W('parameters:\n  optimizer:\n    parameters:\n      kind: {value: adam}\n'), 'x.yaml:7:5 parameters.optimizer.parameters: cannot honour nested parameters'],
    ['an unknown parameter', P('decay: {values: [0.1]}'), 'x.yaml:6:3 parameters.decay: unknown hyperparameter "decay": sweep has model, epochs,'],
    ['a parameter given twice', W('parameters:\n  learning_rate: {value: 0.1}\n  learningRate: {value: 0.2}\n'), 'x.yaml:7:3 parameters.learningRate: "learningRate" is "learning_rate" again'],
    ['a distribution on a named hyperparameter', P('activation: {distribution: uniform, min: 0, max: 1}'), 'x.yaml:6:30 parameters.activation.distribution: uniform draws numbers and activation takes named values'],
    ['int_uniform on a real hyperparameter', P('dropout: {distribution: int_uniform, min: 0, max: 1}'), 'x.yaml:6:27 parameters.dropout.distribution: int_uniform draws integers and dropout takes real numbers: use uniform'],
    ['integer bounds on a real hyperparameter (W&B infers int_uniform)', P('learning_rate: {min: 1, max: 5}'), 'x.yaml:6:18 parameters.learning_rate: int_uniform (inferred from integer min and max) draws integers and learning_rate takes real numbers: write min as 1.0 for uniform'],
    ['int_uniform with a real bound', P('epochs: {distribution: int_uniform, min: 1, max: 9.0}'), 'x.yaml:6:52 parameters.epochs.max: int_uniform takes integers'],
    ['uniform on an integer hyperparameter', P('epochs: {min: 1.0, max: 9.0}'), 'x.yaml:6:11 parameters.epochs: uniform (inferred: min or max is not an integer) draws real numbers and epochs takes integers: use int_uniform, or q_uniform with a whole-number q'],
    ['a fractional q on an integer hyperparameter', P('batch_size: {distribution: q_uniform, min: 16, max: 64, q: 2.5}'), 'x.yaml:6:62 parameters.batch_size.q: must be a whole number'],
    ['q_log_uniform on an integer hyperparameter', P('batch_size: {distribution: q_log_uniform, min: 3, max: 5, q: 4}'), 'x.yaml:6:30 parameters.batch_size.distribution: q_log_uniform\'s bounds e^min and e^max are not integers'],
    ['min not below max', P('dropout: {min: 0.5, max: 0.1}'), 'x.yaml:6:28 parameters.dropout.max: must be greater than min (0.5)'],
    ['a range with no max', P('dropout: {distribution: uniform, min: 0.1}'), 'x.yaml:6:12 parameters.dropout: uniform needs `max`'],
    ['keys of another distribution', P('dropout: {values: [0.1], min: 0}'), 'x.yaml:6:28 parameters.dropout.min: unknown key "min": categorical takes values'],
    ['a value outside the hyperparameter\'s own range', P('dropout: {values: [0.3, 1.5]}'), 'x.yaml:6:27 parameters.dropout.values[1]: must be in [0, 1)'],
    ['an empty values list', P('dropout: {values: []}'), 'x.yaml:6:21 parameters.dropout.values: must be a list of at least one value'],
    ['a grid over a continuous distribution', `name: t\nmethod: grid\nparameters:\n  dropout: {distribution: uniform, min: 0.1, max: 0.5}\n`, 'x.yaml:4:27 parameters.dropout.distribution: grid search takes `values` or `value`'],
    ['a grid enumerating too many values', `name: t\nmethod: grid\nparameters:\n  batch_size: {min: 1, max: 60000}\n`, 'x.yaml:4:15 parameters.batch_size: int_uniform from 1 to 60000 is 60000 grid values'],
    ['a bad value reached by a grid\'s enumeration', `name: t\nmethod: grid\nparameters:\n  epochs: {min: 0, max: 3}\n`, 'x.yaml:4:17 parameters.epochs.min: must be a positive integer'],
    ['a CNN-only hyperparameter with no CNN', P('filters: {values: [[8]]}'), 'x.yaml:6:3 parameters.filters: only cnn models take "filters"'],
    ['random search without run_cap', `name: t\nmethod: random\nparameters:\n  dropout: {values: [0.2]}\n`, 'x.yaml:2:9 method: random search needs `run_cap: N`'],
    ['bayes without run_cap', `name: t\nmethod: bayes\nmetric: {name: val_loss, goal: minimize}\nparameters:\n  dropout: {values: [0.2]}\n`, 'x.yaml:2:9 method: bayes search needs `run_cap: N`'],
    ['bayes without a metric', `name: t\nmethod: bayes\nrun_cap: 5\nparameters:\n  dropout: {values: [0.2]}\n`, 'x.yaml:2:9 method: bayes search needs a `metric`'],
    ['a run_cap of 0', W('parameters:\n  dropout: {values: [0.2]}\n').replace('run_cap: 5', 'run_cap: 0'), 'x.yaml:3:10 run_cap: must be a positive integer'],
    ['method custom with one metric', P('dropout: {values: [0.2]}').replace('method: random', 'method: custom'), 'x.yaml:2:9 method: sweep runs method "custom" for W&B\'s multi-objective `metrics:` only'],
    ['an unknown method', P('dropout: {values: [0.2]}').replace('method: random', 'method: hyperopt'), 'x.yaml:2:9 method: must be grid, random or bayes'],
    ['no method', 'name: t\nparameters:\n  dropout: {values: [0.2]}\n', 'x.yaml:1:1 method: a W&B sweep needs `method`'],
    ['maximizing val_loss', P('dropout: {values: [0.2]}').replace('goal: minimize', 'goal: maximize'), 'x.yaml:4:32 metric.goal: sweep can only minimize val_loss, not maximize it: write `goal: minimize`'],
    ['val_accuracy under W&B\'s default goal (minimize)', P('dropout: {values: [0.2]}').replace(', goal: minimize', '').replace('val_loss', 'val_accuracy'), 'x.yaml:4:9 metric: sweep can only maximize val_accuracy, not minimize it (W&B\'s goal defaults to minimize): write `goal: maximize`'],
    ['a metric sweep does not record', P('dropout: {values: [0.2]}').replace('val_loss', 'val_acc'), 'x.yaml:4:16 metric.name: must be val_accuracy or val_loss'],
    ['a metric target that is not a number', P('dropout: {values: [0.2]}').replace('goal: minimize', 'goal: minimize, target: low'), 'x.yaml:4:50 metric.target: must be a number'],
    ['early_terminate of another type', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: envelope}\n'), 'x.yaml:7:25 early_terminate.type: cannot honour early_terminate type "envelope"'],
    ['early_terminate with max_iter but no s', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, max_iter: 27}\n'), 'x.yaml:7:36 early_terminate.max_iter: max_iter needs s'],
    ['early_terminate with both min_iter and max_iter', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, min_iter: 3, max_iter: 27, s: 2}\n'), 'x.yaml:7:36 early_terminate.min_iter: give min_iter or max_iter, not both'],
    ['an eta sweep cannot use', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, min_iter: 3, eta: 2.5}\n'), 'x.yaml:7:54 early_terminate.eta: must be an integer'],
    ['early_terminate with max_iter and s 0', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, max_iter: 27, s: 0}\n'), 'x.yaml:7:53 early_terminate.s: must be at least 1 with max_iter'],
    ['early_terminate with no metric to judge', 'name: t\nmethod: grid\nparameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, min_iter: 1}\n', 'x.yaml:5:18 early_terminate: hyperband stopping needs a `metric`'],
    ['a metric impute W&B has not', P('dropout: {values: [0.2]}').replace('goal: minimize', 'goal: minimize, impute: mean'), 'x.yaml:4:50 metric.impute: must be latest, best, worst'],
    ['an unknown key in the metric', P('dropout: {values: [0.2]}').replace('goal: minimize', 'goal: minimize, tolerance: 1'), 'x.yaml:4:42 metric.tolerance: unknown key "tolerance" (a metric has name, goal, target, impute and impute_while_running)'],
    ['an unknown model kind', P('model: {values: [ann, rnn]}'), 'x.yaml:6:25 parameters.model.values[1]: must be one of ann, cnn'],
    ['a bad constant', P('epochs: {value: 0}'), 'x.yaml:6:19 parameters.epochs.value: must be a positive integer'],
    ['W&B\'s multi-objective metrics without method custom', W('parameters:\n  dropout: {values: [0.2]}\nmetrics: []\n'), 'x.yaml:7:10 metrics: `metrics` requires `method: custom` (got `method: random`)'],
    ['an unknown top-level key', W('parameters:\n  dropout: {values: [0.2]}\ncolour: red\n'), 'x.yaml:7:1 colour: unknown key "colour"'],
    ['a name sweep cannot use', P('dropout: {values: [0.2]}').replace('name: t', 'name: my sweep'), 'x.yaml:1:7 name: must be 1-64 letters'],
  ])('refuses %s', (_what, text, prefix) => {
    expect(message(text).startsWith(prefix), `${message(text)}\n  should start with\n${prefix}`).toBe(true);
  });
});

describe('W&B notes', () => {
  it('says once which W&B keys it ignores', () => {
    const { notes } = parseSpecWithNotes(`${SWEEPDEMO}run_cap: 20\nproject: demo\nentity: me\ncommand: ["\${program}"]\n`, 'sweeps/x.yaml');
    expect(notes).toEqual(['sweeps/x.yaml: W&B keys project, entity ignored (sweep runs its own training and records its own results)']);
  });

  it('has none for a W&B file without such keys, or for a native spec', () => {
    expect(parseSpecWithNotes('name: t\nmethod: grid\nparameters:\n  dropout: {values: [0.2]}\n', 'x.yaml').notes).toEqual([]);
    expect(parseSpecWithNotes('name: t\ngrid:\n  dropout: [0.2]\n', 'x.yaml').notes).toEqual([]);
  });

  it('are returned by loadSpec with the spec', () => {
    const file = join(tempDir('sweep-wandb-'), 'w.yaml');
    writeFileSync(file, `project: demo\n${MIN_ITER}name: t\nmethod: grid\nmetric: {name: val_loss, goal: minimize}\nparameters:\n  epochs: {value: 1}\n`);
    const { spec, notes } = loadSpec(file);
    expect(spec.search.earlyStopping).toMatchObject({ type: 'wandb-hyperband', minIter: 3 });
    expect(notes).toEqual([`${file}: W&B key project ignored (sweep runs its own training and records its own results)`]);
  });
});

describe('W&B\'s multi-objective metrics (method: custom, wandb/sweeps cfg.py at b1dfc5f)', () => {
  const CUSTOM = `name: mo
program: train.py
method: custom
scheduler: {engine: optuna}
run_cap: 20
metrics:
  - {name: acc, goal: maximize}
  - {name: cost}
parameters:
  x: {min: 0.0, max: 1.0}
`;

  it('runs Optuna\'s engine as sweep\'s NSGA-II, Ax\'s as TPE, over the same objectives, goals defaulting to minimize', () => {
    const native = (method: string) => parseSpec(`name: mo
program: train.py
metrics: [{name: acc, goal: maximize}, {name: cost, goal: minimize}]
search: {method: ${method}, trials: 20}
grid:
  x: {min: 0.0, max: 1.0}
`, 'n.yaml');
    expect(parseSpec(CUSTOM, 'w.yaml')).toEqual(native('nsga2'));
    expect(parseSpec(CUSTOM.replace('engine: optuna', 'engine: ax'), 'w.yaml')).toEqual(native('tpe'));
    expect(parseSpecWithNotes(CUSTOM, 'w.yaml').notes).toContain(
      'w.yaml: method custom with scheduler.engine optuna runs as sweep\'s nsga2 (Optuna\'s default sampler for several objectives, NSGAIISampler)');
  });

  it.each([
    ['no scheduler', CUSTOM.replace('scheduler: {engine: optuna}\n', ''), 'x.yaml:3:9 method: method custom needs a `scheduler: {engine: optuna}` (or ax)'],
    ['W&B\'s own engine, which cfg.py refuses for method custom', CUSTOM.replace('engine: optuna', 'engine: wandb'), 'x.yaml:4:21 scheduler.engine: `scheduler.engine: wandb` does not support `method: custom`'],
    ['an engine W&B has not', CUSTOM.replace('engine: optuna', 'engine: hyperopt'), 'x.yaml:4:21 scheduler.engine: must be optuna, ax or wandb'],
    ['the scheduler\'s own code', CUSTOM.replace('{engine: optuna}', '{engine: optuna, source: opt.py}'), 'x.yaml:4:29 scheduler.source: cannot honour scheduler.source: sweep runs its own search'],
    ['early_terminate beside a scheduler', `${CUSTOM}early_terminate: {type: hyperband, min_iter: 1}\n`, 'x.yaml:11:18 early_terminate: `early_terminate` cannot be used together with `scheduler`'],
    ['metric and metrics', `${CUSTOM}metric: {name: acc, goal: maximize}\n`, 'x.yaml:11:9 metric: `metric` and `metrics` cannot both be set'],
    ['a target in the list', CUSTOM.replace('{name: cost}', '{name: cost, target: 1}'), 'x.yaml:8:18 metrics[1].target: cannot honour `target` in a list of several objectives'],
    ['one metric', CUSTOM.replace('  - {name: cost}\n', ''), 'x.yaml:7:3 metrics: must list two or more metrics'],
  ])('refuses %s', (_what, text, expected) => {
    expect(message(text)).toMatch(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});

// W&B's param_dict (schema.json): a parameter whose only key is `parameters`. params.py's
// HyperParameterSet.from_config unnests its leaves and draws each as a parameter of its own;
// `to_config` renests them, so the run gets one top-level `{value: {...}}`: a mapping-valued
// parameter, with no conditionals (every field exists in every run).
describe('W&B nested parameters', () => {
  const program = (method: string, parameters: string) =>
    `name: t\nprogram: train.py\nmethod: ${method}\nrun_cap: 8\nmetric: {name: loss, goal: minimize}\nparameters:\n${parameters}`;
  const NESTED = `  optimizer:
    parameters:
      lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
      momentum: {values: [0.0, 0.9]}
  epochs: {value: 3}
`;

  it('become a native nested parameter, each field its distribution', () => {
    expect(parseSpec(program('random', NESTED), 'x.yaml').code?.grid).toEqual({
      optimizer: { parameters: { lr: { min: 0.0001, max: 0.1, log: true, type: 'float' }, momentum: [0, 0.9] } },
      epochs: [3],
    });
  });

  it('give every trial one mapping, every field drawn', () => {
    const trials = makeStrategy(parseSpec(program('random', NESTED), 'x.yaml')).initial();
    for (const t of trials) {
      const params = (t.config as { params: Record<string, { lr: number; momentum: number }> }).params;
      expect(Object.keys(params.optimizer)).toEqual(['lr', 'momentum']);
      expect(params.optimizer.lr >= 0.0001 && params.optimizer.lr <= 0.1).toBe(true);
    }
  });

  it('are enumerated field by field by a grid, as grid_search.py enumerates the unnested leaves', () => {
    const spec = parseSpec(program('grid', '  optimizer:\n    parameters:\n      lr: {values: [0.1, 0.01]}\n      nesterov: {value: true}\n'), 'x.yaml');
    expect(expandGrid(spec).map((t) => (t.config as { params: unknown }).params)).toEqual([
      { optimizer: { lr: 0.1, nesterov: true } }, { optimizer: { lr: 0.01, nesterov: true } },
    ]);
  });

  it('nest again, as param_dict may', () => {
    const spec = parseSpec(program('grid', '  model:\n    parameters:\n      head:\n        parameters:\n          width: {values: [8, 16]}\n'), 'x.yaml');
    expect(expandGrid(spec).map((t) => (t.config as { params: unknown }).params)).toEqual([{ model: { head: { width: 8 } } }, { model: { head: { width: 16 } } }]);
  });

  it.each([
    ['a field\'s bad range, at the W&B key', '  optimizer:\n    parameters:\n      lr: {min: 0.5, max: 0.1}\n',
      'x.yaml:9:27 parameters.optimizer.parameters.lr.max: must be greater than min (0.5)'],
    ['a field\'s bad sigma, found by the native schema, at the W&B key', '  optimizer:\n    parameters:\n      noise: {distribution: normal, sigma: 0}\n',
      'x.yaml:9:44 parameters.optimizer.parameters.noise.sigma: must be positive'],
    ['a field\'s bad name, at the W&B key', '  optimizer:\n    parameters:\n      2lr: {value: 1}\n',
      'x.yaml:9:7 parameters.optimizer.parameters.2lr: "2lr" cannot be a parameter\'s name'],
    ['a key beside `parameters`', '  optimizer:\n    parameters: {lr: {value: 1}}\n    values: [1]\n',
      'x.yaml:9:5 parameters.optimizer.values: unknown key "values": a nested parameter takes only `parameters`'],
    ['no fields', '  optimizer:\n    parameters: {}\n', 'x.yaml:8:17 parameters.optimizer.parameters: must map each nested parameter\'s name'],
  ])('refuse %s', (_what, parameters, expected) => {
    expect(message(program('random', parameters))).toMatch(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});
