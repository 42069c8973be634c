import { describe, expect, it } from 'vitest';
import { constrainedDominates, dominates, type Candidate } from '../../src/pareto/dominance.js';

describe('dominates (every objective minimised)', () => {
  it.each([
    [[1, 2], [2, 3], true],
    [[1, 2], [1, 3], true], // equal in one, better in the other
    [[1, 3], [2, 2], false], // better in one, worse in the other: incomparable
    [[1, 2], [1, 2], false], // equal points dominate neither way
    [[2, 3], [1, 2], false],
    [[-Infinity, 0], [0, 0], true],
    // NaN is the worst value there is: worse than any number, level with +Infinity and with NaN.
    [[1, 5], [1, NaN], true],
    [[1, NaN], [1, 5], false],
    [[1, NaN], [1, Infinity], false],
    [[1, Infinity], [1, NaN], false],
    [[0, NaN], [1, NaN], true],
    [[3], [4], true],
  ])('%j dominates %j: %s', (a, b, expected) => {
    expect(dominates(a, b)).toBe(expected);
  });

  it('refuses points of different lengths', () => {
    expect(() => dominates([1, 2], [1, 2, 3])).toThrow('points of 2 and 3 objectives cannot be compared');
  });
});

const c = (values: number[], violation: number): Candidate => ({ values, violation });

describe('constrainedDominates (optuna/samplers/nsgaii/_constraints_evaluation.py)', () => {
  it.each([
    ['both feasible, a Pareto-better', c([1, 1], 0), c([2, 2], 0), true],
    ['both feasible, b Pareto-better', c([2, 2], 0), c([1, 1], 0), false],
    ['both feasible, incomparable', c([1, 3], 0), c([3, 1], 0), false],
    ['both feasible, equal', c([1, 1], 0), c([1, 1], 0), false],
    ['a violation below 0 is feasible', c([1, 1], -0.5), c([2, 2], 0), true],
    ['feasible beats infeasible with better objectives', c([9, 9], 0), c([0, 0], 0.1), true],
    ['infeasible never beats feasible', c([0, 0], 0.1), c([9, 9], 0), false],
    ['both infeasible, smaller violation wins whatever the objectives', c([9, 9], 1), c([0, 0], 2), true],
    ['both infeasible, larger violation loses', c([0, 0], 2), c([9, 9], 1), false],
    ['both infeasible, equal violation: neither, even when Pareto-better', c([0, 0], 1), c([9, 9], 1), false],
    ['a NaN violation is the largest', c([0, 0], 5), c([0, 0], NaN), true],
    ['a NaN violation loses to any other', c([0, 0], NaN), c([0, 0], 5), false],
    ['a NaN violation is still infeasible', c([9, 9], 0), c([0, 0], NaN), true],
  ])('%s', (_, a, b, expected) => {
    expect(constrainedDominates(a, b)).toBe(expected);
  });

  it('is plain Pareto dominance when nothing is constrained (every violation 0)', () => {
    const points = [[1, 2], [2, 1], [2, 2], [1, 1], [3, 0], [1, 2]];
    for (const a of points) for (const b of points) expect(constrainedDominates(c(a, 0), c(b, 0))).toBe(dominates(a, b));
  });
});
