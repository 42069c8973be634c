/**
 * Conditional and nested parameters in a spec of the user's code: how a grid entry reads, what it
 * becomes, and every mistake refused in one line with its place in the file.
 */
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/load-spec.js';
import { nameClashes, rawForm, type GridNode } from '../../src/spec/conditional.js';

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
