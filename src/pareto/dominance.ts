/**
 * Pareto dominance, plain and constrained. A point is one value per objective, every objective
 * to be minimised: callers negate an objective they maximise.
 *
 * NaN is the worst value an objective can have: it compares as +Infinity, so it is worse than any
 * number and equal to another NaN (or to +Infinity). Optuna never meets NaN here, since
 * `study.tell` fails a trial whose value is NaN; we keep such trials as rows, so they need a place.
 */

/** An objective value as dominance compares it: NaN is +Infinity (the worst). */
export function rankable(v: number): number {
  return Number.isNaN(v) ? Infinity : v;
}

/**
 * Whether `a` Pareto-dominates `b`: no worse in every objective and better in at least one
 * (optuna/study/_multi_objective.py `_dominates`). Equal points dominate neither way.
 * Points of different lengths cannot be compared and throw.
 */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) throw new Error(`points of ${a.length} and ${b.length} objectives cannot be compared`);
  let better = false;
  for (let i = 0; i < a.length; i++) {
    const x = rankable(a[i]);
    const y = rankable(b[i]);
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/**
 * A trial as constrained domination sees it: its objective values (minimised) and `violation`,
 * the sum of its constraints' positive parts. A violation of 0 or less is feasible; NaN counts
 * as +Infinity, the most infeasible (Optuna refuses NaN constraints instead).
 */
export type Candidate = { readonly values: readonly number[]; readonly violation: number };

/** Whether a candidate satisfies every constraint. */
export function isFeasible(c: Candidate): boolean {
  return c.violation <= 0;
}

/**
 * Constrained domination (Deb et al. 2002, as optuna/samplers/nsgaii/_constraints_evaluation.py
 * `_constrained_dominates`, v3.1.0 and v4.9.0 alike): a feasible candidate dominates an infeasible
 * one; of two infeasible ones, the smaller violation dominates (equal violations: neither); two
 * feasible ones compare by Pareto dominance. With no constraints (every violation 0) it is `dominates`.
 */
export function constrainedDominates(a: Candidate, b: Candidate): boolean {
  const fa = isFeasible(a);
  const fb = isFeasible(b);
  if (fa && fb) return dominates(a.values, b.values);
  if (fa) return true;
  if (fb) return false;
  return rankable(a.violation) < rankable(b.violation);
}
