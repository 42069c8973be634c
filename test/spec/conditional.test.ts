/**
 * Conditional and nested parameters in a spec: how a grid entry reads, what it becomes (for the
 * user's code, and for sweep's own hyperparameters), and every mistake refused in one line with its
 * place in the file.
 */
import { describe, expect, it } from 'vitest';
import { expandGrid } from '../../src/search/grid.js';
import { makeStrategy } from '../../src/search/strategy.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { nameClashes, rawForm, type GridNode } from '../../src/spec/conditional.js';
import { combinations } from '../../src/spec/axes.js';
import type { Axis } from '../../src/spec/schema.js';

const HEAD = 'name: c\nprogram: train.py\nmetric: {name: loss, goal: minimize}\n';
const message = (text: string): string => {
  try {
    parseSpec(text, 'x.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('how a grid entry reads', () => {
  it.each([
    [[0.1, 0.2], 'leaf'],
    [{ min: 0, max: 1 }, 'leaf'],
    [{ values: [1, 2], probabilities: [0.5, 0.5] }, 'leaf'],
    [{ mu: 0, sigma: 1 }, 'leaf'],
    [{ a: 1, b: 2 }, 'leaf'],
    [{ adam: { beta1: [0.9] }, sgd: null }, 'conditional'],
    // Choices named like a range's keys are still choices: their values are mappings.
    [{ a: { x: [1] }, b: {} }, 'conditional'],
    [{ parameters: { lr: [0.1] } }, 'nested'],
    [{ adam: null, sgd: null }, 'conditional'],
    // A range with a value left out is a range with a mistake, not choices named min and max.
    [{ min: 0, max: null }, 'leaf'],
  ])('%j is a %s', (value, form) => {
    expect(rawForm(value)).toBe(form);
  });
});

describe('a conditional parameter', () => {
  it('keeps its choices in the spec\'s order, each with its own grid, an empty choice as none', () => {
    const spec = parseSpec(`${HEAD}search: {method: random, trials: 4}\ngrid:
  optimizer:
    sgd: {momentum: {min: 0.0, max: 0.9}}
    adam: {beta1: [0.9, 0.95], layers: {min: 1, max: 4}}
    none: null
    rmsprop: {}
  batch_size: [32, 64]
`, 'x.yaml');
    expect(spec.code!.grid).toEqual({
      optimizer: {
        branches: [
          { choice: 'sgd', grid: { momentum: { min: 0, max: 0.9, log: false, type: 'float' } } },
          // Integers where min and max are written as integers, under a choice as anywhere.
          { choice: 'adam', grid: { beta1: [0.9, 0.95], layers: { min: 1, max: 4, log: false, type: 'int' } } },
          { choice: 'none', grid: {} },
          { choice: 'rmsprop', grid: {} },
        ],
      },
      batch_size: [32, 64],
    });
  });

  it('may sit under a choice, and under several parents', () => {
    expect(message(`${HEAD}grid:
  optimizer:
    sgd:
      schedule:
        step: {gamma: [0.1]}
        cosine: null
  augment:
    'yes': {strength: [1, 2]}
    'no': null
`)).toBe('accepted');
  });

  it('allows the same name under two choices of one parent: a configuration has at most one of them', () => {
    expect(message(`${HEAD}grid:\n  optimizer:\n    adam: {lr: [0.001]}\n    sgd: {lr: [0.1]}\n`)).toBe('accepted');
  });
});

describe('a nested parameter', () => {
  it('is W&B\'s `parameters:` inside a parameter, each field a parameter of its own', () => {
    const spec = parseSpec(`${HEAD}search: {method: random, trials: 4}\ngrid:\n  optimizer:\n    parameters:\n      lr: {min: 0.001, max: 0.1}\n      momentum: [0.9]\n`, 'x.yaml');
    expect(spec.code!.grid).toEqual({ optimizer: { parameters: { lr: { min: 0.001, max: 0.1, log: false, type: 'float' }, momentum: [0.9] } } });
  });

  it('has names of its own: a field may share a parameter\'s name', () => {
    expect(message(`${HEAD}grid:\n  lr: [1]\n  optimizer:\n    parameters: {lr: [0.1]}\n`)).toBe('accepted');
  });
});

describe('mistakes, refused in one line with file:line:col', () => {
  it.each([
    ['a choice YAML reads as a number', 'grid:\n  layers:\n    1: {width: [64]}\n    "2": {width: [32]}\n',
      'x.yaml:6:5 grid.layers.1: a choice is a name, and YAML reads 1 as a number: write it in quotes ("1")'],
    ['a choice YAML reads as a boolean', 'grid:\n  bn:\n    true: {momentum: [0.9]}\n    "false": null\n',
      'x.yaml:6:5 grid.bn.true: a choice is a name, and YAML reads true as a boolean: write it in quotes ("true")'],
    ['a parameter both conditional and unconditional', 'grid:\n  lr: [0.1]\n  optimizer:\n    adam: {lr: [0.01]}\n',
      'x.yaml:7:12 grid.optimizer.adam.lr: lr is also a parameter of every configuration (grid.lr): a parameter is either conditional or not'],
    ['the same name under the choices of two parents', 'grid:\n  optimizer:\n    adam: {lr: [0.01]}\n    sgd: null\n  schedule:\n    step: {lr: [0.1]}\n',
      'x.yaml:9:12 grid.schedule.step.lr: lr is also under grid.optimizer.adam: a configuration could have both, as the choices of different parameters combine'],
    ['a parameter under its own choice', 'grid:\n  optimizer:\n    adam: {optimizer: [sgd]}\n',
      'x.yaml:6:12 grid.optimizer.adam.optimizer: optimizer is the parameter it is under: name it otherwise'],
    ['a choice that is neither a mapping nor null', 'grid:\n  optimizer:\n    adam: {beta1: [0.9]}\n    sgd: [0.9]\n',
      'x.yaml:7:10 grid.optimizer.sgd: must be the parameters that exist where this is sgd (a mapping), or null for none'],
    ['a choice named `parameters`', 'grid:\n  mode:\n    parameters: {a: [1]}\n    other: null\n',
      'x.yaml:7:5 grid.mode.other: unknown key "other": a nested parameter takes only `parameters` (a choice cannot be named so)'],
    ['a bad name under a choice', 'grid:\n  optimizer:\n    adam: {"2beta": [0.9]}\n',
      'x.yaml:6:12 grid.optimizer.adam.2beta: "2beta" cannot be a parameter\'s name: a letter or "_", then letters, digits, "_", "." or "-" (64 at most)'],
    ['a bad value under a choice', 'grid:\n  optimizer:\n    adam: {beta1: []}\n',
      'x.yaml:6:19 grid.optimizer.adam.beta1: must list at least one value'],
    ['a range under a choice in a grid search', 'grid:\n  optimizer:\n    adam: {beta1: {min: 0.8, max: 0.99}}\n',
      'x.yaml:6:12 grid.optimizer.adam.beta1: a range needs `search.method: random` or `tpe`; a grid takes a list of values'],
    ['an empty nested parameter', 'grid:\n  optimizer: {parameters: {}}\n',
      'x.yaml:5:27 grid.optimizer.parameters: must name at least one field'],
    ['a nested parameter with a key of a range', 'grid:\n  optimizer: {parameters: {lr: [1]}, min: 0}\n',
      'x.yaml:5:38 grid.optimizer.min: unknown key "min": a nested parameter takes only `parameters` (a choice cannot be named so)'],
  ])('%s', (_what, grid, expected) => {
    expect(message(HEAD + grid)).toBe(expected);
  });

  it('finds every clash, each at the later occurrence', () => {
    const grid: Record<string, GridNode<number[]>> = {
      lr: [1],
      a: { branches: [{ choice: 'x', grid: { lr: [2], m: [1] } }, { choice: 'y', grid: { m: [2] } }] },
      b: { branches: [{ choice: 'z', grid: { m: [3] } }] },
    };
    expect(nameClashes(grid, ['grid']).map((c) => c.path.join('.'))).toEqual(['grid.a.x.lr', 'grid.b.z.m']);
  });
});

// sweep's own hyperparameters: a choice of a named one (optimizer, activation, pooling, schedule,
// head, augment) may give others their own axes; every configuration still has every hyperparameter.
describe('a built-in hyperparameter\'s choices', () => {
  const configs = (text: string) => expandGrid(parseSpec(text, 'x.yaml')).map((t) => t.config as unknown as Record<string, unknown>);
  const pick = (c: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, c[k]]));

  it('give a hyperparameter its own axis under each choice, the one it would otherwise have under the others', () => {
    const got = configs('name: b\ntrain: {learningRate: 0.002}\ngrid:\n  optimizer:\n    adam: {learningRate: [0.001, 0.0003]}\n    sgd: {learningRate: [0.1], batchSize: [64]}\n    rmsprop: null\n');
    expect(got.map((c) => pick(c, ['optimizer', 'learningRate', 'batchSize']))).toEqual([
      { optimizer: 'adam', learningRate: 0.001, batchSize: 32 },
      { optimizer: 'adam', learningRate: 0.0003, batchSize: 32 },
      { optimizer: 'sgd', learningRate: 0.1, batchSize: 64 },
      // train: gives rmsprop its learning rate, the default its batch size.
      { optimizer: 'rmsprop', learningRate: 0.002, batchSize: 32 },
    ]);
  });

  it('make ordinary configurations: the same ids as a spec that fixes the same values', () => {
    const conditional = expandGrid(parseSpec('name: b\ngrid:\n  optimizer:\n    adam: {learningRate: [0.001]}\n    sgd: {learningRate: [0.1]}\n', 'x.yaml'));
    const flat = expandGrid(parseSpec('name: b\ntrain: {optimizer: sgd, learningRate: 0.1}\n', 'x.yaml'));
    expect(conditional.map((t) => t.configId)).toContain(flat[0].configId);
  });

  it('apply per model kind, a kind\'s own sub-grid winning, and a CNN key under a choice only to CNNs', () => {
    const got = configs(`name: b
grid:
  pooling:
    max: {kernelSize: [3]}
    none: {kernelSize: [5], filters: [[8]]}
  learningRate: [0.01]
  model:
    ann: {units: [[64]]}
    cnn: {filters: [[16, 32]]}
`);
    expect(got.map((c) => pick(c, ['model', 'pooling', 'kernelSize', 'filters']))).toEqual([
      { model: 'ann', pooling: undefined, kernelSize: undefined, filters: undefined },
      // The CNN's own filters win under every choice of the shared pooling.
      { model: 'cnn', pooling: 'max', kernelSize: 3, filters: [16, 32] },
      { model: 'cnn', pooling: 'none', kernelSize: 5, filters: [16, 32] },
    ]);
  });

  it('let random search and TPE draw a range per choice', () => {
    const spec = parseSpec('name: b\nsearch: {method: random, trials: 40}\ngrid:\n  optimizer:\n    adam: {learningRate: {min: 0.0001, max: 0.001, log: true}}\n    sgd: {learningRate: {min: 0.05, max: 0.5, log: true}}\n', 'x.yaml');
    const drawn = makeStrategy(spec).initial().map((t) => t.config as unknown as { optimizer: string; learningRate: number });
    expect(new Set(drawn.map((c) => c.optimizer))).toEqual(new Set(['adam', 'sgd']));
    for (const c of drawn) expect(c.optimizer === 'adam' ? c.learningRate <= 0.001 : c.learningRate >= 0.05).toBe(true);
    expect(makeStrategy(spec).keys).toEqual(['optimizer', 'learningRate']);
  });

  it.each([
    ['a hyperparameter both shared and under a choice', 'grid:\n  learningRate: [0.1]\n  optimizer:\n    adam: {learningRate: [0.01]}\n',
      'x.yaml:5:12 grid.optimizer.adam.learningRate: learningRate is also a parameter of every configuration (grid.learningRate): a parameter is either conditional or not'],
    ['a choice the hyperparameter does not have', 'grid:\n  optimizer:\n    adamw: {learningRate: [0.01]}\n', 'x.yaml:4:5 grid.optimizer.adamw: must be one of adam, sgd, rmsprop, adagrad'],
    ['choices on a number', 'grid:\n  dropout:\n    low: {learningRate: [0.01]}\n',
      'x.yaml:4:5 grid.dropout: only activation, pooling, optimizer, augment, schedule, head (and model) can have hyperparameters under their choices: dropout takes a list or a range'],
    ['a CNN key under a choice, with no CNN', 'grid:\n  optimizer:\n    adam: {filters: [[8]]}\n', 'x.yaml:4:12 grid.optimizer.adam.filters: only cnn models take "filters", and this grid has none'],
    ['a CNN key under a choice in the ANN\'s sub-grid', 'grid:\n  model:\n    ann:\n      optimizer:\n        adam: {filters: [[1]]}\n', 'x.yaml:6:16 grid.model.ann.optimizer.adam.filters: unknown key "filters"'],
    ['a range under a choice in a grid search', 'grid:\n  optimizer:\n    adam: {dropout: {min: 0, max: 0.5}}\n', 'x.yaml:4:12 grid.optimizer.adam.dropout: a range needs `search.method: random` or `tpe`'],
    ['one choice twice, as augment reads it', 'grid:\n  augment:\n    shift+flip: {dropout: [0.1]}\n    flip+shift: null\n',
      'x.yaml:5:5 grid.augment.flip+shift: is shift+flip, as "shift+flip" is: give each choice once'],
    ['nested parameters', 'grid:\n  optimizer: {parameters: {a: [1]}}\n', 'x.yaml:3:14 grid.optimizer: sweep\'s hyperparameters are flat: nested `parameters` are for a program\'s own'],
  ])('refuse %s', (_what, grid, expected) => {
    expect(message(`name: b\n${grid}`)).toMatch(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});

describe('combinations', () => {
  it('gives the values keys take together, each choice with its own, without expanding other keys', () => {
    // pooling none only with one conv layer: a CNN that pools four times never occurs.
    const grid: Record<string, GridNode<Axis>> = {
      dropout: [0.1, 0.2],
      pooling: { branches: [{ choice: 'max', grid: { filters: [[8]] } }, { choice: 'none', grid: { filters: [[8], [8, 8, 8, 8]] } }] },
      activation: { branches: [{ choice: 'relu', grid: {} }, { choice: 'tanh', grid: { units: [[8]] } }] },
    };
    expect(combinations(grid, ['filters', 'pooling'])).toEqual([
      { filters: [8] }, { filters: [8] }, { filters: [8, 8, 8, 8] },
    ].map((c, i) => ({ ...c, pooling: i === 0 ? 'max' : 'none' })));
  });
});
