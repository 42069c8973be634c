import { describe, expect, it } from 'vitest';
import { EPS, hypervolume } from '../../src/pareto/hypervolume.js';
import { sampleRandom } from '../../src/search/random.js';
import type { Observation, Sample, SearchSpace } from '../../src/search/space.js';
import { defaultMultiObjectiveGamma, proposeTpe } from '../../src/search/tpe.js';
import { historyShape, multiObjectiveWeightsBelow, splitTrials, type HistoryShape } from '../../src/search/tpe-split.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ann: Sample = { model: 'ann' };
/** A complete trial of several objectives (score unused by the multi-objective split: NaN shows it). */
const trial = (number: number, values: number[], violation?: number): Observation =>
  ({ number, config: ann, state: 'complete', score: NaN, values, ...(violation === undefined ? {} : { violation }) });
const numbers = (group: readonly Observation[]) => group.map((t) => t.number);
const two: HistoryShape = { objectives: 2, constrained: false };

/** Rows [number, 'c' | 'r', values, violation] as observations, for the reference cases below. */
function population(rows: [number, string, number[] | null, number | null][]): Observation[] {
  return rows.map(([number, state, values, violation]) =>
    state === 'r' ? { number, config: ann, state: 'running' } : trial(number, values!, violation ?? undefined));
}

describe('the good/bad split of multi-objective TPE (_split_complete_trials_multi_objective)', () => {
  // T0 dominates everyone: rank 1 alone. T1..T4 are rank 2 (f1 up, f2 down); T5..T7 are worse.
  const history = [
    trial(0, [1, 1]), trial(1, [2, 6]), trial(2, [3, 4]), trial(3, [5, 3]), trial(4, [6, 2.5]),
    trial(5, [4, 7]), trial(6, [7, 5]), trial(7, [8, 8]),
  ];

  it('takes whole ranks while they fit, then cuts the next by hypervolume subset selection (by hand)', () => {
    // 3 below: rank 1 (T0) fits, ranks 1–2 (5 trials) do not: 2 of T1..T4 by HSSP.
    // Reference of rank 2 alone: worst (6, 6) → (6.6, 6.6).
    // Step 1, boxes: T1 (6.6−2)(6.6−6) = 2.76, T2 3.6·2.6 = 9.36, T3 1.6·3.6 = 5.76, T4 0.6·4.1 = 2.46: T2.
    // Step 2, cut at T2: T1 (3−2)(6.6−6) = 0.6; T3 (6.6−5)(4−3) = 1.6; T4 (6.6−6)(4−2.5) = 0.9: T3.
    const { below, above } = splitTrials(history, 3, true, two);
    expect(numbers(below)).toEqual([0, 2, 3]);
    expect(numbers(above)).toEqual([1, 4, 5, 6, 7]);
    // Whole ranks when they fit exactly: rank 1 and rank 2 are 5 trials.
    expect(numbers(splitTrials(history, 5, true, two).below)).toEqual([0, 1, 2, 3, 4]);
    // One below: T0; none: nobody.
    expect(numbers(splitTrials(history, 1, true, two).below)).toEqual([0]);
    expect(splitTrials(history, 0, true, two).below).toEqual([]);
  });

  it('leaves running trials above with the constant liar, and out without it', () => {
    const running: Observation = { number: 8, config: ann, state: 'running' };
    expect(numbers(splitTrials([...history, running], 3, true, two).above)).toEqual([1, 4, 5, 6, 7, 8]);
    expect(numbers(splitTrials([...history, running], 3, false, two).above)).toEqual([1, 4, 5, 6, 7]);
  });

  it('takes gamma = ceil(0.1 n), uncapped (v5.0.0-rc1\'s default_gamma_multiobjective), and uses it with several objectives', () => {
    expect([1, 10, 11, 250, 251, 1000].map(defaultMultiObjectiveGamma)).toEqual([1, 1, 2, 25, 26, 100]);
    const space: SearchSpace = [{ kind: 'ann', params: { dropout: { type: 'float', min: 0, max: 0.5, log: false } } }];
    const asked: number[] = [];
    proposeTpe(space, 1, 8, history, {
      startupTrials: 0,
      gamma: () => { throw new Error('the single-objective gamma'); },
      multiObjectiveGamma: (n) => { asked.push(n); return defaultMultiObjectiveGamma(n); },
    });
    expect(asked).toEqual([8]);
  });

  // Reference values: Optuna v4.9.0's _split_trials and _calculate_weights_below_for_multi_objective
  // (numpy 2.4) on these populations, every objective minimised, constraints as [violation].
  it.each<[string, [number, string, number[] | null, number | null][], number, boolean, number[], number[]]>([
    ['2 objectives, copies on the tied rank', [
      [0, 'c', [-0.25, 0.5], null], [1, 'c', [0.25, 0.75], null], [2, 'c', [0.25, 0.75], null], [3, 'c', [0.5, 0.75], null],
      [4, 'c', [0.75, 0.5], null], [5, 'c', [0.25, 0.75], null], [6, 'c', [0.5, 0.25], null], [7, 'r', null, null],
      [8, 'c', [0.25, 0.75], null], [9, 'c', [-0.25, 0.75], null], [10, 'c', [0.75, 0.25], null], [11, 'r', null, null],
      [12, 'r', null, null], [13, 'c', [0.25, 0.75], null], [14, 'c', [0, 0], null], [15, 'c', [0.25, 0.75], null],
    ], 8, false, [0, 1, 2, 5, 6, 9, 10, 14], [0.19696969696969682, EPS, EPS, EPS, EPS, EPS, EPS, 1]],
    ['3 objectives with constraints', [
      [0, 'r', null, null], [1, 'c', [0.26, -0.09000000000000002, 0.28], 0], [2, 'c', [0.16, 0.10999999999999999, 0.42], 0],
      [3, 'c', [0.15, 0.41, -0.25], 0.87], [4, 'c', [0.08, 0.41, 0.86], 0], [5, 'c', [-0.09999999999999998, -0.15000000000000002, 0.21], 0],
      [6, 'c', [-0.21000000000000002, 0.25, 0.28], 0], [7, 'c', [0.09, 0.29, 0.61], 0], [8, 'c', [0.4, 0.09, 0.29], 0],
      [9, 'c', [0.14, 0.51, 0.32], 0], [10, 'c', [0.45, 0.21, 0.2], 0], [11, 'c', [0.39, 0.32, 0.27], 1],
    ], 6, true, [1, 2, 5, 6, 7, 10], [EPS, EPS, 1, 0.026605387795206714, EPS, 0.00043973402591089203]],
  ])('%s: the trials and weights Optuna gives', (_, rows, nBelow, constrained, below, weights) => {
    const history = population(rows);
    const shape = historyShape(history);
    expect(shape).toEqual({ objectives: rows.find((r) => r[2])![2]!.length, constrained });
    const groups = splitTrials(history, nBelow, true, shape);
    expect(numbers(groups.below)).toEqual(below);
    expect(multiObjectiveWeightsBelow(groups.below, shape)).toEqual(weights.map((w) => expect.closeTo(w, 14)));
  });
});

describe('the good trials\' weights (_calculate_weights_below_for_multi_objective, v4.9.0)', () => {
  it('weigh each front member\'s hypervolume contribution over the largest; off the front EPS (by hand)', () => {
    // A (1,5), B (2,3), C (4,2) are the front; B dominates D (3,4). Reference: worst (4, 5) → (4.4, 5.5).
    // Contributions on the front: A (2−1)(5.5−5) = 0.5, B (4−2)(5−3) = 4, C (4.4−4)(3−2) = 0.4.
    // Over the front alone, D does not fill in for B (it would take 1 off B's 4 among all four points,
    // as v4.0.0 and v3.1.0 count it): weights 0.5/4, 1, 0.4/4.
    const below = [trial(0, [1, 5]), trial(1, [2, 3]), trial(2, [4, 2]), trial(3, [3, 4])];
    expect(multiObjectiveWeightsBelow(below, two)).toEqual([0.125, 1, 0.1, EPS].map((w) => expect.closeTo(w, 14)));
  });

  it('weigh infeasible and pruned trials EPS, and leave them out of the front and its reference', () => {
    const below: Observation[] = [
      trial(0, [1, 5], 0), trial(1, [2, 3], 0), trial(2, [4, 2], 0), trial(3, [3, 4], 0),
      trial(4, [0, 0], 2), { number: 5, config: ann, state: 'pruned', score: 1, epochs: 3 },
    ];
    expect(multiObjectiveWeightsBelow(below, { objectives: 2, constrained: true }))
      .toEqual([0.125, 1, 0.1, EPS, EPS, EPS].map((w) => expect.closeTo(w, 14)));
  });

  it('weigh every feasible trial 1 when at most one is feasible, or when the hypervolume is not finite', () => {
    expect(multiObjectiveWeightsBelow([trial(0, [1, 5], 0), trial(1, [0, 0], 1)], { objectives: 2, constrained: true })).toEqual([1, EPS]);
    expect(multiObjectiveWeightsBelow([trial(0, [1, 5]), trial(1, [-Infinity, 3]), trial(2, [2, 2])], two)).toEqual([1, 1, 1]);
    expect(multiObjectiveWeightsBelow([trial(0, [1, 5]), trial(1, [NaN, 3]), trial(2, [2, 2])], two)).toEqual([1, 1, 1]);
  });

  it('are the hypervolume contributions, normalised, on an uneven front of 12 (against the hypervolume itself)', () => {
    const points = range(12).map((i) => [i / 11, (1 - i / 11) ** 2 + 0.001 * ((i * 7) % 3)]);
    const below = points.map((p, i) => trial(i, p));
    const w = multiObjectiveWeightsBelow(below, two);
    const worst = [0, 1].map((d) => Math.max(...points.map((p) => p[d])));
    const reference = worst.map((v) => Math.max(1.1 * v, 0.9 * v));
    const total = hypervolume(points, reference);
    const contributions = points.map((_, i) => total - hypervolume(points.filter((__, j) => j !== i), reference));
    const largest = Math.max(...contributions);
    // Every point here is on the front, so contributions over the front are over all.
    expect(w).toEqual(contributions.map((c) => expect.closeTo(Math.max(c / largest, EPS), 12)));
  });
});

describe('constraints, as Optuna\'s TPE handles constraints_func (_split_trials, v4.9.0)', () => {
  it('never puts an infeasible trial below while feasible ones fill it, however good its values', () => {
    const history = [
      trial(0, [0, 0], 5), trial(1, [0.1, 0.1], 0.5),
      trial(2, [1, 5], 0), trial(3, [2, 3], 0), trial(4, [4, 2], 0), trial(5, [3, 4], 0),
    ];
    const shape = historyShape(history);
    expect(shape).toEqual({ objectives: 2, constrained: true });
    expect(numbers(splitTrials(history, 3, true, shape).below)).toEqual([2, 3, 4]);
    expect(numbers(splitTrials(history, 4, true, shape).below)).toEqual([2, 3, 4, 5]);
    // Only once every feasible trial is below do infeasible ones follow, least violation first.
    expect(numbers(splitTrials(history, 5, true, shape).below)).toEqual([1, 2, 3, 4, 5]);
    expect(numbers(splitTrials(history, 6, true, shape).below)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('Optuna\'s reference: when 11 are asked of 9 feasible trials, the two least infeasible follow', () => {
    const rows: [number, string, number[] | null, number | null][] = [
      [0, 'c', [0.129, 0.499], 0.6], [1, 'c', [0.029, 0.148], 0], [2, 'c', [0.928, 0.07], 0], [3, 'c', [0.13, 0.948], 0.62],
      [4, 'c', [0.369, 0.511], 0], [5, 'c', [0.663, 0.275], 0], [6, 'c', [0.138, 0.788], 0.67], [7, 'c', [0.512, 0.817], 0],
      [8, 'c', [0.549, 0.981], 0], [9, 'c', [0.205, 0.554], 0.48], [10, 'c', [0.353, 0.592], 0], [11, 'c', [0.235, 0.802], 0],
      [12, 'c', [0.867, 0.129], 0.47], [13, 'c', [0.277, 0.083], 0], [14, 'r', null, null],
    ];
    const history = population(rows);
    const shape = historyShape(history);
    const small = splitTrials(history, 3, true, shape);
    expect(numbers(small.below)).toEqual([1, 2, 13]);
    expect(multiObjectiveWeightsBelow(small.below, shape))
      .toEqual([0.08673992673992653, 0.028509984639016817, 1].map((w) => expect.closeTo(w, 14)));
    const large = splitTrials(history, 11, true, shape);
    expect(numbers(large.below)).toEqual([1, 2, 4, 5, 7, 8, 9, 10, 11, 12, 13]);
    expect(multiObjectiveWeightsBelow(large.below, shape)).toEqual(
      [1, 0.00522448300830466, EPS, EPS, EPS, EPS, EPS, EPS, EPS, EPS, 0.18325099344860968].map((w) => expect.closeTo(w, 14)),
    );
  });

  it('with one objective: feasible complete trials by score, then pruned, then infeasible by violation', () => {
    const so = (number: number, score: number, violation?: number): Observation =>
      ({ number, config: ann, state: 'complete', score, ...(violation === undefined ? {} : { violation }) });
    const history: Observation[] = [
      so(0, 0.99, 0.3), so(1, 0.5, 0), so(2, 0.7, 0), so(3, 0.98, 0.1), so(4, 0.97),
      { number: 5, config: ann, state: 'pruned', score: 0.2, epochs: 2 },
      { number: 6, config: ann, state: 'pruned', score: 0.9, epochs: 1 },
    ];
    const shape = historyShape(history);
    expect(shape).toEqual({ objectives: 1, constrained: true });
    // Feasible complete: 2 (0.7), 1 (0.5). Pruned: 5 (epoch 2) before 6. Infeasible: 3 (0.1), 0 (0.3),
    // then 4, which has no violation in a sweep with constraints (Optuna: +∞, "lower priority").
    const order = [2, 1, 5, 6, 3, 0, 4];
    for (const n of range(8)) {
      expect(numbers(splitTrials(history, n, true, shape).below)).toEqual(order.slice(0, n).sort((a, b) => a - b));
    }
    // Without constraints in the history the scores alone decide (today's single-objective split).
    const plain = history.map((t) => (t.state === 'complete' ? { ...t, violation: undefined } : t));
    expect(numbers(splitTrials(plain, 3, true, historyShape(plain)).below)).toEqual([0, 3, 4]);
  });

  it.each([1, 2, 3])('steers single-objective TPE to the feasible edge, not to the infeasible best scores (seed %d)', (seed) => {
    const space: SearchSpace = [{ kind: 'ann', params: { x: { type: 'float', min: 0, max: 1, log: false } } }];
    // The score rises with x, but x > 0.6 breaks a constraint by x − 0.6.
    const run = (constraints: boolean) => {
      const history: Observation[] = [];
      for (const k of range(40)) {
        const s = proposeTpe(space, seed, k, history);
        const x = s.x as number;
        history.push({ number: k, config: s, state: 'complete', score: x, ...(constraints ? { violation: Math.max(0, x - 0.6) } : {}) });
      }
      return median(history.slice(20).map((t) => t.config.x as number));
    };
    // Seeds 0–7 give medians of 0.56 to 0.60 with the violations, 0.86 to 0.90 without.
    expect(run(true)).toBeLessThan(0.65);
    expect(run(false)).toBeGreaterThan(0.8);
  });
});

describe('proposeTpe with several objectives', () => {
  // A ZDT1-like problem of 3 parameters: f1 = x, f2 = g (1 − √(x / g)), g = 1 + 4.5 (y + z); the front is y = z = 0.
  const space: SearchSpace = [{ kind: 'ann', params: {
    x: { type: 'float', min: 0, max: 1, log: false },
    y: { type: 'float', min: 0, max: 1, log: false },
    z: { type: 'float', min: 0, max: 1, log: false },
  } }];
  const objectives = (s: Sample): number[] => {
    const x = s.x as number;
    const g = 1 + 4.5 * ((s.y as number) + (s.z as number));
    return [x, g * (1 - Math.sqrt(x / g))];
  };
  const sweep = (n: number, propose: (k: number, history: Observation[]) => Sample) => {
    const history: Observation[] = [];
    for (const k of range(n)) {
      const s = JSON.parse(JSON.stringify(propose(k, history))) as Sample;
      history.push({ number: k, config: s, state: 'complete', score: 0, values: objectives(s) });
    }
    return history;
  };
  const hv = (history: Observation[]) =>
    hypervolume(history.map((t) => (t as Extract<Observation, { state: 'complete' }>).values!), [1.1, 11]);

  it('is a pure function of (seed, k, history), whatever order the history comes in', () => {
    const history = sweep(20, (k) => sampleRandom(space, 4, k));
    const shuffled = [...history].sort((a, b) => ((a.number * 7) % 11) - ((b.number * 7) % 11));
    expect(proposeTpe(space, 4, 20, shuffled)).toEqual(proposeTpe(space, 4, 20, history));
    expect(proposeTpe(space, 4, 20, history)).toEqual(proposeTpe(space, 4, 20, history));
    expect(proposeTpe(space, 4, 21, history)).not.toEqual(proposeTpe(space, 4, 20, history));
  });

  it('reaches a larger hypervolume in 40 trials than random search\'s median, on every one of 7 seeds', () => {
    const seeds = range(7).map((i) => i + 1);
    const motpe = seeds.map((seed) => hv(sweep(40, (k, h) => proposeTpe(space, seed, k, h))));
    const random = seeds.map((seed) => hv(sweep(40, (k) => sampleRandom(space, seed, k))));
    for (const v of motpe) expect(v).toBeGreaterThan(median(random));
    expect(median(motpe)).toBeGreaterThan(median(random));
  });

  it('refuses complete trials with different numbers of objectives', () => {
    expect(() => historyShape([trial(0, [1, 2]), trial(1, [1, 2, 3])])).toThrow('complete trials carry 2 and 3 objective values');
  });
});
