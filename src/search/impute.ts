/**
 * W&B's `metric.impute`: the value Bayesian search counts a failed (or, with
 * `impute_while_running`, a running) trial as, where sweep's TPE would otherwise leave it out
 * (wandb/sweeps b1dfc5f, src/sweeps/bayes_search.py `impute` and `_construct_gp_data`):
 * - `worst`: the worst value any ended trial ever recorded (the lowest of a maximized metric,
 *   the highest of a minimized one), over completed, failed and pruned trials' histories;
 * - `best`: the trial's own best recorded value;
 * - `latest`: the trial's own last recorded value.
 * Where there is none, W&B's `failed_val`, 0.
 */
import type { Goal } from '../metrics/registry.js';
import type { Impute } from '../spec/schema.js';

/** A trial's recorded values of the sweep's metric: the lowest, the highest and the last (by step). */
export type MetricSpan = { readonly min: number; readonly max: number; readonly last: number };

const FAILED_VALUE = 0;

/** The value `strategy` gives a trial whose values are `own`, in a sweep whose ended trials' are `ended`. */
export function imputedValue(strategy: Impute, goal: Goal, own: MetricSpan | undefined, ended: readonly (MetricSpan | undefined)[]): number {
  switch (strategy) {
    case 'best':
      return own === undefined ? FAILED_VALUE : goal === 'maximize' ? own.max : own.min;
    case 'latest':
      return own?.last ?? FAILED_VALUE;
    case 'worst': {
      const spans = ended.filter((s): s is MetricSpan => s !== undefined);
      if (spans.length === 0) return FAILED_VALUE;
      return goal === 'maximize' ? Math.min(...spans.map((s) => s.min)) : Math.max(...spans.map((s) => s.max));
    }
  }
}
