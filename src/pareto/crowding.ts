/**
 * NSGA-II's crowding distance (Deb et al. 2002), as Optuna computes it:
 * optuna/samplers/nsgaii/_elite_population_selection_strategy.py `_calc_crowding_distance` and
 * `_crowding_distance_sort` (v4.9.0; the same code sits in optuna/samplers/nsgaii/_sampler.py
 * in v3.1.0, unchanged).
 */
import { rankable } from './dominance.js';

/**
 * Each point's crowding distance, in input order: the sum over objectives of the gap between its
 * two neighbours along that objective, divided by the objective's finite range. As Optuna does it:
 * - the points are sorted by each objective in turn, stably, each sort starting from the order the
 *   previous one left (the first from the input order); ties keep that order, and it decides which
 *   of two equal points is the "neighbour" of the other;
 * - an objective where all points are equal adds nothing to any point;
 * - below the smallest value sits -Infinity and above the largest +Infinity, so the points at either
 *   end get Infinity (only the first of several equal ends does: its neighbour outside is infinite);
 * - the range is the largest finite value minus the smallest (1 if that is not positive), and a gap
 *   between two equal infinities counts as 0.
 * NaN counts as +Infinity.
 */
export function crowdingDistance(values: readonly (readonly number[])[]): number[] {
  return crowding(values).distances;
}

/**
 * The indices of `values` most crowded last: Optuna's `_crowding_distance_sort`, which sorts the
 * points (left in the order of the last objective's sort) by ascending distance, stably, and then
 * reverses the list. NSGA-II's elite selection keeps a front's first points in this order.
 */
export function crowdingDistanceSort(values: readonly (readonly number[])[]): number[] {
  const { distances, order } = crowding(values);
  return [...order].sort((a, b) => compare(distances[a], distances[b])).reverse();
}

function crowding(values: readonly (readonly number[])[]): { distances: number[]; order: number[] } {
  const n = values.length;
  const distances = new Array<number>(n).fill(0);
  let order = Array.from({ length: n }, (_, i) => i);
  if (n === 0) return { distances, order };
  const m = values[0].length;
  for (let d = 0; d < m; d++) {
    const at = (i: number) => rankable(values[i][d]);
    // Array.prototype.sort is stable (ES2019), as Python's list.sort is.
    order = [...order].sort((a, b) => compare(at(a), at(b)));
    if (at(order[0]) === at(order[n - 1])) continue;
    const vs = [-Infinity, ...order.map(at), Infinity];
    const vMin = vs.find((x) => x !== -Infinity)!;
    const vMax = [...vs].reverse().find((x) => x !== Infinity)!;
    let width = vMax - vMin;
    if (!(width > 0)) width = 1; // width 0 or -Infinity (or NaN, when every value is infinite)
    for (let j = 0; j < n; j++) {
      const gap = vs[j] === vs[j + 2] ? 0 : vs[j + 2] - vs[j];
      distances[order[j]] += gap / width;
    }
  }
  return { distances, order };
}

/** Ascending, with infinities in place (a - b would be NaN for two equal infinities). */
function compare(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
