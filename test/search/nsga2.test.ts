import { describe, expect, it } from 'vitest';
import { hypervolume } from '../../src/pareto/hypervolume.js';
import {
  NSGA2_DEFAULTS, nsga2Generation, parentPopulation, proposeNsga2, selectElite, selectParent,
  type MoObservation, type Nsga2Options, type Nsga2Proposal,
} from '../../src/search/nsga2.js';
import { sampleRandom } from '../../src/search/random.js';
import { seededRng, type Rng } from '../../src/search/rng.js';
import type { Domain, Sample, SearchSpace } from '../../src/search/space.js';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** One kind with each sort of domain; `fixed` has one value, so it is no gene: 5 genes. */
const LETTERS = ['w', 'x', 'y', 'z'];
const domains: Record<string, Domain> = {
  a: { type: 'float', min: 0, max: 1, log: false },
  b: { type: 'float', min: 1e-4, max: 1e-1, log: true },
  c: { type: 'int', min: 1, max: 1000, log: false },
  d: { type: 'categorical', choices: LETTERS },
  e: { type: 'int', min: 16, max: 256, log: false, q: 16 },
  fixed: { type: 'categorical', choices: ['only'] },
};
const space: SearchSpace = [{ kind: 'ann', params: domains }];
const GENES = ['a', 'b', 'c', 'd', 'e'];

/** Parent j's configuration: every numeric gene tells which parent it came from. */
const config = (j: number): Sample => ({
  model: 'ann', a: (j + 0.5) / 100, b: 1e-4 * 10 ** (0.02 * j), c: 7 + 10 * j, d: LETTERS[j % 4], e: 16 * (1 + (j % 15)), fixed: 'only',
});

const done = (number: number, values: number[], extra: Partial<MoObservation> = {}): MoObservation =>
  ({ number, config: config(number), state: 'complete', values, generation: 0, ...extra });
const running = (number: number, extra: Partial<MoObservation> = {}): MoObservation =>
  ({ number, config: config(number), state: 'running', generation: 0, ...extra });

/** A full generation 0 of `n` complete trials on one front, (j, n − j): no one dominates anyone. */
const frontGeneration = (n: number) => range(n).map((j) => done(j, [j, n - j]));

/** A generator that gives `xs` in turn. */
const sequence = (...xs: number[]): Rng => {
  let i = 0;
  return () => xs[i++];
};

describe('generations (optuna/samplers/_ga/_base.py get_trial_generation)', () => {
  it('generation 0 is random search: trial k is sampleRandom(space, seed, k) until the generation is full', () => {
    const history: MoObservation[] = [];
    for (const k of range(50)) {
      const p = proposeNsga2(space, history, k, 3);
      expect(p).toEqual({ sample: sampleRandom(space, 3, k), generation: 0, parents: [], bredFrom: [], crossover: false, mutated: [], missing: [] });
      history.push({ number: k, config: p.sample, state: 'complete', values: [k, -k], generation: p.generation, parents: p.parents });
    }
    // The 50th complete trial fills generation 0: trial 50 is generation 1's, bred from it.
    const next = proposeNsga2(space, history, 50, 3);
    expect(next.generation).toBe(1);
    expect(next.parents).toEqual(range(50));
    expect(next.bredFrom.length).toBeGreaterThan(0);
  });

  it.each([
    ['no trial yet', [], 0],
    ['3 of 4 complete, 3 running', [done(0, [0]), done(1, [1]), done(2, [2]), running(3), running(4), running(5)], 0],
    ['4 complete, 2 still running', [done(0, [0]), done(1, [1]), done(2, [2]), done(3, [3]), running(4), running(5)], 1],
    ['3 complete, 1 pruned, 1 failed: pruned and failed do not count',
      [done(0, [0]), done(1, [1]), done(2, [2]), { ...running(3), state: 'pruned' as const }, { ...running(4), state: 'failed' as const }], 0],
    ['a complete trial without values does not count', [done(0, [0]), done(1, [1]), done(2, [2]), { ...running(3), state: 'complete' as const }], 0],
    ['10 complete trials with no generation (not NSGA-II\'s) belong to none', range(10).map((j) => done(j, [j], { generation: undefined })), 0],
    ['generation 1 has 2 complete of 4', [...range(4).map((j) => done(j, [j])), done(4, [0], { generation: 1 }), done(5, [0], { generation: 1 }), running(6, { generation: 1 })], 1],
    ['generation 1 has 4 complete of 4', [...range(4).map((j) => done(j, [j])), ...range(4, 4).map((j) => done(j, [0], { generation: 1 }))], 2],
    ['running trials of a later generation do not count', [...range(4).map((j) => done(j, [j])), running(4, { generation: 1 }), running(5, { generation: 1 })], 1],
  ])('populationSize 4, %s: generation %i', (_, observations, expected) => {
    expect(nsga2Generation(observations as MoObservation[], 4)).toBe(expected);
  });

  it('the first trial of a generation fixes its parents: a late finisher of the previous generation changes nothing', () => {
    // populationSize 4. Generation 0: trials 0–3 complete on one front, 4 and 5 still running.
    const early = [...range(4).map((j) => done(j, [j, 4 - j])), running(4), running(5)];
    // Worker A, under the lock: generation 0 is full, so trial 6 starts generation 1, its parents
    // the elites of the 4 complete trials, i.e. all of them.
    const a = proposeNsga2(space, early, 6, 1, { populationSize: 4 });
    expect([a.generation, a.parents]).toEqual([1, [0, 1, 2, 3]]);
    // Trial 4 completes, dominating every other; A's trial 6 is recorded, running.
    const late = [
      ...range(4).map((j) => done(j, [j, 4 - j])), done(4, [-1, -1]), running(5),
      { number: 6, config: a.sample, state: 'running' as const, generation: a.generation, parents: a.parents },
    ];
    // Worker B, next under the lock, breeds trial 7 from the same parents.
    const b = proposeNsga2(space, late, 7, 1, { populationSize: 4 });
    expect([b.generation, b.parents]).toEqual([1, [0, 1, 2, 3]]);
    // Had A not recorded them, B would have selected them again, with trial 4 among them.
    expect(parentPopulation(late.map(({ parents: _, ...t }) => t), 1, 4)).toContain(4);
  });

  it('selects generation 2\'s parents from generation 1\'s complete trials and generation 1\'s parents', () => {
    // populationSize 2. Generation 0: 0 (1,1), 1 (2,2); generation 1 bred from [0, 1]: 2 (0,5), 3 (3,3).
    // Pool: 2, 3, then 0, 1. Fronts: (1,1) and (0,5) first, (2,2) second, (3,3) third.
    // Front 1 has 2 = populationSize: all of it (crowding picks both) -> [0, 2].
    const observations = [
      done(0, [1, 1]), done(1, [2, 2]),
      done(2, [0, 5], { generation: 1, parents: [0, 1] }), done(3, [3, 3], { generation: 1, parents: [0, 1] }),
    ];
    expect(nsga2Generation(observations, 2)).toBe(2);
    expect(parentPopulation(observations, 2, 2)).toEqual([0, 2]);
    expect(proposeNsga2(space, observations, 4, 1, { populationSize: 2 }).parents).toEqual([0, 2]);
  });

  it('keeps constrained domination in the parents: an infeasible trial only fills what feasible ones leave', () => {
    // populationSize 2: (0,0) breaks a constraint, (5,5) and (6,6) do not: fronts (5,5), (6,6), then (0,0).
    const observations = [done(0, [0, 0], { violation: 1 }), done(1, [5, 5]), done(2, [6, 6])];
    expect(parentPopulation([...observations, running(3, { generation: 1 })], 1, 2)).toEqual([1, 2]);
  });
});

describe('selectElite (NSGAIIElitePopulationSelectionStrategy)', () => {
  // Front 1: #0 (1,5), #1 (5,1). Front 2 (each dominated by a front-1 point, none by another):
  // #2 (2,6), #3 (3,5.5), #4 (6,2). Front 3: #5 (7,7). Last, infeasible: #6 (0,0), violation 1.
  // Crowding on front 2, in order #2 #3 #4: f1 2, 3, 6 (range 4): #2 Inf, #3 (6 − 2)/4 = 1, #4 Inf;
  // f2 sorted #4 2, #3 5.5, #2 6 (range 4): #4 Inf, #3 (6 − 2)/4 = 1, #2 Inf. So #3 has 2, the ends Inf.
  // The front is left in f2 order #4 #3 #2; ascending by distance, stably, #3 #4 #2; reversed #2 #4 #3.
  const pool = [
    { number: 0, values: [1, 5], violation: 0 }, { number: 1, values: [5, 1], violation: 0 },
    { number: 2, values: [2, 6], violation: 0 }, { number: 3, values: [3, 5.5], violation: 0 }, { number: 4, values: [6, 2], violation: 0 },
    { number: 5, values: [7, 7], violation: 0 }, { number: 6, values: [0, 0], violation: 1 },
  ];
  it.each([
    [2, [0, 1]], // front 1 exactly
    [3, [0, 1, 2]], // one of front 2: the first of its two infinite ends in crowding order
    [4, [0, 1, 2, 4]], // both ends of front 2, not its crowded middle
    [5, [0, 1, 2, 4, 3]], // front 2 fills the population exactly: still taken in crowding order, as Optuna's `<` does
    [6, [0, 1, 2, 3, 4, 5]], // the infeasible point, though it dominates all, comes last
    [7, [0, 1, 2, 3, 4, 5, 6]],
    [9, [0, 1, 2, 3, 4, 5, 6]], // a pool smaller than the population: all of it
  ])('of size %i is %j', (size, expected) => {
    expect(selectElite(pool, size)).toEqual(expected);
  });
});

describe('selectParent (a binary tournament, _crossover.py _select_parent)', () => {
  const better = { number: 0, values: [1, 1], violation: 0 };
  const worse = { number: 1, values: [2, 2], violation: 0 };
  const other = { number: 2, values: [0, 3], violation: 0 }; // incomparable with `better`
  const feasible = { number: 3, values: [9, 9], violation: 0 };
  const slightly = { number: 4, values: [0, 0], violation: 0.5 };
  const badly = { number: 5, values: [0, 0], violation: 2 };
  it.each([
    // Draws 0.1 and 0.9 of a population of two pick its first then its second member.
    ['the dominating one, drawn first', [better, worse], [0.1, 0.9], better],
    ['the dominating one, drawn second', [worse, better], [0.1, 0.9], better],
    ['the second drawn when neither dominates', [better, other], [0.1, 0.9], other],
    ['the second drawn when neither dominates (the other way)', [other, better], [0.1, 0.9], better],
    ['the same one, drawn twice', [better, worse], [0.6, 0.7], worse],
    ['a feasible one over an infeasible one with better objectives', [slightly, feasible], [0.1, 0.9], feasible],
    ['of two infeasible ones, the smaller violation', [slightly, badly], [0.1, 0.9], slightly],
    ['of two infeasible ones, the smaller violation (drawn second)', [badly, slightly], [0.1, 0.9], slightly],
  ])('picks %s', (_, population, draws, expected) => {
    expect(selectParent(population, sequence(...draws))).toBe(expected);
  });

  it('picks the better of two with probability 3/4 (it loses only when drawn by neither draw)', () => {
    const rng = seededRng('tournament');
    const n = 4000;
    const wins = range(n).filter(() => selectParent([worse, better], rng) === better).length;
    expect(Math.abs(wins / n - 0.75)).toBeLessThan(4 * Math.sqrt((0.75 * 0.25) / n));
  });
});

/** Trial numbers 10, 11, … bred from one full generation 0 of ten trials on one front. */
function children(n: number, options: Partial<Nsga2Options> = {}, seed = 5): Nsga2Proposal[] {
  const generation = frontGeneration(10);
  return range(n, 10).map((k) => proposeNsga2(space, generation, k, seed, { populationSize: 10, ...options }));
}

/** Shares over the non-mutated genes of crossover children where the two parents differ: how many came from the second. */
function secondParentShare(kids: readonly Nsga2Proposal[]): { share: number; n: number } {
  let fromSecond = 0;
  let n = 0;
  for (const kid of kids.filter((k) => k.crossover)) {
    const [p1, p2] = kid.bredFrom.map(config);
    for (const g of GENES.filter((g) => !kid.mutated.includes(g) && p1[g] !== p2[g])) {
      n++;
      if (kid.sample[g] === p2[g]) fromSecond++;
      else expect(kid.sample[g]).toBe(p1[g]);
    }
  }
  return { share: fromSecond / n, n };
}

const within = (share: number, p: number, n: number) => expect(Math.abs(share - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));

describe('breeding, statistically over 2000 children (fixed seeds)', () => {
  const kids = children(2000);

  it('crosses over with probability crossoverProb (0.9), and copies one parent otherwise', () => {
    within(kids.filter((k) => k.crossover).length / kids.length, NSGA2_DEFAULTS.crossoverProb, kids.length);
    for (const kid of kids) {
      expect(kid.generation).toBe(1);
      expect(kid.bredFrom).toHaveLength(kid.crossover ? 2 : 1);
      if (kid.crossover) expect(kid.bredFrom[0]).not.toBe(kid.bredFrom[1]);
      else for (const g of GENES.filter((g) => !kid.mutated.includes(g))) expect(kid.sample[g]).toBe(config(kid.bredFrom[0])[g]);
    }
    expect(children(300, { crossoverProb: 0 }).some((k) => k.crossover)).toBe(false);
  });

  it('takes each gene from the second parent with probability 1 − swappingProb (Optuna\'s rand >= swapping_prob)', () => {
    const half = secondParentShare(kids);
    within(half.share, 0.5, half.n);
    const skewed = secondParentShare(children(2000, { swappingProb: 0.2 }));
    within(skewed.share, 0.8, skewed.n);
  });

  it('mutates each gene with probability 1 / (number of genes) by default, or mutationProb', () => {
    const mutated = kids.reduce((sum, k) => sum + k.mutated.length, 0);
    within(mutated / (kids.length * GENES.length), 1 / GENES.length, kids.length * GENES.length);
    // A single-value parameter is no gene: it never mutates, and keeps its value.
    expect(kids.every((k) => !k.mutated.includes('fixed') && k.sample.fixed === 'only')).toBe(true);
    const often = children(1000, { mutationProb: 0.5 });
    within(often.reduce((sum, k) => sum + k.mutated.length, 0) / (1000 * GENES.length), 0.5, 1000 * GENES.length);
    expect(children(200, { mutationProb: 0 }).every((k) => k.mutated.length === 0)).toBe(true);
  });

  it('gives values of their domains', () => {
    for (const { sample } of kids) {
      const a = sample.a as number, b = sample.b as number, c = sample.c as number, e = sample.e as number;
      expect(a >= 0 && a <= 1 && b >= 1e-4 && b <= 1e-1).toBe(true);
      expect(Number.isInteger(c) && c >= 1 && c <= 1000).toBe(true);
      expect(e % 16 === 0 && e >= 16 && e <= 256).toBe(true);
      expect(LETTERS).toContain(sample.d);
    }
  });
});

describe('domains and kinds', () => {
  it('snaps and clips an inherited number to the domain as it is now, and redraws a category it no longer has', () => {
    // The spec changed after generation 0: c was up to 5000, e had no step, d had 'gone'.
    const old = (j: number): MoObservation => ({
      number: j, state: 'complete', values: [j, 2 - j], generation: 0,
      config: { model: 'ann', a: 0.5, b: 0.01, c: 4000 + j, d: 'gone', e: 40 + j, fixed: 'only' },
    });
    const kid = proposeNsga2(space, [old(0), old(1)], 2, 1, { populationSize: 2, mutationProb: 0 });
    expect(kid.sample.c).toBe(1000);
    expect(kid.sample.e).toBe(48); // round(40/16)·16 or round(41/16)·16
    expect(kid.missing).toEqual(['d']);
    expect(LETTERS).toContain(kid.sample.d);
  });

  const kinds: SearchSpace = [
    { kind: 'ann', params: { dropout: { type: 'float', min: 0, max: 0.5, log: false }, lr: { type: 'float', min: 1e-4, max: 1e-1, log: true }, units: { type: 'categorical', choices: [[64], [128, 64], [256, 128]] } } },
    { kind: 'cnn', params: { dropout: { type: 'float', min: 0, max: 0.5, log: false }, filters: { type: 'int', min: 8, max: 64, log: false }, lr: { type: 'float', min: 1e-4, max: 1e-1, log: true } } },
  ];
  // Ten parents on one front, alternately ANN and CNN; configs through JSON, as from the store.
  const mixed: MoObservation[] = range(10).map((j) => ({
    number: j, state: 'complete', values: [j, 10 - j], generation: 0,
    config: JSON.parse(JSON.stringify(j % 2 === 0
      ? { model: 'ann', dropout: j / 20, lr: 1e-4 * 2 ** j, units: [[64], [128, 64], [256, 128]][j % 3] }
      : { model: 'cnn', dropout: j / 20, filters: 8 + j, lr: 1e-4 * 2 ** j })) as Sample,
  }));
  const parentOf = (n: number) => mixed[n].config;

  it('takes the kind from a parent, and each of that kind\'s parameters from a parent that has it', () => {
    const kids = range(2000, 10).map((k) => proposeNsga2(kinds, mixed, k, 2, { populationSize: 10, mutationProb: 0 }));
    let kindFromSecond = 0;
    let differing = 0;
    for (const kid of kids) {
      const parents = kid.bredFrom.map(parentOf);
      expect(parents.map((p) => p.model)).toContain(kid.sample.model);
      expect(kid.missing).toEqual([]); // the parent of the child's kind has all its parameters
      const own = kinds.find((s) => s.kind === kid.sample.model)!;
      expect(Object.keys(kid.sample).sort()).toEqual(['model', ...Object.keys(own.params)].sort());
      for (const key of Object.keys(own.params)) expect(parents.map((p) => JSON.stringify(p[key]))).toContain(JSON.stringify(kid.sample[key]));
      // Choices come back as the domain's own values, not the store's copies.
      if (kid.sample.model === 'ann') expect((own.params.units as { readonly choices: readonly unknown[] }).choices).toContain(kid.sample.units);
      if (kid.crossover && parents[0].model !== parents[1].model) {
        differing++;
        if (kid.sample.model === parents[1].model) kindFromSecond++;
      }
    }
    within(kindFromSecond / differing, 0.5, differing);
  });

  it('counts the kind as a gene: it mutates with the rest, and a new kind\'s parameters a parent lacks are drawn', () => {
    // ANN has 3 genes besides the kind, so 1/4 each.
    const kids = range(2000, 10).map((k) => proposeNsga2(kinds, mixed, k, 4, { populationSize: 10 }));
    const annKids = kids.filter((k) => k.bredFrom.every((n) => parentOf(n).model === 'ann'));
    within(annKids.filter((k) => k.mutated.includes('model')).length / annKids.length, 0.25, annKids.length);
    const switched = annKids.filter((k) => k.sample.model === 'cnn');
    expect(switched.length).toBeGreaterThan(0);
    // No ANN parent has `filters`: drawn, whether or not its own mutation fired.
    for (const k of switched) expect([...k.missing, ...k.mutated]).toContain('filters');
  });
});

describe('determinism', () => {
  const generation = frontGeneration(10);
  const propose = (obs: readonly MoObservation[], k = 12) => proposeNsga2(space, obs, k, 9, { populationSize: 10 });

  it('gives the same proposal for the same inputs, in any order, through JSON', () => {
    const first = propose(generation);
    expect(propose(generation)).toEqual(first);
    expect(propose([...generation].reverse())).toEqual(first);
    expect(propose(JSON.parse(JSON.stringify(generation)) as MoObservation[])).toEqual(first);
  });

  it('differs with the trial number and the seed', () => {
    const samples = range(20, 10).map((k) => JSON.stringify(propose(generation, k).sample));
    expect(new Set(samples).size).toBeGreaterThan(15);
    expect(proposeNsga2(space, generation, 12, 10, { populationSize: 10 })).not.toEqual(propose(generation));
  });
});

describe('options', () => {
  it.each([
    [{ populationSize: 1 }, 'options.populationSize must be an integer of at least 2'],
    [{ populationSize: 2.5 }, 'options.populationSize must be an integer of at least 2'],
    [{ mutationProb: 1.5 }, 'options.mutationProb must be undefined or within [0, 1]'],
    [{ crossoverProb: -0.1 }, 'options.crossoverProb must be within [0, 1]'],
    [{ swappingProb: NaN }, 'options.swappingProb must be within [0, 1]'],
  ])('%j is refused: %s', (options, message) => {
    expect(() => proposeNsga2(space, [], 0, 1, options)).toThrow(message);
  });

  it('needs a model kind', () => {
    expect(() => proposeNsga2([], [], 0, 1)).toThrow('the search space has no model kind');
  });
});

describe('optimising', () => {
  // ZDT1 over 4 parameters: f1 = x1, f2 = g·(1 − √(x1/g)), g = 1 + 3·(x2 + x3 + x4); the front is g = 1.
  const zdt: SearchSpace = [{ kind: 'ann', params: Object.fromEntries(['x1', 'x2', 'x3', 'x4'].map((k) => [k, { type: 'float', min: 0, max: 1, log: false } as Domain])) }];
  const objectives = (s: Sample): number[] => {
    const [x1, x2, x3, x4] = ['x1', 'x2', 'x3', 'x4'].map((k) => s[k] as number);
    const g = 1 + 3 * (x2 + x3 + x4);
    return [x1, g * (1 - Math.sqrt(x1 / g))];
  };

  it.each([1, 2, 3])('reaches a larger hypervolume than random search in 300 sequential trials (population 20, seed %i)', (seed) => {
    const history: MoObservation[] = [];
    for (const k of range(300)) {
      const p = proposeNsga2(zdt, history, k, seed, { populationSize: 20 });
      history.push({ number: k, config: p.sample, state: 'complete', values: objectives(p.sample), generation: p.generation, parents: p.parents });
    }
    // The front's f2 runs from 1 to 0; (1.1, 2) leaves room for points near it and none for the far ones.
    const reference = [1.1, 2];
    const ours = hypervolume(history.map((t) => t.values!), reference);
    const random = hypervolume(range(300).map((k) => objectives(sampleRandom(zdt, seed, k))), reference);
    expect(nsga2Generation(history, 20)).toBeGreaterThan(10);
    expect(ours).toBeGreaterThan(random);
  });
});
