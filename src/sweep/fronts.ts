/**
 * The Pareto fronts of a sweep of several objectives or with constraints: after each trial
 * completes, the controller has the store rank the sweep's completed trials again
 * (`Store.rankFronts`), with the rule below deciding. Pure: the store reads and writes.
 */
import type { Objective } from '../metrics/registry.js';
import { minimized } from '../pareto/minimized.js';
import { nonDominatedRanks } from '../pareto/sort.js';
import type { Constraint } from '../spec/constraints.js';
import { evaluateConstraints } from '../spec/constraints.js';
import { parameterBounds } from '../spec/parameter-bounds.js';
import type { SweepSpec } from '../spec/schema.js';
import type { FrontInput, FrontRow, Store } from '../store/store.js';
import type { SweepEvent } from './events.js';

/** Whether a sweep's trials are ranked into fronts: it has several objectives, or constraints. */
export function hasFronts(spec: Pick<SweepSpec, 'objectives' | 'constraints'>): boolean {
  return spec.objectives.length > 1 || spec.constraints.length > 0;
}

/**
 * The fronts of `trials` under `objectives` and `constraints`: each trial's violation (a bound
 * on an objective reads the objective's value, any other the value the store gave by name; a
 * missing value breaks its bound without limit, but for a parameter in `conditional`, which bounds
 * it only where it exists), then constrained non-dominated sorting.
 */
export function rankTrials(
  objectives: readonly Objective[], constraints: readonly Constraint[], trials: readonly FrontInput[],
  conditional: ReadonlySet<string> = new Set(),
): FrontRow[] {
  const evaluated = trials.map((t) => evaluateConstraints(
    constraints.filter((c) => !(conditional.has(c.name) && t.named[c.name] == null)),
    (name) => {
      const i = objectives.findIndex((o) => o.name === name);
      return (i >= 0 ? t.values[i] : t.named[name]) ?? undefined;
    },
  ));
  const fronts = nonDominatedRanks(trials.map((t, k) => ({
    values: objectives.map((o, i) => minimized(o.goal, t.values[i])),
    violation: evaluated[k].violation,
  })));
  return trials.map((t, k) => ({ trialId: t.trialId, front: fronts[k], violation: evaluated[k].violation, broken: evaluated[k].broken }));
}

/** Ranks the sweep's completed trials into fronts in the store: the fronts, as an event for the views (null where the sweep has none). */
export async function updateFronts(store: Store, sweepId: number, spec: Pick<SweepSpec, 'objectives' | 'constraints' | 'code'>): Promise<SweepEvent | null> {
  if (!hasFronts(spec)) return null;
  const objectiveNames = new Set(spec.objectives.map((o) => o.name));
  const names = [...new Set(spec.constraints.map((c) => c.name))].filter((n) => !objectiveNames.has(n));
  // A parameter is bounded where the trial has it (src/spec/parameter-bounds.ts): a conditional one
  // under another choice, or a CNN's kernel_size in an ANN, meets its bounds.
  const conditional = new Set(parameterBounds(spec).map((c) => c.name));
  const rows = await store.rankFronts(sweepId, names, (trials) => rankTrials(spec.objectives, spec.constraints, trials, conditional));
  return { type: 'fronts', fronts: rows.map((r) => ({ trialId: r.trialId, front: r.front, feasible: r.violation === 0 })) };
}
