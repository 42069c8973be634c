import { z } from 'zod';
import { count } from './options.js';
import type { Decision, Direction, EarlyStoppingRule, Scheduler } from './scheduler.js';

/**
 * The median stopping rule as Optuna's MedianPruner, which is PercentilePruner(50) with interval_steps 1
 * and n_min_trials 1 (optuna/optuna `optuna/pruners/_percentile.py`, commit 0fae810f).
 */
export type MedianOptions = {
  readonly startupTrials: number;
  /** Epochs never judged: Optuna's n_warmup_steps, whose steps start at 0, so epoch e plays step e − 1. */
  readonly warmupEpochs: number;
};

/** Median: prune once a trial's best value so far is worse than the median of completed trials at the same epoch. */
export function median(o: MedianOptions): Scheduler {
  return {
    name: 'median',
    // It compares with completed trials at the same epoch.
    readsCompletedCurves: true,
    // _percentile.py: `if step < n_warmup_steps: return False`, and its docs say the feature assumes
    // `step` starts at zero. Epoch e is step e − 1 there, so e − 1 < warmup ⇔ e ≤ warmup: with
    // warmupEpochs 2 the first judgement comes after epoch 3, as Optuna's after its third report.
    // With interval_steps 1, `_is_first_in_interval_step` holds at every later step.
    decidesAfter: (_trial, epoch, maxEpochs) => epoch > o.warmupEpochs && epoch < maxEpochs,
    decide: (input): Decision => {
      const best = bestSoFar(input.values, input.direction);
      const idle = { rung: null, bracket: null, value: best, threshold: null, compared: [] };
      // `if n_trials == 0: return False; if n_trials < n_startup_trials: return False` (completed trials).
      if (input.completed.length === 0 || input.completed.length < o.startupTrials) return { verdict: 'continue', ...idle };
      // `_get_best_intermediate_result_over_steps` is nanmax / nanmin; all NaN gives NaN, and then `return True`.
      if (Number.isNaN(best)) return { verdict: 'prune', ...idle };
      // `_get_percentile_intermediate_result_over_trials`: completed trials that reported this step;
      // np.nanpercentile leaves out their NaNs, and with none left the percentile is NaN: `return False`.
      const compared = input.completed
        .filter((curve) => curve.length >= input.epoch)
        .map((curve) => curve[input.epoch - 1])
        .filter((v) => !Number.isNaN(v))
        .sort((a, b) => a - b);
      if (compared.length === 0) return { verdict: 'continue', ...idle };
      // For maximize Optuna takes percentile 100 − 50, the same 50: the median either way.
      const threshold = medianOfSorted(compared);
      // maximize: best < p; minimize: best > p. A tie, or a NaN median (numpy's from ±∞), keeps the trial.
      const worse = input.direction === 'maximize' ? best < threshold : best > threshold;
      return { verdict: worse ? 'prune' : 'continue', rung: null, bracket: null, value: best, threshold, compared };
    },
  };
}

/** `earlyStopping: {type: median, startupTrials, warmupEpochs}` (Optuna's MedianPruner defaults). */
export const medianRule: EarlyStoppingRule<MedianOptions & { type: 'median' }> = {
  type: 'median',
  schema: z.strictObject({ type: z.literal('median'), startupTrials: count.default(5), warmupEpochs: count.default(0) }),
  make: (o) => median(o),
};

/** np.nanmax / np.nanmin: the best non-NaN value, NaN where there is none. */
function bestSoFar(values: readonly number[], direction: Direction): number {
  const known = values.filter((v) => !Number.isNaN(v));
  if (known.length === 0) return NaN;
  return direction === 'maximize' ? Math.max(...known) : Math.min(...known);
}

/**
 * np.nanpercentile(values, 50) on ascending values, step for step: virtual index (n − 1)·0.5 between
 * element i = ⌊index⌋ and i + 1 (clipped to the last), blended by numpy's `_lerp`, which for t ≥ 0.5
 * computes b − (b − a)·(1 − t). So the last bit matches numpy's, and so does its NaN wherever an
 * infinite neighbour makes b − a infinite (the median of [1, 2, ∞] is NaN in numpy too).
 */
function medianOfSorted(sorted: readonly number[]): number {
  const at = (sorted.length - 1) * 0.5;
  const i = Math.floor(at);
  const a = sorted[i];
  const b = sorted[Math.min(i + 1, sorted.length - 1)];
  const t = at - i;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}
