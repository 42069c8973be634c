import { z } from 'zod';
import { count, factor, positiveInt } from './options.js';
import type { Decision, DecisionInput, Direction, EarlyStoppingRule, Scheduler } from './scheduler.js';

/**
 * Asynchronous successive halving, as Optuna's SuccessiveHalvingPruner
 * (optuna/optuna `optuna/pruners/_successive_halving.py`, commit 34fa4182).
 * An epoch number plays Optuna's `step`: rung k is reached after exactly minEpochs·η^(s+k) epochs.
 */
export type AshaOptions = {
  readonly minEpochs: number;
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
};

/** ASHA: after each rung's epoch a trial goes on only if it is among the top ⌊n/η⌋ of the n values at that rung. */
export function asha(o: AshaOptions): Scheduler {
  return {
    name: 'asha',
    readsCompletedCurves: false,
    decidesAfter: (_trial, epoch, maxEpochs) => epoch < maxEpochs && rungAt(o, epoch) !== null,
    decide: (input) => judgeAtRung(o, input, null),
  };
}

/** `earlyStopping: {type: asha, minEpochs, reductionFactor, minEarlyStoppingRate}` (Optuna's defaults but η = 3). */
export const ashaRule: EarlyStoppingRule<AshaOptions & { type: 'asha' }> = {
  type: 'asha',
  schema: z.strictObject({
    type: z.literal('asha'),
    minEpochs: positiveInt(1000).default(1),
    reductionFactor: factor.default(3),
    minEarlyStoppingRate: count.default(0),
  }),
  make: (o) => asha(o),
};

/** The rung that ends at `epoch`, or null where no rung ends there. */
export function rungAt(o: AshaOptions, epoch: number): number | null {
  // _successive_halving.py: rung_promotion_step = min_resource * reduction_factor ** (min_early_stopping_rate + rung).
  // Decisions come after every rung's epoch, so each one completes exactly one rung (Optuna's
  // `while True` loop only climbs further when a report skips past a rung, which ours never do).
  for (let k = 0; ; k++) {
    const end = o.minEpochs * o.reductionFactor ** (o.minEarlyStoppingRate + k);
    if (end === epoch) return k;
    if (end > epoch) return null;
  }
}

/**
 * Successive halving's verdict at the rung ending at `input.epoch`, comparing only with the
 * decisions recorded at that rung in `bracket` (null for plain ASHA; Hyperband passes its bracket).
 */
export function judgeAtRung(o: AshaOptions, input: DecisionInput, bracket: number | null): Decision {
  const rung = rungAt(o, input.epoch);
  if (rung === null) throw new Error(`no rung ends at epoch ${input.epoch}: decide() was called where decidesAfter() said no`);
  const value = input.values[input.epoch - 1];
  // _successive_halving.py: `if math.isnan(value): return True`, before the value is stored at the rung.
  if (Number.isNaN(value)) return { verdict: 'prune', rung, bracket, value, threshold: null, compared: [] };
  // _get_competing_values: every value stored as `completed_rung_{rung}` plus the trial's own.
  // Optuna never stores a NaN (it returns first), so a NaN recorded here is no competitor either.
  const others = input.decisions
    .filter((d) => d.rung === rung && d.bracket === bracket && !Number.isNaN(d.value))
    .map((d) => d.value);
  const compared = [...others, value].sort((a, b) => a - b);
  const threshold = promotionThreshold(compared, o.reductionFactor, input.direction);
  const promoted = input.direction === 'maximize' ? value >= threshold : value <= threshold;
  return { verdict: promoted ? 'continue' : 'prune', rung, bracket, value, threshold, compared };
}

/**
 * The value a trial must reach to be promoted, from the rung's values sorted ascending (its own included):
 * Optuna's `_is_trial_promotable_to_next_rung`.
 */
function promotionThreshold(sorted: readonly number[], eta: number, direction: Direction): number {
  // promotable_idx = len // η − 1; while fewer than η values exist (−1) Optuna can't pause a
  // trial to wait for more, so it promotes only the best so far (index 0).
  const idx = Math.max(Math.floor(sorted.length / eta) - 1, 0);
  // maximize: value >= competing_values[-(idx + 1)]; minimize: value <= competing_values[idx].
  return direction === 'maximize' ? sorted[sorted.length - 1 - idx] : sorted[idx];
}
