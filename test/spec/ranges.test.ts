/**
 * The native spec's forms of W&B's other distributions (src/spec/ranges.ts): `{mu, sigma}` (a
 * normal; log-normal with `log: true`) and `{a, b}` (a beta) for a program's parameters, and
 * `{values, probabilities}` for any list; each refusal one line at its place in the file.
 */
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../src/search/strategy.js';
import { searchSpace } from '../../src/search/space.js';
import { parseSpec } from '../../src/spec/load-spec.js';

const message = (text: string): string => {
  try {
    parseSpec(text, 'x.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

const PROGRAM = 'name: p\nprogram: train.py\nmetric: {name: loss, goal: minimize}\nsearch: {method: random, trials: 5}\ngrid:\n';
const BUILT_IN = 'name: b\nmetric: val_loss\nsearch: {method: random, trials: 5}\ngrid:\n';

describe('normals, betas and probabilities in a native spec', () => {
  it('a program\'s parameters take {mu, sigma}, {mu, sigma, log}, {a, b} and {values, probabilities}, each with step and type', () => {
    const spec = parseSpec(`${PROGRAM}  shift: {mu: 0, sigma: 2}\n  lr: {mu: -7, sigma: 1, log: true}\n  mix: {a: 2, b: 5, step: 0.1}\n  layers: {mu: 4, sigma: 1, type: int}\n  opt: {values: [adam, sgd], probabilities: [0.7, 0.3]}\n`, 'x.yaml');
    expect(spec.code?.grid).toEqual({
      shift: { mu: 0, sigma: 2, log: false, type: 'float' },
      lr: { mu: -7, sigma: 1, log: true, type: 'float' },
      mix: { a: 2, b: 5, step: 0.1, type: 'float' },
      layers: { mu: 4, sigma: 1, log: false, type: 'int' },
      opt: { values: ['adam', 'sgd'], probabilities: [0.7, 0.3] },
    });
    expect(searchSpace(spec)[0].params).toEqual({
      ':shift': { type: 'float', min: -Infinity, max: Infinity, log: false, prior: { kind: 'normal', mu: 0, sigma: 2 } },
      ':lr': { type: 'float', min: 0, max: Infinity, log: true, prior: { kind: 'normal', mu: -7, sigma: 1 } },
      ':mix': { type: 'float', min: 0, max: 1, log: false, q: 0.1, prior: { kind: 'beta', a: 2, b: 5 } },
      ':layers': { type: 'int', min: -Infinity, max: Infinity, log: false, prior: { kind: 'normal', mu: 4, sigma: 1 } },
      ':opt': { type: 'categorical', choices: ['adam', 'sgd'], weights: [0.7, 0.3] },
    });
    const params = makeStrategy(spec).initial().map((t) => (t.config as { params: Record<string, unknown> }).params);
    expect(params).toHaveLength(5);
    for (const p of params) expect(Number.isInteger(p.layers) && (p.lr as number) > 0 && ['adam', 'sgd'].includes(p.opt as string)).toBe(true);
  });

  it('sweep\'s hyperparameters take {values, probabilities}, their values checked as a list\'s', () => {
    const spec = parseSpec(`${BUILT_IN}  optimizer: {values: [adam, sgd], probabilities: [0.25, 0.75]}\n  units: {values: [64, [128, 64]], probabilities: [0.5, 0.5]}\n`, 'x.yaml');
    expect(spec.grid.optimizer).toEqual({ values: ['adam', 'sgd'], probabilities: [0.25, 0.75] });
    expect(searchSpace(spec)[0].params.units).toEqual({ type: 'categorical', choices: [[64], [128, 64]], weights: [0.5, 0.5] });
  });

  it('normalises probabilities that add up to 1 within np.isclose (as W&B accepts), so every draw finds a value', () => {
    const spec = parseSpec(`${PROGRAM}  o: {values: [a, b, c], probabilities: [0.333333, 0.333333, 0.333333]}\n`, 'x.yaml');
    const { weights } = searchSpace(spec)[0].params[':o'] as { weights: readonly number[] };
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
  });

  it.each([
    ['sigma 0', `${PROGRAM}  x: {mu: 0, sigma: 0}\n`, 'x.yaml:6:21 grid.x.sigma: must be positive'],
    ['a negative sigma', `${PROGRAM}  x: {mu: 0, sigma: -1}\n`, 'x.yaml:6:21 grid.x.sigma: must be positive'],
    ['a normal without sigma', `${PROGRAM}  x: {mu: 0}\n`, 'x.yaml:6:6 grid.x.sigma: is required: a normal takes mu and sigma'],
    ['a normal without mu', `${PROGRAM}  x: {sigma: 2}\n`, 'x.yaml:6:6 grid.x.mu: is required: a normal takes mu and sigma'],
    ['a beta\'s a of 0', `${PROGRAM}  x: {a: 0, b: 1}\n`, 'x.yaml:6:10 grid.x.a: must be positive'],
    ['a beta without b', `${PROGRAM}  x: {a: 1}\n`, 'x.yaml:6:6 grid.x.b: is required: a beta takes a and b'],
    ['min in a normal', `${PROGRAM}  x: {mu: 0, sigma: 1, max: 3}\n`, 'x.yaml:6:24 grid.x.max: unknown key "max"'],
    ['log in a beta', `${PROGRAM}  x: {a: 1, b: 1, log: true}\n`, 'x.yaml:6:19 grid.x.log: unknown key "log"'],
    ['a step of 0', `${PROGRAM}  x: {mu: 0, sigma: 1, step: 0}\n`, 'x.yaml:6:30 grid.x.step: must be positive'],
    ['more probabilities than values', `${PROGRAM}  o: {values: [a, b], probabilities: [0.5, 0.3, 0.2]}\n`, 'x.yaml:6:38 grid.o.probabilities: must give one probability per value: 2 values, 3 probabilities'],
    ['probabilities that do not add up to 1', `${PROGRAM}  o: {values: [a, b], probabilities: [0.5, 0.4]}\n`, 'x.yaml:6:38 grid.o.probabilities: must add up to 1 (they add up to 0.9)'],
    ['a negative probability', `${PROGRAM}  o: {values: [a, b], probabilities: [1.5, -0.5]}\n`, 'x.yaml:6:44 grid.o.probabilities[1]: must not be negative'],
    ['a probability that is not a number', `${PROGRAM}  o: {values: [a, b], probabilities: [0.5, x]}\n`, 'x.yaml:6:44 grid.o.probabilities[1]: must be a number'],
    ['values without probabilities', `${PROGRAM}  o: {values: [a, b]}\n`, 'x.yaml:6:6 grid.o.probabilities: is required: the probability of each value, in order'],
    ['an unknown key beside probabilities', `${PROGRAM}  o: {values: [a, b], probabilities: [0.5, 0.5], extra: 1}\n`, 'x.yaml:6:50 grid.o.extra: unknown key "extra"'],
    ['probabilities in a grid search', `${PROGRAM.replace('method: random', 'method: grid')}  o: {values: [a, b], probabilities: [0.5, 0.5]}\n`, 'x.yaml:6:3 grid.o: probabilities need `search.method: random` or `tpe`; a grid runs every value once'],
    ['a normal in a grid search', `${PROGRAM.replace('method: random', 'method: grid')}  x: {mu: 0, sigma: 1}\n`, 'x.yaml:6:3 grid.x: a range needs `search.method: random` or `tpe`; a grid takes a list of values'],
    ['a normal on a hyperparameter (bounded)', `${BUILT_IN}  dropout: {mu: 0.2, sigma: 0.1}\n`, 'x.yaml:5:12 grid.dropout: dropout takes values between bounds, which a normal or a beta does not keep to: give {min, max} (a program\'s own parameters take {mu, sigma} and {a, b})'],
    ['a beta on a hyperparameter', `${BUILT_IN}  dropout: {a: 2, b: 5}\n`, 'x.yaml:5:12 grid.dropout: dropout takes values between bounds'],
    ['a hyperparameter\'s probabilities off 1', `${BUILT_IN}  optimizer: {values: [adam, sgd], probabilities: [0.5, 0.6]}\n`, 'x.yaml:5:51 grid.optimizer.probabilities: must add up to 1 (they add up to 1.1)'],
    ['a weighted value out of the hyperparameter\'s range', `${BUILT_IN}  dropout: {values: [0.1, 1.5], probabilities: [0.5, 0.5]}\n`, 'x.yaml:5:27 grid.dropout.values[1]: must be in [0, 1)'],
    ['a hyperparameter\'s probabilities in a grid search', `${BUILT_IN.replace('method: random', 'method: grid')}  optimizer: {values: [adam, sgd], probabilities: [0.5, 0.5]}\n`, 'x.yaml:5:3 grid.optimizer: probabilities need `search.method: random` or `tpe`'],
  ])('refuses %s', (_what, text, prefix) => {
    expect(message(text).startsWith(prefix), `${message(text)}\n  should start with\n${prefix}`).toBe(true);
  });
});
