import { describe, expect, it } from 'vitest';
import { constrainedDominates, type Candidate } from '../../src/pareto/dominance.js';
import { nonDominatedRanks } from '../../src/pareto/sort.js';
import { seededRng } from '../../src/search/rng.js';

const c = (values: number[], violation = 0): Candidate => ({ values, violation });

/** Fronts by definition: peel off, again and again, the candidates nothing left dominates (Deb's sort, slowly). */
function peel(points: readonly Candidate[]): number[] {
  const ranks = new Array<number>(points.length).fill(0);
  let left = points.map((_, i) => i);
  for (let front = 1; left.length > 0; front++) {
    const top = left.filter((i) => !left.some((j) => constrainedDominates(points[j], points[i])));
    for (const i of top) ranks[i] = front;
    left = left.filter((i) => !top.includes(i));
  }
  return ranks;
}

/** Random candidates on a small integer lattice, so that ties and duplicates happen. */
function lattice(seed: string, n: number, m: number, infeasibleShare: number): Candidate[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => c(
    Array.from({ length: m }, () => Math.floor(rng() * 6)),
    rng() < infeasibleShare ? 1 + Math.floor(rng() * 3) : 0,
  ));
}

describe('nonDominatedRanks', () => {
  it('puts feasible points on Pareto fronts, by hand', () => {
    // A(1,5) B(2,3) C(4,1): nothing dominates them -> front 1; F = B again -> front 1 too.
    // D(3,4): B dominates it (2<=3, 3<=4), and only front-1 points do -> front 2.
    // G(4,4): B and D dominate it, D is on front 2 -> front 3.
    // E(5,5): A, B, C, D, G all dominate it, G is on front 3 -> front 4.
    const points = [c([1, 5]), c([2, 3]), c([4, 1]), c([3, 4]), c([5, 5]), c([2, 3]), c([4, 4])];
    expect(nonDominatedRanks(points)).toEqual([1, 1, 1, 2, 4, 1, 3]);
  });

  it('puts infeasible points after every feasible front, one front per violation, smallest first', () => {
    // Feasible: (1,1) front 1, (2,2) front 2. Infeasible ones ignore their objectives:
    // violation 0.5 -> front 3 (both, though (0,0) Pareto-dominates (9,9)), 2 -> front 4, 3 -> front 5.
    const points = [c([0, 0], 2), c([1, 1]), c([0, 0], 0.5), c([9, 9], 0.5), c([2, 2]), c([-5, -5], 3)];
    expect(nonDominatedRanks(points)).toEqual([4, 1, 3, 3, 2, 5]);
  });

  it('puts the least violation on front 1 when every point is infeasible (as Optuna 4.x, and Deb\'s constrained sort)', () => {
    // Violations 2, 1, 1: the two at 1 share front 1 though (0,0) Pareto-dominates (2,2).
    expect(nonDominatedRanks([c([1, 1], 2), c([2, 2], 1), c([0, 0], 1)])).toEqual([2, 1, 1]);
  });

  it('ranks NaN as the worst value', () => {
    // (1,NaN) is (1,+Inf): (1,2) dominates it; (0,NaN) is incomparable with (1,2).
    expect(nonDominatedRanks([c([1, NaN]), c([1, 2]), c([0, NaN])])).toEqual([2, 1, 1]);
  });

  it('gives nothing for nothing, and one objective sorts by value', () => {
    expect(nonDominatedRanks([])).toEqual([]);
    expect(nonDominatedRanks([c([3]), c([1]), c([2]), c([1])])).toEqual([3, 1, 2, 1]);
  });

  it.each([
    ['2 objectives', 2, 0],
    ['3 objectives', 3, 0],
    ['4 objectives', 4, 0],
    ['2 objectives, a third infeasible', 2, 0.3],
    ['3 objectives, a third infeasible', 3, 0.3],
  ])('agrees with peeling fronts by constrained domination on random lattices: %s', (_, m, share) => {
    for (let s = 0; s < 20; s++) {
      const points = lattice(`sort:${m}:${share}:${s}`, 60, m, share);
      expect(nonDominatedRanks(points)).toEqual(peel(points));
    }
  });

  it('sorts 5000 points of 3 objectives, front 1 being exactly the points nothing dominates', () => {
    const rng = seededRng('sort:5000');
    // On the sphere's positive part, jittered: many fronts, some long.
    const points = Array.from({ length: 5000 }, () => {
      const v = [rng(), rng(), rng()];
      const r = Math.hypot(...v) * (1 + 0.3 * rng());
      return c(v.map((x) => x / r));
    });
    const ranks = nonDominatedRanks(points);
    const first = points.map((p) => !points.some((q) => constrainedDominates(q, p)));
    expect(ranks.map((r) => r === 1)).toEqual(first);
    expect(Math.max(...ranks)).toBeGreaterThan(5);
  });
});
