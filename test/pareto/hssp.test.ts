import { describe, expect, it } from 'vitest';
import { selectSubset } from '../../src/pareto/hssp.js';
import { referencePoint } from '../../src/pareto/hypervolume.js';
import { seededRng } from '../../src/search/rng.js';

/** Hypervolume by inclusion–exclusion (exponential, exact, and sharing no code with the module). */
function inclusionExclusion(points: readonly (readonly number[])[], reference: readonly number[]): number {
  let hv = 0;
  for (let mask = 1; mask < 1 << points.length; mask++) {
    const members = points.filter((_, i) => mask & (1 << i));
    const box = reference.reduce((acc, r, d) => acc * (r - Math.max(...members.map((p) => p[d]))), 1);
    hv += members.length % 2 ? box : -box;
  }
  return hv;
}

/** The textbook greedy: each step takes the point that adds the most hypervolume (inclusion–exclusion). */
function naiveGreedy(points: readonly (readonly number[])[], size: number, reference: readonly number[]): number[] {
  const chosen: number[] = [];
  while (chosen.length < size) {
    let best = -1;
    let bestHv = -Infinity;
    points.forEach((_, i) => {
      if (chosen.includes(i)) return;
      const hv = inclusionExclusion([...chosen, i].map((j) => points[j]), reference);
      if (hv > bestHv) [best, bestHv] = [i, hv];
    });
    chosen.push(best);
  }
  return chosen;
}

describe('selectSubset (greedy HSSP, as Optuna\'s _solve_hssp)', () => {
  it('takes the largest box first, then the largest rectangle left between chosen neighbours (2-D, by hand)', () => {
    // Sorted by f1: P0 (1,4), P1 (2,2), P3 (3,1.5), P2 (4,1); reference (5,5).
    // Step 1, boxes to (5,5): P0 4·1 = 4, P1 3·3 = 9, P3 2·3.5 = 7, P2 1·4 = 4: P1.
    // Step 2: P0, left of P1, is cut at x = 2: (2−1)(5−4) = 1; right of it, cut at y = 2:
    // P3 (5−3)(2−1.5) = 1, P2 (5−4)(2−1) = 1. A three-way tie: the lexicographically first, P0.
    const points = [[1, 4], [2, 2], [4, 1], [3, 1.5]];
    expect(selectSubset(points, 2, [5, 5])).toEqual([1, 0]);
    expect(selectSubset(points, 3, [5, 5])).toEqual([1, 0, 3]);
  });

  // Reference values: Optuna v4.9.0's _solve_hssp (numpy 2.4) on these points, against _get_reference_point.
  it.each<[string, number[][], number, number[]]>([
    ['2-D', [[0.266, 0.734], [0.579, 0.421], [0.179, 0.821], [0.75, 0.25], [0.866, 0.134], [0.431, 0.569], [0.423, 0.577], [0.436, 0.564], [0.305, 0.695]],
      4, [1, 8, 3, 7]],
    ['3-D', [[0.703, 0.296, 0.002], [0.614, 0.188, 0.198], [0.458, 0.3, 0.242], [0.512, 0.02, 0.468], [0.332, 0.081, 0.587], [0.527, 0.117, 0.356],
      [0.169, 0.421, 0.41], [0.128, 0.486, 0.385]], 3, [2, 5, 6]],
    ['4-D', [[0.254, 0.305, 0.159, 0.282], [0.395, 0.046, 0.382, 0.177], [0.297, 0.091, 0.432, 0.181], [0.413, 0.131, 0.267, 0.19],
      [0.353, 0.113, 0.104, 0.43], [0.308, 0.232, 0.377, 0.084], [0.326, 0.065, 0.37, 0.239]], 3, [6, 0, 3]],
  ])('%s: the points Optuna picks, in its order', (_, points, size, expected) => {
    expect(selectSubset(points, size, referencePoint(points))).toEqual(expected);
  });

  it.each([2, 3, 4])('is the textbook greedy on random points of %d objectives (no ties)', (m) => {
    const rng = seededRng(`hssp:${m}`);
    for (let trial = 0; trial < 20; trial++) {
      const points = Array.from({ length: 9 }, () => {
        const v = Array.from({ length: m }, () => rng() + 0.05);
        const sum = v.reduce((a, b) => a + b, 0);
        return v.map((x) => x / sum);
      });
      const reference = referencePoint(points);
      const size = 1 + (trial % 6);
      expect(selectSubset(points, size, reference)).toEqual(naiveGreedy(points, size, reference));
    }
  });

  it.each([3, 4])('updates gains lazily without changing a choice: 10 of 30 points of %d objectives', (m) => {
    // Many points' bounds fall below the best gain and are never recomputed here.
    const rng = seededRng(`hssp-lazy:${m}`);
    const points = Array.from({ length: 30 }, () => {
      const v = Array.from({ length: m }, () => rng() + 0.05);
      const sum = v.reduce((a, b) => a + b, 0) * (0.9 + 0.2 * rng());
      return v.map((x) => x / sum);
    });
    const reference = referencePoint(points);
    expect(selectSubset(points, 10, reference)).toEqual(naiveGreedy(points, 10, reference));
  });

  it('counts equal points once: with fewer distinct points than asked, all of them (first copies) and then the earliest copies', () => {
    // Distinct: (1,2) at 0, (2,1) at 1; copies at 2, 3, 4. Three asked: 0, 1 and the first copy, 2.
    const points = [[1, 2], [2, 1], [1, 2], [2, 1], [1, 2]];
    expect(selectSubset(points, 3, [3, 3])).toEqual([0, 1, 2]);
    // Two asked, two distinct: a copy is never taken while a distinct point is left.
    expect(selectSubset(points, 2, [3, 3]).sort()).toEqual([0, 1]);
  });

  it('with a reference that is not finite takes the lexicographically smallest distinct points', () => {
    expect(selectSubset([[3, 0], [1, 2], [2, 1], [1, 2]], 2, [Infinity, 3])).toEqual([1, 2]);
  });

  it('takes all or none at the ends, and refuses a size it cannot meet', () => {
    expect(selectSubset([[1, 2], [2, 1]], 2, [3, 3])).toEqual([0, 1]);
    expect(selectSubset([[1, 2], [2, 1]], 0, [3, 3])).toEqual([]);
    expect(() => selectSubset([[1, 2]], 2, [3, 3])).toThrow('cannot choose 2 of 1 points');
  });
});
