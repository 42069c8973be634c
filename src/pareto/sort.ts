/**
 * Non-dominated sorting under constrained domination: which front each candidate is on.
 */
import { dominates, isFeasible, rankable, type Candidate } from './dominance.js';

/**
 * The front of each candidate (1 = the first front), in input order, under constrained
 * domination (see `constrainedDominates`). What Optuna's `_fast_non_domination_rank` with a
 * penalty returns (optuna/study/_multi_objective.py, v4.9.0), plus one:
 * - feasible candidates take fronts 1..k by Pareto dominance alone;
 * - infeasible ones come after every feasible front, one front per distinct violation, smallest
 *   first, whatever their objective values: so while any candidate is feasible none infeasible is
 *   on front 1, and when all are infeasible front 1 is those with the least violation.
 * Equal points share a front. This is what Deb's fast non-dominated sort gives with the
 * constrained relation (as Optuna 3.1's `NSGAIISampler._fast_non_dominated_sort` computes it),
 * in O(n² m) time and O(n m) memory (5000 points on one front: about 0.1 s here).
 */
export function nonDominatedRanks(points: readonly Candidate[]): number[] {
  const ranks = new Array<number>(points.length).fill(0);
  const feasible: number[] = [];
  const infeasible: number[] = [];
  points.forEach((p, i) => (isFeasible(p) ? feasible : infeasible).push(i));

  const paretoRanks = paretoFronts(feasible.map((i) => points[i].values));
  let last = 0;
  feasible.forEach((i, k) => {
    ranks[i] = paretoRanks[k];
    last = Math.max(last, paretoRanks[k]);
  });

  // Among infeasible candidates only the violation counts, and it orders them totally.
  const levels = [...new Set(infeasible.map((i) => rankable(points[i].violation)))].sort((a, b) => a - b);
  const level = new Map(levels.map((v, k) => [v, k]));
  for (const i of infeasible) ranks[i] = last + 1 + level.get(rankable(points[i].violation))!;
  return ranks;
}

/**
 * Pareto fronts (1-based) of plain points. Once the points are sorted lexicographically, every
 * point that dominates another comes before it; a point's front is then one more than the highest
 * front among the points that dominate it (the longest chain of dominators ending there), found
 * by looking through the fronts built so far from the highest down.
 */
function paretoFronts(values: readonly (readonly number[])[]): number[] {
  const n = values.length;
  const ranks = new Array<number>(n).fill(0);
  if (n === 0) return ranks;
  const m = values[0].length;
  const flat = new Float64Array(n * m);
  values.forEach((v, i) => {
    if (v.length !== m) throw new Error(`points of ${m} and ${v.length} objectives cannot be compared`);
    for (let d = 0; d < m; d++) flat[i * m + d] = rankable(v[d]);
  });
  // Whether point j dominates point i (the inner loop of the whole sort, so on the flat array).
  const dominatesAt = (j: number, i: number): boolean => {
    let better = false;
    for (let d = 0; d < m; d++) {
      const x = flat[j * m + d];
      const y = flat[i * m + d];
      if (x > y) return false;
      if (x < y) better = true;
    }
    return better;
  };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => lexCompare(values[a], values[b]));
  const fronts: number[][] = [];
  for (const i of order) {
    let rank = 1;
    search: for (let k = fronts.length - 1; k >= 0; k--) {
      const front = fronts[k];
      // The newest members are the nearest in lexicographic order: look at them first.
      for (let t = front.length - 1; t >= 0; t--) {
        if (dominatesAt(front[t], i)) {
          rank = k + 2;
          break search;
        }
      }
    }
    (fronts[rank - 1] ??= []).push(i);
    ranks[i] = rank;
  }
  return ranks;
}

function lexCompare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = rankable(a[i]) - rankable(b[i]);
    // Infinity - Infinity is NaN: equal, go on to the next objective.
    if (d < 0) return -1;
    if (d > 0) return 1;
  }
  return 0;
}
