/**
 * Which trials TPE counts as good (the "below" group, fitted as l(x)) and which as bad (g(x)),
 * and how much each good one weighs: optuna/samplers/_tpe/sampler.py `_split_trials`,
 * `_split_complete_trials_single_objective`, `_split_complete_trials_multi_objective`,
 * `_split_pruned_trials`, `_split_infeasible_trials` and `_calculate_weights_below_for_multi_objective`,
 * as of v4.9.0. The split is the same code from v4.2.0 to v5.0.0-rc1 (v5 reads constraints from
 * `trial.constraints` instead of `constraints_func`); the weights are the same code from v4.6.0 and
 * the same rule from v4.2.0. The Pareto math is src/pareto/'s.
 */
import { rankable } from '../pareto/dominance.js';
import { selectSubset } from '../pareto/hssp.js';
import { EPS, hypervolume, hypervolumeContributions, referencePoint } from '../pareto/hypervolume.js';
import { nonDominatedRanks } from '../pareto/sort.js';
import type { Observation } from './space.js';

/** The two groups, each in trial-number order (which default_weights relies on). */
export type Groups = { readonly below: readonly Observation[]; readonly above: readonly Observation[] };

/** What the history says about the sweep: how many objectives, and whether it has constraints. */
export type HistoryShape = {
  /** The length of the complete trials' `values`; 1 when none carries any. */
  readonly objectives: number;
  /** Whether any complete trial carries a `violation` (Optuna: a `constraints_func` was given). */
  readonly constrained: boolean;
};

type Complete = Extract<Observation, { state: 'complete' }>;
type Pruned = Extract<Observation, { state: 'pruned' }>;

/**
 * The history's shape. Complete trials whose `values` differ in length cannot be compared and
 * throw; a complete trial without `values` in a sweep of several objectives counts as NaN (the
 * worst) in each.
 */
export function historyShape(trials: readonly Observation[]): HistoryShape {
  const complete = trials.filter((t): t is Complete => t.state === 'complete');
  const lengths = [...new Set(complete.flatMap((t) => (t.values ? [t.values.length] : [])))];
  if (lengths.length > 1) throw new Error(`complete trials carry ${lengths.join(' and ')} objective values`);
  return { objectives: lengths[0] ?? 1, constrained: complete.some((t) => t.violation !== undefined) };
}

/**
 * `_split_trials` over trials sorted by number: running trials go above (or nowhere without the
 * constant liar); with constraints, a complete trial whose violation is above 0 is infeasible; of
 * the rest, the best `nBelow` complete trials (by score, or with several objectives by
 * `splitMultiObjective`) go below, then if there is room the best pruned ones (latest epoch first,
 * then score), then the least infeasible ones (smallest violation, then oldest).
 *
 * Where Optuna has no rule: a complete trial with no `violation` in a sweep with constraints is
 * infeasible by +Infinity, as Optuna scores a trial that has no constraint values; pruned trials
 * carry no violation (Optuna evaluates `constraints_func` on them too), so they stay pruned.
 */
export function splitTrials(trials: readonly Observation[], nBelow: number, constantLiar: boolean, shape: HistoryShape): Groups {
  const isInfeasible = (t: Observation): t is Complete => shape.constrained && t.state === 'complete' && violationOf(t) > 0;
  const infeasible = trials.filter(isInfeasible).sort((a, b) => violationOf(a) - violationOf(b) || a.number - b.number);
  const complete = trials.filter((t): t is Complete => t.state === 'complete' && !isInfeasible(t));
  const pruned = trials
    .filter((t): t is Pruned => t.state === 'pruned')
    .sort((a, b) => b.epochs - a.epochs || byScore(a, b));
  const running = constantLiar ? trials.filter((t) => t.state === 'running') : [];

  const nComplete = Math.min(nBelow, complete.length);
  let completeBelow: readonly Observation[];
  let completeAbove: readonly Observation[];
  if (shape.objectives >= 2) {
    ({ below: completeBelow, above: completeAbove } = splitMultiObjective(complete, nComplete, shape.objectives));
  } else {
    const byBest = [...complete].sort(byScore);
    [completeBelow, completeAbove] = [byBest.slice(0, nComplete), byBest.slice(nComplete)];
  }
  const nPruned = Math.min(nBelow - completeBelow.length, pruned.length);
  const nInfeasible = Math.max(0, Math.min(nBelow - completeBelow.length - nPruned, infeasible.length));
  return {
    below: [...completeBelow, ...pruned.slice(0, nPruned), ...infeasible.slice(0, nInfeasible)].sort(byNumber),
    above: [...completeAbove, ...pruned.slice(nPruned), ...infeasible.slice(nInfeasible), ...running].sort(byNumber),
  };
}

/**
 * `_split_complete_trials_multi_objective`: the `nBelow` best of some complete, feasible trials by
 * their `values` (minimised). Whole non-domination ranks go below while they fit; the next rank is
 * then cut to the number still missing by greedy hypervolume subset selection (`selectSubset`),
 * against the reference point of that rank alone (`_get_reference_point`). Groups keep the input order.
 */
export function splitMultiObjective(trials: readonly Complete[], nBelow: number, objectives: number): Groups {
  if (nBelow <= 0) return { below: [], above: [...trials] };
  if (nBelow >= trials.length) return { below: [...trials], above: [] };
  const points = trials.map((t) => lossValues(t, objectives));
  const ranks = nonDominatedRanks(points.map((values) => ({ values, violation: 0 })));
  // The last rank that fits whole (0: not even the first); ranks are 1, 2, … with no gap.
  const counts = new Map<number, number>();
  for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
  let last = 0;
  for (let taken = 0; taken + (counts.get(last + 1) ?? Infinity) <= nBelow; last++) taken += counts.get(last + 1)!;
  const below = new Set(ranks.flatMap((r, i) => (r <= last ? [i] : [])));
  if (below.size < nBelow) {
    const tied = ranks.flatMap((r, i) => (r === last + 1 ? [i] : []));
    const tiedPoints = tied.map((i) => points[i]);
    for (const j of selectSubset(tiedPoints, nBelow - below.size, referencePoint(tiedPoints))) below.add(tied[j]);
  }
  return { below: trials.filter((_, i) => below.has(i)), above: trials.filter((_, i) => !below.has(i)) };
}

/**
 * `_calculate_weights_below_for_multi_objective` (v4.9.0): each good trial's kernel weight, in the
 * group's order. Among the feasible complete trials, against their reference point: one on their
 * Pareto front weighs what the front's hypervolume loses without it, divided by the largest such
 * loss, at least EPS; one off the front, and an infeasible one, weighs EPS. With at most one
 * feasible trial, or a hypervolume that is not finite, every feasible trial weighs 1. Pruned
 * trials, which Optuna's multi-objective studies cannot have (Trial.report refuses them), have no
 * values: EPS too.
 * The loss is over the front alone (v4.2.0 on): a point only one front member dominates does not
 * fill in for it, as it would in its exclusive contribution among all the good trials (v4.0.0,
 * v3.1.0, which also added EPS to each before dividing); v5.0.0-rc1 weighs every good trial 1.
 */
export function multiObjectiveWeightsBelow(below: readonly Observation[], shape: HistoryShape): number[] {
  const feasible = below.map((t) => t.state === 'complete' && !(shape.constrained && violationOf(t) > 0));
  const weights: number[] = feasible.map((f) => (f ? 1 : EPS));
  const at = feasible.flatMap((f, i) => (f ? [i] : []));
  if (at.length <= 1) return weights;
  const points = at.map((i) => lossValues(below[i] as Complete, shape.objectives));
  const reference = referencePoint(points);
  // Equal points are both on the front (and each contributes 0), as `_is_pareto_front` has it.
  const onFront = nonDominatedRanks(points.map((values) => ({ values, violation: 0 }))).map((r) => r === 1);
  const front = points.filter((_, k) => onFront[k]);
  // Optuna returns here when the hypervolume is infinite; a reference that is not finite (a value
  // of +Infinity, or NaN) gives it no finite contributions either.
  if (!reference.every(Number.isFinite) || !Number.isFinite(hypervolume(front, reference))) return weights;
  const frontContributions = hypervolumeContributions(front, reference);
  const largest = Math.max(...frontContributions, EPS);
  let f = 0;
  at.forEach((i, k) => { weights[i] = Math.max((onFront[k] ? frontContributions[f++] : 0) / largest, EPS); });
  return weights;
}

/** A complete trial's objective values, NaN (and a missing value) as +Infinity, the worst. */
function lossValues(t: Complete, objectives: number): number[] {
  return Array.from({ length: objectives }, (_, d) => rankable(t.values?.[d] ?? NaN));
}

/** `_get_infeasible_trial_score`: the summed violation; NaN or missing as +Infinity. */
function violationOf(t: Complete): number {
  return t.violation === undefined ? Infinity : rankable(t.violation);
}

/** Higher score first; a NaN score counts as the worst. */
function byScore(a: Complete | Pruned, b: Complete | Pruned): number {
  const x = Number.isNaN(a.score) ? -Infinity : a.score;
  const y = Number.isNaN(b.score) ? -Infinity : b.score;
  return x > y ? -1 : x < y ? 1 : 0;
}

function byNumber(a: Observation, b: Observation): number {
  return a.number - b.number;
}
