/**
 * How the hypervolume of a search grew: after each completed trial, the hypervolume of the
 * feasible first front of the trials completed so far, against one reference point computed
 * from all of them (the dashboard's "hypervolume over trials", as optuna-dashboard's
 * hypervolume history plots it).
 */
import { dominates, rankable } from './dominance.js';
import { hypervolume, referencePoint } from './hypervolume.js';

/** A completed trial as the history takes it: its objective values (every one minimised; NaN: missing) and whether it meets the constraints. */
export type HistoryPoint = { readonly values: readonly number[]; readonly feasible: boolean };

export type HypervolumeHistory = {
  /**
   * The reference point (minimised): Optuna's `_get_reference_point` rule (`referencePoint`) over
   * every feasible point, each objective's missing values skipped; null where no feasible point
   * has a number in every objective (there is then no history to draw).
   */
  readonly reference: readonly number[] | null;
  /** After the k-th point (in the order given), the hypervolume of the feasible points among the first k; empty without a reference. */
  readonly hypervolumes: readonly number[];
};

/**
 * The history of `points`, taken in the order given (the order trials completed). An infeasible
 * point, or one with a missing value, never adds to the hypervolume; each step's value is
 * `hypervolume(feasible points so far, reference)`, computed on their non-dominated subset
 * (which has the same hypervolume) so that a long sweep costs one small front per step.
 */
export function hypervolumeHistory(points: readonly HistoryPoint[]): HypervolumeHistory {
  const feasible = points.filter((p) => p.feasible);
  let reference: number[];
  try {
    reference = referencePoint(feasible.map((p) => p.values));
  } catch {
    // No feasible point, or an objective none of them has a number for.
    return { reference: null, hypervolumes: [] };
  }
  let front: (readonly number[])[] = [];
  let last = 0;
  const hypervolumes = points.map((p) => {
    if (!p.feasible || p.values.some((v) => !Number.isFinite(rankable(v)))) return last;
    if (front.some((q) => q.every((v, d) => v <= p.values[d]))) return last;
    front = [...front.filter((q) => !dominates(p.values, q)), p.values];
    last = hypervolume(front, reference);
    return last;
  });
  return { reference, hypervolumes };
}
