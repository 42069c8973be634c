/**
 * Specs of the user's own code: free parameter names, checked as sweep's own are (names,
 * values, ranges, with file:line:col), the metric the program reports, and the keys that only
 * a program takes.
 */
import { describe, expect, it } from 'vitest';
import { expandGrid } from '../../src/search/grid.js';
import { makeStrategy } from '../../src/search/strategy.js';
import { parseSpec } from '../../src/spec/load-spec.js';

const message = (text: string): string => {
  try {
    parseSpec(text, 'x.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

const HEAD = 'name: p\nprogram: train.py\nmetric: {name: validation_loss, goal: minimize}\n';

describe('a spec of a program', () => {
  it('takes any parameter names, lists expanding into a grid of the program\'s parameters', () => {
    const spec = parseSpec(`${HEAD}grid:\n  lr: [0.1, 0.01]\n  hidden.size: [64]\n  use_bn: [true, false]\n`, 'x.yaml');
    expect(spec.code).toEqual({
      kind: 'program', program: 'train.py', interpreter: 'python3', trial: { grace: 30 }, metricDeclared: true,
      grid: { lr: [0.1, 0.01], 'hidden.size': [64], use_bn: [true, false] },
    });
    expect(spec.metric).toEqual({ name: 'validation_loss', goal: 'minimize' });
    const trials = expandGrid(spec);
    expect(trials.map((t) => t.config)).toEqual([
      { model: 'program', params: { 'hidden.size': 64, lr: 0.1, use_bn: true } },
      { model: 'program', params: { 'hidden.size': 64, lr: 0.1, use_bn: false } },
      { model: 'program', params: { 'hidden.size': 64, lr: 0.01, use_bn: true } },
      { model: 'program', params: { 'hidden.size': 64, lr: 0.01, use_bn: false } },
    ]);
    expect(new Set(trials.map((t) => t.configId)).size).toBe(4);
  });

  it('draws ranges for random search and TPE: integers where min and max are written as integers', () => {
    const spec = parseSpec(`${HEAD}search: {method: random, trials: 20}\ngrid:\n  layers: {min: 1, max: 4}\n  lr: {min: 0.0001, max: 0.1, log: true}\n  width: {min: 16.0, max: 64.0}\n`, 'x.yaml');
    const params = makeStrategy(spec).initial().map((t) => (t.config as { params: Record<string, number> }).params);
    expect(params).toHaveLength(20);
    for (const p of params) {
      expect(Number.isInteger(p.layers) && p.layers >= 1 && p.layers <= 4).toBe(true);
      expect(p.lr).toBeGreaterThanOrEqual(0.0001);
      expect(p.lr).toBeLessThanOrEqual(0.1);
    }
    expect(params.some((p) => !Number.isInteger(p.width))).toBe(true);
  });

  it('refuses, with the place in the file, what cannot run', () => {
    expect(message(`${HEAD}grid:\n  "1lr": [0.1]\n`)).toBe('x.yaml:5:3 grid.1lr: "1lr" cannot be a parameter\'s name: a letter or "_", then letters, digits, "_", "." or "-" (64 at most)');
    expect(message(`${HEAD}grid:\n  lr: []\n`)).toBe('x.yaml:5:7 grid.lr: must list at least one value');
    expect(message(`${HEAD}grid:\n  lr: [.nan]\n`)).toBe('x.yaml:5:8 grid.lr[0]: must be a finite number, a string, true or false, null, a list or a mapping');
    expect(message(`${HEAD}grid:\n  lr: {min: 0.1, max: 1}\n`)).toBe('x.yaml:5:3 grid.lr: a range needs `search.method: random` or `tpe`; a grid takes a list of values');
    expect(message(`${HEAD}search: {method: random, trials: 2}\ngrid:\n  lr: {min: 1, max: 0.1}\n`)).toMatch(/^x\.yaml:6:\d+ grid\.lr\.max: must be greater than min \(1\)$/);
    expect(message('name: p\nprogram: train.py\nmetric: vl\ngrid:\n  lr: [1]\n')).toBe('x.yaml:3:9 metric: "vl" is a metric of your program\'s: give its goal (maximize or minimize)');
    expect(message(`${HEAD}objective: t.mjs\ngrid:\n  lr: [1]\n`)).toBe('x.yaml:4:12 objective: a sweep runs a program or an objective module, not both');
    expect(message(`${HEAD}data: {validationSplit: 0.2}\ngrid:\n  lr: [1]\n`)).toBe('x.yaml:4:7 data: `data` is for sweep\'s built-in models: a program trains on its own');
    expect(message(`${HEAD}collect: {filter: "(a"}\ngrid:\n  lr: [1]\n`)).toMatch(/^x\.yaml:4:19 collect\.filter: is not a regular expression: /);
    expect(message(`${HEAD}collect: {filter: "a=(\\\\d+)"}\ngrid:\n  lr: [1]\n`)).toMatch(/^x\.yaml:4:19 collect\.filter: needs two groups/);
    expect(message('name: p\ncommand: [x]\ngrid:\n  lr: [1]\n')).toBe('x.yaml:2:10 command: only a sweep of a program takes `command`: name it with `program: train.py`');
    expect(message(`${HEAD}search: {method: random, trials: 4, earlyStopping: {type: asha}}\ngrid:\n  lr: [1]\n`))
      .toMatch(/^x\.yaml:4:\d+ search\.earlyStopping: early stopping needs to know how many steps a trial reports/);
  });

  it('a built-in name as its metric takes the registry\'s goal; without a metric, trials need report none', () => {
    expect(parseSpec('name: p\nprogram: train.py\nmetric: val_accuracy\ngrid:\n  lr: [1]\n', 'x.yaml').metric).toEqual({ name: 'val_accuracy', goal: 'maximize' });
    expect(parseSpec('name: p\nprogram: train.py\ngrid:\n  lr: [1]\n', 'x.yaml').code?.metricDeclared).toBe(false);
    expect(message('name: p\nprogram: train.py\nsearch: {method: random, trials: 4, earlyStopping: {type: asha}}\ngrid:\n  epochs: [3]\n'))
      .toMatch(/search\.earlyStopping: early stopping judges the metric your program reports: name it/);
  });
});
