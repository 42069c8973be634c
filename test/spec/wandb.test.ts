import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGrid } from '../../src/search/grid.js';
import { makeStrategy } from '../../src/search/strategy.js';
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
    const native = parseSpec(`name: sweepdemo
program: train.py
metric: {name: validation_loss, goal: minimize}
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
metric: val_loss
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
    expect(spec.search).toEqual({ method: 'tpe', trials: 30, earlyStopping: { type: 'wandb-hyperband', maxIter: 27, s: 2, eta: 3, strict: true } });
  });

  it('refuses the Bayes hyperband example without its program: hidden_layer_size is not sweep\'s', () => {
    expect(message(`name: bh\nrun_cap: 30\n${builtIn(BAYES_HYPERBAND)}`)).toBe(
      'x.yaml:10:3 parameters.hidden_layer_size: unknown hyperparameter "hidden_layer_size": sweep has model, epochs, activation, units, dropout, filters, kernel_size, pooling, optimizer, learning_rate, batch_size, label_smoothing, batch_norm, augment, schedule, weight_decay, blocks, head (or their camelCase keys)',
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
    expect(wandb).toEqual(parseSpec(HYPERBAND_NATIVE.replace('method: grid', 'method: tpe\n  trials: 30'), 'n.yaml'));
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

describe('W&B refusals', () => {
  const W = (lines: string) => `name: t\nmethod: random\nrun_cap: 5\nmetric: {name: val_loss, goal: minimize}\n${lines}`;
  const P = (parameter: string) => W(`parameters:\n  ${parameter}\n`);

  // Every refusal is one line, `file:line:col path: problem`, at the W&B key it is about.
  it.each([
    ...['inv_log_uniform', 'inv_log_uniform_values', 'normal', 'q_normal', 'log_normal', 'q_log_normal', 'beta', 'q_beta'].map((d) => [
      `distribution ${d}`, P(`dropout: {distribution: ${d}}`), `x.yaml:6:27 parameters.dropout.distribution: cannot honour distribution "${d}"`,
    ]),
    ['an unknown distribution', P('dropout: {distribution: triangular, min: 0, max: 0.5}'), 'x.yaml:6:27 parameters.dropout.distribution: unknown distribution "triangular"'],
    ['probabilities', P('optimizer: {values: [adam, sgd], probabilities: [0.9, 0.1]}'), 'x.yaml:6:36 parameters.optimizer.probabilities: cannot honour `probabilities`: sweep draws values uniformly'],
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
    ['method custom', P('dropout: {values: [0.2]}').replace('method: random', 'method: custom'), 'x.yaml:2:9 method: cannot honour method "custom"'],
    ['an unknown method', P('dropout: {values: [0.2]}').replace('method: random', 'method: hyperopt'), 'x.yaml:2:9 method: must be grid, random or bayes'],
    ['no method', 'name: t\nparameters:\n  dropout: {values: [0.2]}\n', 'x.yaml:1:1 method: a W&B sweep needs `method`'],
    ['maximizing val_loss', P('dropout: {values: [0.2]}').replace('goal: minimize', 'goal: maximize'), 'x.yaml:4:32 metric.goal: sweep can only minimize val_loss, not maximize it: write `goal: minimize`'],
    ['val_accuracy under W&B\'s default goal (minimize)', P('dropout: {values: [0.2]}').replace(', goal: minimize', '').replace('val_loss', 'val_accuracy'), 'x.yaml:4:9 metric: sweep can only maximize val_accuracy, not minimize it (W&B\'s goal defaults to minimize): write `goal: maximize`'],
    ['a metric sweep does not record', P('dropout: {values: [0.2]}').replace('val_loss', 'val_acc'), 'x.yaml:4:16 metric.name: must be val_accuracy or val_loss'],
    ['a metric target', P('dropout: {values: [0.2]}').replace('goal: minimize', 'goal: minimize, target: 0.1'), 'x.yaml:4:42 metric.target: cannot honour `target`'],
    ['early_terminate of another type', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: envelope}\n'), 'x.yaml:7:25 early_terminate.type: cannot honour early_terminate type "envelope"'],
    ['early_terminate with max_iter but no s', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, max_iter: 27}\n'), 'x.yaml:7:36 early_terminate.max_iter: max_iter needs s'],
    ['early_terminate with both min_iter and max_iter', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, min_iter: 3, max_iter: 27, s: 2}\n'), 'x.yaml:7:36 early_terminate.min_iter: give min_iter or max_iter, not both'],
    ['an eta sweep cannot use', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, min_iter: 3, eta: 2.5}\n'), 'x.yaml:7:54 early_terminate.eta: must be an integer'],
    ['early_terminate with max_iter and s 0', W('parameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, max_iter: 27, s: 0}\n'), 'x.yaml:7:53 early_terminate.s: must be at least 1 with max_iter'],
    ['early_terminate with no metric to judge', 'name: t\nmethod: grid\nparameters:\n  dropout: {values: [0.2]}\nearly_terminate: {type: hyperband, min_iter: 1}\n', 'x.yaml:5:18 early_terminate: hyperband stopping needs a `metric`'],
    ['a metric impute', P('dropout: {values: [0.2]}').replace('goal: minimize', 'goal: minimize, impute: best'), 'x.yaml:4:42 metric.impute: cannot honour `impute`'],
    ['an unknown model kind', P('model: {values: [ann, rnn]}'), 'x.yaml:6:25 parameters.model.values[1]: must be one of ann, cnn'],
    ['a bad constant', P('epochs: {value: 0}'), 'x.yaml:6:19 parameters.epochs.value: must be a positive integer'],
    ['W&B\'s multi-objective metrics', W('parameters:\n  dropout: {values: [0.2]}\nmetrics: []\n'), 'x.yaml:7:1 metrics: cannot honour `metrics`'],
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
