import { crc32 } from 'node:zlib';
import { judgeAtRung, rungAt, type AshaOptions } from './asha.js';
import { z } from 'zod';
import { factor, positiveInt } from './options.js';
import type { EarlyStoppingRule, Scheduler } from './scheduler.js';

/**
 * Hyperband as Optuna's HyperbandPruner (optuna/optuna `optuna/pruners/_hyperband.py`, commit 0458a7c3):
 * several successive-halving brackets, each trial assigned to one by a hash of the sweep's name and its number.
 */
export type HyperbandOptions = {
  readonly minEpochs: number;
  readonly maxEpochs: number;
  readonly reductionFactor: number;
};

/** Hyperband: the trial's bracket b runs ASHA with minEarlyStoppingRate b, judged only against its own bracket. */
export function hyperband(o: HyperbandOptions): Scheduler {
  const budgets = bracketBudgets(o);
  const sha = (bracket: number): AshaOptions =>
    ({ minEpochs: o.minEpochs, reductionFactor: o.reductionFactor, minEarlyStoppingRate: bracket });
  return {
    name: 'hyperband',
    readsCompletedCurves: false,
    decidesAfter: (trial, epoch, maxEpochs) =>
      // _hyperband.py: with no bracket (maxEpochs < minEpochs) `prune` always returns False.
      budgets.length > 0 && epoch < maxEpochs && rungAt(sha(bracketIn(budgets, trial.sweep, trial.number)), epoch) !== null,
    decide: (input) => {
      const bracket = bracketIn(budgets, input.sweep, input.number);
      // _BracketStudy.get_trials keeps only the trials of the same bracket, so a rung's competitors are too.
      return judgeAtRung(sha(bracket), input, bracket);
    },
  };
}

/** `earlyStopping: {type: hyperband, minEpochs, maxEpochs, reductionFactor}`; maxEpochs defaults to the space's longest trial. */
export const hyperbandRule: EarlyStoppingRule<{ type: 'hyperband'; minEpochs: number; maxEpochs?: number; reductionFactor: number }> = {
  type: 'hyperband',
  schema: z.strictObject({
    type: z.literal('hyperband'),
    minEpochs: positiveInt(1000).default(1),
    maxEpochs: positiveInt(1000).optional(),
    reductionFactor: factor.default(3),
  }),
  make: (o, context) => hyperband({ minEpochs: o.minEpochs, maxEpochs: o.maxEpochs ?? context.maxEpochs, reductionFactor: o.reductionFactor }),
};

/** Each bracket's share of trials (Optuna's trial allocation budget), bracket 0 first; empty where maxEpochs < minEpochs. */
export function bracketBudgets(o: HyperbandOptions): number[] {
  // _hyperband.py: n_brackets = floor(log_η(max_resource / min_resource)) + 1. Counted in integers
  // (the largest k with min·η^k ≤ max, plus one): Optuna's float `math.log(max / min, η)` lands just
  // below some exact powers on CPython (math.log(243, 3) is 4.999…, math.log(1000, 10) is 2.999…) and
  // there counts one bracket fewer than the formula it implements; V8's Math.log errs elsewhere.
  let n = 0;
  while (o.minEpochs * o.reductionFactor ** n <= o.maxEpochs) n++;
  // _calculate_trial_allocation_budget: s = n_brackets − 1 − bracket_id; ceil(n_brackets · η^s / (s + 1)).
  return Array.from({ length: n }, (_, b) => {
    const s = n - 1 - b;
    return Math.ceil((n * o.reductionFactor ** s) / (s + 1));
  });
}

/** The bracket of trial `number` in sweep `sweep` (0 is the most aggressive: its first rung comes earliest). */
export function bracketOf(o: HyperbandOptions, sweep: string, number: number): number {
  return bracketIn(bracketBudgets(o), sweep, number);
}

function bracketIn(budgets: readonly number[], sweep: string, number: number): number {
  // _get_bracket_id: n = crc32("{study_name}_{trial.number}".encode()) % total budget, then walk the
  // budgets until n goes negative. zlib's crc32 encodes a string as UTF-8, as Python's .encode() does.
  let n = crc32(`${sweep}_${number}`) % budgets.reduce((a, b) => a + b, 0);
  for (const [bracket, budget] of budgets.entries()) {
    n -= budget;
    if (n < 0) return bracket;
  }
  throw new Error('unreachable: n < total budget');
}
