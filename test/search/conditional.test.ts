/**
 * Conditional parameters in every search method: a parameter exists only under its parent's
 * choice. Grid expands each choice with its own parameters, random draws the choice and then only
 * its parameters, TPE learns a parameter only from the trials that made its choices, NSGA-II gives
 * a child the parameters of the choice it ends up with.
 */
import { describe, expect, it } from 'vitest';
import { countConfigs, expandGrid } from '../../src/search/grid.js';
import { proposeNsga2, type MoObservation } from '../../src/search/nsga2.js';
import { sampleRandom } from '../../src/search/random.js';
import { configOf, sampleOf, searchSpace, type Domain, type Level, type Observation, type Sample, type SearchSpace } from '../../src/search/space.js';
import { makeStrategy } from '../../src/search/strategy.js';
import { fitted, proposeTpe, TPE_DEFAULTS } from '../../src/search/tpe.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import type { CodeConfig } from '../../src/spec/code.js';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const HEAD = 'name: c\nprogram: train.py\nmetric: {name: loss, goal: minimize}\n';
const paramsOf = (t: { config: unknown }) => (t.config as CodeConfig).params;

// The example, with lists where a grid needs them.
const OPTIMIZERS = `grid:
  optimizer:
    adam: {beta1: [0.9, 0.95], lr: [0.001, 0.01]}
    sgd: {momentum: [0.0, 0.9]}
  batch_size: [32, 64]
`;

describe('grid search', () => {
  it('expands each choice with its own parameters, over sorted keys, choices in the spec\'s order', () => {
    const spec = parseSpec(HEAD + OPTIMIZERS, 'x.yaml');
    const trials = expandGrid(spec);
    expect(countConfigs(spec)).toBe(12); // (2·2 adam + 2 sgd) · 2 batch sizes
    expect(trials.map(paramsOf)).toEqual([32, 64].flatMap((batch_size) => [
      { batch_size, beta1: 0.9, lr: 0.001, optimizer: 'adam' },
      { batch_size, beta1: 0.9, lr: 0.01, optimizer: 'adam' },
      { batch_size, beta1: 0.95, lr: 0.001, optimizer: 'adam' },
      { batch_size, beta1: 0.95, lr: 0.01, optimizer: 'adam' },
      { batch_size, momentum: 0, optimizer: 'sgd' },
      { batch_size, momentum: 0.9, optimizer: 'sgd' },
    ]));
    expect(new Set(trials.map((t) => t.configId)).size).toBe(12);
  });

  it('combines several conditional parents as a product, and nests a conditional under a choice', () => {
    const spec = parseSpec(`${HEAD}grid:
  optimizer:
    sgd:
      schedule:
        step: {gamma: [0.1, 0.5]}
        constant: null
    adam: {}
  augment:
    'on': {strength: [1, 2]}
    'off': null
`, 'x.yaml');
    const configs = expandGrid(spec).map(paramsOf);
    // optimizer: 2 (step) + 1 (constant) + 1 (adam) = 4 options; augment: 2 + 1 = 3.
    expect(countConfigs(spec)).toBe(12);
    expect(configs).toHaveLength(12);
    for (const c of configs) {
      const expected = ['augment', 'optimizer'];
      if (c.optimizer === 'sgd') expected.push('schedule');
      if (c.schedule === 'step') expected.push('gamma');
      if (c.augment === 'on') expected.push('strength');
      expect(Object.keys(c).sort()).toEqual(expected.sort());
    }
    expect(configs[0]).toEqual({ augment: 'on', gamma: 0.1, optimizer: 'sgd', schedule: 'step', strength: 1 });
  });

  it('takes an empty choice written null or {} alike', () => {
    const ids = (branch: string) => expandGrid(parseSpec(`${HEAD}grid:\n  optimizer:\n    adam: {beta1: [0.9]}\n    sgd: ${branch}\n`, 'x.yaml')).map((t) => t.configId);
    expect(ids('null')).toEqual(ids('{}'));
    expect(ids('null')).toHaveLength(2);
  });

  it('gives a configuration the id it has however the spec wrote it: conditional, or one value per parameter', () => {
    const conditional = expandGrid(parseSpec(HEAD + OPTIMIZERS, 'x.yaml')).find((t) => paramsOf(t).momentum === 0.9 && paramsOf(t).batch_size === 64)!;
    const flat = expandGrid(parseSpec(`${HEAD}grid:\n  optimizer: [sgd]\n  momentum: [0.9]\n  batch_size: [64]\n`, 'x.yaml'));
    expect(flat.map((t) => t.configId)).toEqual([conditional.configId]);
  });
});

describe('random search', () => {
  const spec = parseSpec(`${HEAD}search: {method: random, trials: 60}\ngrid:
  optimizer:
    adam: {beta1: [0.9, 0.95], lr: {min: 0.0001, max: 0.01, log: true}}
    sgd: {momentum: {min: 0.0, max: 0.9}}
  batch_size: [32, 64]
`, 'x.yaml');
  const space = searchSpace(spec);

  it('draws the choice, then only that choice\'s parameters', () => {
    const configs = makeStrategy(spec).initial().map(paramsOf);
    const adam = configs.filter((c) => c.optimizer === 'adam');
    const sgd = configs.filter((c) => c.optimizer === 'sgd');
    expect(adam.length).toBeGreaterThan(10);
    expect(sgd.length).toBeGreaterThan(10);
    for (const c of adam) {
      expect(Object.keys(c).sort()).toEqual(['batch_size', 'beta1', 'lr', 'optimizer']);
      expect(c.lr as number).toBeGreaterThanOrEqual(0.0001);
      expect(c.lr as number).toBeLessThanOrEqual(0.01);
    }
    for (const c of sgd) {
      expect(Object.keys(c).sort()).toEqual(['batch_size', 'momentum', 'optimizer']);
      expect(c.momentum as number).toBeLessThanOrEqual(0.9);
    }
  });

  it('keeps trial k a pure function of the seed and k', () => {
    expect(range(20).map((k) => sampleRandom(space, 7, k))).toEqual(range(20).map((k) => sampleRandom(space, 7, k)));
    expect(range(5).map((k) => sampleRandom(space, 7, k + 15))).toEqual(range(20).map((k) => sampleRandom(space, 7, k)).slice(15));
    expect(sampleRandom(space, 8, 3)).not.toEqual(sampleRandom(space, 7, 3));
  });

  it('names the parameters that tell trials apart, conditional ones included, in the spec\'s order', () => {
    expect(makeStrategy(spec).keys).toEqual(['optimizer', 'beta1', 'lr', 'momentum', 'batch_size']);
  });
});

// A space written as the strategies see it: `lr` is a parameter of both choices, with domains far apart.
const ADAM_LR: Domain = { type: 'float', min: 1e-4, max: 1e-2, log: true };
const SGD_LR: Domain = { type: 'float', min: 0.1, max: 1, log: false };
const level: Level = {
  batch: { type: 'categorical', choices: [32, 64] },
  optimizer: {
    type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'],
    branches: [
      { beta1: { type: 'float', min: 0.8, max: 0.99, log: false }, lr: ADAM_LR },
      { lr: SGD_LR, momentum: { type: 'float', min: 0, max: 0.9, log: false } },
      { rho: { type: 'float', min: 0.8, max: 0.99, log: false } },
    ],
  },
};
const space: SearchSpace = [{ kind: 'program', params: level }];
const keysOf = (s: Sample) => Object.keys(s).filter((k) => k !== 'model').sort();
const BRANCH_KEYS: Record<string, string[]> = {
  adam: ['batch', 'beta1', 'lr', 'optimizer'], sgd: ['batch', 'lr', 'momentum', 'optimizer'], rmsprop: ['batch', 'optimizer', 'rho'],
};

describe('TPE', () => {
  const adam = (n: number, lr: number): Sample => ({ model: 'program', batch: 32, optimizer: 'adam', beta1: 0.9, lr });
  const sgd = (n: number, lr: number): Sample => ({ model: 'program', batch: 64, optimizer: 'sgd', lr, momentum: 0.5 });

  it('fits a conditional parameter\'s estimator only from the trials that made its choices, never from another branch\'s', () => {
    const group: Observation[] = [
      ...range(5).map((i): Observation => ({ number: i, config: adam(i, 0.001 * (i + 1)), state: 'complete', score: i })),
      ...range(5).map((i): Observation => ({ number: 5 + i, config: sgd(i, 0.2 + 0.1 * i), state: 'complete', score: i })),
    ];
    const read = (v: unknown) => (typeof v === 'number' ? v : undefined);
    expect(fitted(group, undefined, 'lr', [['optimizer', 'adam']], read, TPE_DEFAULTS).values).toEqual([0.001, 0.002, 0.003, 0.004, 0.005]);
    expect(fitted(group, undefined, 'lr', [['optimizer', 'sgd']], read, TPE_DEFAULTS).values.map((x) => Number(x.toFixed(9)))).toEqual([0.2, 0.3, 0.4, 0.5, 0.6]);
    // With several objectives the good group carries weights: those of the kept trials, in order.
    const weights = range(10).map((i) => i + 1);
    const sgdOnly = fitted(group, weights, 'lr', [['optimizer', 'sgd']], read, TPE_DEFAULTS);
    expect(sgdOnly.parameters.weights(5)).toEqual([6, 7, 8, 9, 10]);
    // An unconditional parameter is fitted from every trial that has it.
    expect(fitted(group, undefined, 'batch', [], read, TPE_DEFAULTS).values).toHaveLength(10);
  });

  it('proposes a choice, then that choice\'s parameters in their own domains', () => {
    // Adam with a small lr scores best; TPE's proposals after start-up keep to each branch's keys and domain.
    const score = (s: Sample) => (s.optimizer === 'adam' ? -Math.abs(Math.log10(s.lr as number) + 3) : -5);
    const history: Observation[] = [];
    for (const k of range(40)) {
      const s = proposeTpe(space, 1, k, history);
      expect(keysOf(s)).toEqual(BRANCH_KEYS[s.optimizer as string]);
      if (s.optimizer === 'adam') expect((s.lr as number) >= 1e-4 && (s.lr as number) <= 1e-2).toBe(true);
      if (s.optimizer === 'sgd') expect((s.lr as number) >= 0.1 && (s.lr as number) <= 1).toBe(true);
      history.push({ number: k, config: JSON.parse(JSON.stringify(s)) as Sample, state: 'complete', score: score(s) });
    }
    // It learnt the choice: most proposals after start-up are adam's.
    const late = history.slice(20).filter((o) => o.config.optimizer === 'adam').length;
    expect(late).toBeGreaterThan(12);
  });
});

describe('NSGA-II', () => {
  const parent = (number: number, config: Sample, values: number[]): MoObservation => ({ number, config, state: 'complete', values, generation: 0 });
  // Ten parents on one front, alternately adam and sgd, through JSON as from the store.
  const population = range(10).map((j) => parent(j, JSON.parse(JSON.stringify(j % 2 === 0
    ? { model: 'program', batch: 32, optimizer: 'adam', beta1: 0.8 + j / 100, lr: 1e-4 * 1.5 ** j }
    : { model: 'program', batch: 64, optimizer: 'sgd', lr: 0.1 + j / 20, momentum: j / 20 })) as Sample, [j, 10 - j]));
  const parentConfig = (n: number) => population[n].config;

  it('gives a child the parameters of its own choice, each from a parent that has it, and none of another choice', () => {
    const kids = range(1000, 10).map((k) => proposeNsga2(space, population, k, 3, { populationSize: 10, mutationProb: 0 }));
    for (const kid of kids) {
      const choice = kid.sample.optimizer as string;
      expect(keysOf(kid.sample)).toEqual(BRANCH_KEYS[choice]);
      expect(kid.missing).toEqual([]);
      const parents = kid.bredFrom.map(parentConfig);
      for (const key of BRANCH_KEYS[choice]) {
        expect(parents.filter((p) => p.optimizer === choice || key === 'batch').map((p) => p[key])).toContain(kid.sample[key]);
      }
    }
    // Crossovers of an adam and an sgd parent give both choices.
    const mixed = kids.filter((k) => k.crossover && new Set(k.bredFrom.map((n) => parentConfig(n).optimizer)).size === 2);
    expect(new Set(mixed.map((k) => k.sample.optimizer))).toEqual(new Set(['adam', 'sgd']));
  });

  it('draws the parameters of a choice no parent made, where a mutation changed the choice', () => {
    const kids = range(3000, 10).map((k) => proposeNsga2(space, population, k, 5, { populationSize: 10 }));
    const rmsprop = kids.filter((k) => k.sample.optimizer === 'rmsprop');
    expect(rmsprop.length).toBeGreaterThan(0);
    for (const k of rmsprop) {
      expect(k.mutated).toContain('optimizer');
      expect(keysOf(k.sample)).toEqual(BRANCH_KEYS.rmsprop);
      expect([...k.missing, ...k.mutated]).toContain('rho');
    }
    // A mutation to the other parents' choice inherits its parameters from them (lr fits both, snapped to the new domain).
    for (const k of kids.filter((x) => x.sample.optimizer === 'sgd')) {
      expect(k.sample.lr as number).toBeGreaterThanOrEqual(0.1);
      expect(keysOf(k.sample)).toEqual(BRANCH_KEYS.sgd);
    }
  });
});

describe('nested parameters (W&B\'s parameters inside a parameter)', () => {
  const spec = parseSpec(`${HEAD}search: {method: tpe, trials: 30}\ngrid:
  optimizer:
    parameters:
      lr: {min: 0.0001, max: 0.1, log: true}
      momentum: [0.0, 0.9]
  epochs: [3]
`, 'x.yaml');
  const space = searchSpace(spec);

  it('draws each field as a parameter of its own, and gives the trial one mapping', () => {
    expect(Object.keys(space[0].params).sort()).toEqual([':epochs', ':optimizer/lr', ':optimizer/momentum']);
    expect(space[0].nested).toEqual(['optimizer']);
    const config = configOf(sampleRandom(space, 1, 0)) as CodeConfig;
    expect(Object.keys(config.params)).toEqual(['epochs', 'optimizer']);
    expect(Object.keys(config.params.optimizer as object)).toEqual(['lr', 'momentum']);
    // Read back from the store, a mapping is the fields TPE learns from; an ordinary mapping value is not taken apart.
    expect(sampleOf(config, ['optimizer'])).toEqual(sampleRandom(space, 1, 0));
    expect(sampleOf({ model: 'program', params: { x: { a: 1 } } })).toEqual({ model: 'program', ':x': { a: 1 } });
  });

  it('expands a grid over the fields\' product', () => {
    const grid = parseSpec(`${HEAD}grid:\n  optimizer:\n    parameters: {lr: [0.1, 0.01], momentum: [0.0, 0.9]}\n`, 'x.yaml');
    expect(expandGrid(grid).map(paramsOf)).toEqual([
      { optimizer: { lr: 0.1, momentum: 0 } }, { optimizer: { lr: 0.1, momentum: 0.9 } },
      { optimizer: { lr: 0.01, momentum: 0 } }, { optimizer: { lr: 0.01, momentum: 0.9 } },
    ]);
  });

  it('lets TPE learn each field from the recorded mappings', () => {
    const strategy = makeStrategy(spec);
    expect(strategy.keys).toEqual(['optimizer']);
    const proposals: Sample[] = [];
    const history: Observation[] = [];
    for (const k of range(40)) {
      const s = proposeTpe(space, 2, k, history);
      proposals.push(s);
      const config = configOf(s) as CodeConfig;
      const lr = (config.params.optimizer as { lr: number }).lr;
      history.push({ number: k, config: sampleOf(JSON.parse(JSON.stringify(config)) as CodeConfig, ['optimizer']), state: 'complete', score: -Math.abs(Math.log10(lr) + 2) });
    }
    // Random search puts a third of its draws within half a decade of 0.01; TPE, once it has learnt, most.
    const late = proposals.slice(20).map((s) => Math.abs(Math.log10(s[':optimizer/lr'] as number) + 2));
    expect(late.filter((d) => d < 0.5).length).toBeGreaterThanOrEqual(12);
  });
});
