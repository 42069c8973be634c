/**
 * Several objectives (`metrics:`) and constraints in a spec: what is taken, what is refused and
 * where, for sweep's built-in models and for the user's program.
 */
import { describe, expect, it } from 'vitest';
import { evaluateConstraints, parseConstraint, violationOf } from '../../src/spec/constraints.js';
import { parseSpec } from '../../src/spec/load-spec.js';

const builtIn = (head: string, grid = 'grid:\n  dropout: [0.1, 0.2]\n') => `name: t\n${head}${grid}`;
const program = (head: string) => `name: p\nprogram: train.py\n${head}grid:\n  lr: [0.1, 0.01]\n`;

describe('metrics: several objectives', () => {
  it('takes accuracy against cost, in order, each with the registry\'s goal; the first ranks', () => {
    const spec = parseSpec(builtIn('metrics: [val_accuracy, {name: train_seconds}, params]\n'), 's.yaml');
    expect(spec.objectives).toEqual([
      { name: 'val_accuracy', goal: 'maximize' }, { name: 'train_seconds', goal: 'minimize' }, { name: 'params', goal: 'minimize' },
    ]);
    expect(spec.metric).toEqual({ name: 'val_accuracy', goal: 'maximize' });
    expect(spec.constraints).toEqual([]);
  });

  it('takes latency_ms as a cost beside accuracy, and as a constraint; a program\'s own latency_ms goes the registry\'s way', () => {
    const spec = parseSpec(builtIn('metrics: [val_accuracy, latency_ms]\nconstraints: ["latency_ms <= 1.0"]\n'), 's.yaml');
    expect(spec.objectives).toEqual([{ name: 'val_accuracy', goal: 'maximize' }, { name: 'latency_ms', goal: 'minimize' }]);
    expect(spec.constraints).toEqual([{ text: 'latency_ms <= 1.0', name: 'latency_ms', op: '<=', bound: 1 }]);
    expect(parseSpec(program('metrics:\n  - {name: f1, goal: maximize}\n  - latency_ms\n'), 'p.yaml').objectives)
      .toEqual([{ name: 'f1', goal: 'maximize' }, { name: 'latency_ms', goal: 'minimize' }]);
  });

  it('a sweep of one metric has it as its one objective', () => {
    const spec = parseSpec(builtIn('metric: val_loss\n'), 's.yaml');
    expect(spec.objectives).toEqual([{ name: 'val_loss', goal: 'minimize' }]);
  });

  it('a program\'s metrics, each with its goal from the spec', () => {
    const spec = parseSpec(program('metrics:\n  - {name: f1, goal: maximize}\n  - {name: latency, goal: minimize}\n'), 'p.yaml');
    expect(spec.objectives).toEqual([{ name: 'f1', goal: 'maximize' }, { name: 'latency', goal: 'minimize' }]);
    expect(spec.code!.metricDeclared).toBe(true);
  });

  it.each([
    ['metric: val_accuracy\nmetrics: [val_accuracy, params]\n', 's.yaml:3:10 metrics: write `metric:` for one objective or `metrics:` for several, not both'],
    ['metrics: [val_accuracy]\n', 's.yaml:2:10 metrics: lists a sweep\'s objectives when it has several: give two or more, or write `metric:` for one'],
    ['metrics: [params, train_seconds]\n', 's.yaml:2:10 metrics: lists only costs: add what they buy, e.g. val_accuracy'],
    ['metrics: [val_accuracy, val_accuracy]\n', 's.yaml:2:25 metrics[1]: lists val_accuracy twice'],
    ['metrics: [val_accuracy, test_accuracy]\n', 's.yaml:2:25 metrics[1]: test_accuracy cannot be what the sweep ranks on (the test set is evaluated once and chooses nothing)'],
    ['metrics: [val_accuracy, {name: params, goal: maximize}]\n', 's.yaml:2:46 metrics[1].goal: sweep can only minimize params, not maximize it'],
    ['metrics: [val_accuracy, {name: f1, goal: maximize}]\n', 's.yaml:2:32 metrics[1].name: must be a metric sweep records (val_accuracy, val_loss, train_seconds, params, latency_ms), got "f1"'],
    ['metric: params\n', 's.yaml:2:9 metric: params is a cost: list it in `metrics:` beside what it costs, e.g. [val_accuracy, params]'],
  ])('refuses %j in one line, where it is', (head, message) => {
    expect(() => parseSpec(builtIn(head), 's.yaml')).toThrow(message);
  });

  it('a program\'s metric of its own needs its goal', () => {
    expect(() => parseSpec(program('metrics: [f1, {name: cost, goal: minimize}]\n'), 'p.yaml'))
      .toThrow('p.yaml:3:11 metrics[0]: "f1" is a metric of your program\'s: give its goal (maximize or minimize)');
  });
});

describe('early stopping in a sweep of several objectives', () => {
  const search = (es: string) => `search:\n  method: random\n  trials: 4\n  earlyStopping: ${es}\n`;
  const grid = 'grid:\n  dropout: {min: 0.1, max: 0.5}\n';

  it('prunes on the objective it names, which then ranks', () => {
    const spec = parseSpec(builtIn(`metrics: [val_accuracy, train_seconds, val_loss]\n${search('{type: asha, minEpochs: 1, metric: val_loss}')}`, grid), 's.yaml');
    expect(spec.metric).toEqual({ name: 'val_loss', goal: 'minimize' });
    expect(spec.search.earlyStopping).toMatchObject({ type: 'asha', metric: 'val_loss' });
  });

  it.each([
    ['{type: asha, minEpochs: 1}', 's.yaml:6:18 search.earlyStopping: asha judges one metric, and this sweep has 2: name the one it prunes on, e.g. `earlyStopping: {type: asha, metric: val_accuracy}`'],
    ['{type: median, metric: val_loss}', 's.yaml:6:41 search.earlyStopping.metric: must be one of the sweep\'s objectives (val_accuracy, train_seconds), got "val_loss"'],
    ['{type: median, metric: train_seconds}', 's.yaml:6:41 search.earlyStopping.metric: train_seconds is known only when a trial ends: early stopping needs a metric of every epoch'],
    ['{type: median, metric: 3}', 's.yaml:6:41 search.earlyStopping.metric: must be the name of one of the sweep\'s objectives'],
  ])('refuses %s', (es, message) => {
    expect(() => parseSpec(builtIn(`metrics: [val_accuracy, train_seconds]\n${search(es)}`, grid), 's.yaml')).toThrow(message);
  });

  it('a rule\'s own options are checked as before', () => {
    expect(() => parseSpec(builtIn(`metrics: [val_accuracy, train_seconds]\n${search('{type: asha, metric: val_accuracy, rungs: 3}')}`, grid), 's.yaml'))
      .toThrow(/unknown key "rungs"/);
  });
});

describe('constraints', () => {
  it('parses bounds on metrics and parameters', () => {
    const spec = parseSpec(builtIn('metrics: [val_accuracy, train_seconds]\nconstraints: ["params <= 200000", "dropout>=0.15", "val_accuracy >= 8.5e-1"]\n'), 's.yaml');
    expect(spec.constraints).toEqual([
      { text: 'params <= 200000', name: 'params', op: '<=', bound: 200000 },
      { text: 'dropout>=0.15', name: 'dropout', op: '>=', bound: 0.15 },
      { text: 'val_accuracy >= 8.5e-1', name: 'val_accuracy', op: '>=', bound: 0.85 },
    ]);
  });

  it.each([
    ['["params < 5"]', 's.yaml:2:15 constraints[0]: "params < 5": write <= (a constraint is met at its bound, as Optuna\'s are)'],
    ['["params = 5"]', 's.yaml:2:15 constraints[0]: "params = 5": a constraint is a bound, <= or >=; to fix a parameter, give it one value in the grid'],
    ['["params <= 1", "params <= big"]', 's.yaml:2:30 constraints[1]: "params <= big" is not a constraint: write NAME <= NUMBER or NAME >= NUMBER'],
    ['["activation <= 2"]', 's.yaml:2:15 constraints[0]: "activation" is neither a metric sweep records nor a numeric hyperparameter'],
    ['"params <= 5"', 's.yaml:2:14 constraints: must be a list of bounds, such as "params <= 200000"'],
  ])('refuses constraints: %s', (list, message) => {
    expect(() => parseSpec(builtIn(`constraints: ${list}\n`), 's.yaml')).toThrow(message);
  });

  it('a program\'s constraints may name its own metrics', () => {
    const spec = parseSpec(program('metric: {name: f1, goal: maximize}\nconstraints: ["latency_ms <= 1.5"]\n'), 'p.yaml');
    expect(spec.constraints).toEqual([{ text: 'latency_ms <= 1.5', name: 'latency_ms', op: '<=', bound: 1.5 }]);
  });

  it.each([
    ['params <= 100', 90, 0], ['params <= 100', 100, 0], ['params <= 100', 130, 30],
    ['acc >= 0.5', 0.75, 0], ['acc >= 0.5', 0.25, 0.25], ['acc >= 0.5', undefined, Infinity], ['acc >= 0.5', NaN, Infinity],
  ])('%s with %s breaks it by %s (a missing value without limit)', (text, value, by) => {
    const c = parseConstraint(text);
    if ('problem' in c) throw new Error(c.problem);
    expect(violationOf(c, value)).toBe(by);
  });

  it('a trial\'s violation is the sum of what it breaks, in their own units (Optuna\'s)', () => {
    const cs = ['a <= 1', 'b >= 10', 'c <= 0'].map((t) => parseConstraint(t) as Exclude<ReturnType<typeof parseConstraint>, { problem: string }>);
    const values: Record<string, number> = { a: 3, b: 4, c: 0 };
    expect(evaluateConstraints(cs, (n) => values[n])).toEqual({ violation: 8, broken: [{ text: 'a <= 1', by: 2 }, { text: 'b >= 10', by: 6 }] });
    expect(evaluateConstraints([], () => 1)).toEqual({ violation: 0, broken: [] });
  });
});
