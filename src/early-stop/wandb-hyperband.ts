import { UserError } from '../errors.js';
import { z } from 'zod';
import { count, factor, positiveInt } from './options.js';
import type { Decision, EarlyStoppingRule, Scheduler } from './scheduler.js';

/**
 * W&B's `early_terminate: {type: hyperband}`, as wandb/sweeps `src/sweeps/hyperband_stopping.py`
 * does it in the revision with `strict` (it reads a band's value as `h[band - 1]`; the stored copy
 * names no commit, and the older c462496e still read `h[band]`). Exactly one of minIter and maxIter.
 *
 * W&B's iterations are history rows counted from 1: band b is reached once a run has logged b
 * rows, and its value there is row b (`_step` b − 1). We log one row per epoch, so band b is epoch b.
 */
export type WandbHyperbandOptions = {
  readonly minIter?: number;
  readonly maxIter?: number;
  readonly eta: number;
  readonly s: number;
  readonly strict: boolean;
};

/**
 * W&B's hyperband stopping: after every epoch from the first band on, a trial stops if its value
 * is worse than the value at position ⌊n/η⌋ (best first) among all n trials' values at the last band it reached.
 */
export function wandbHyperband(o: WandbHyperbandOptions): Scheduler {
  const bands = wandbBands(o);
  return {
    name: 'wandb-hyperband',
    // A completed trial whose last epoch is a band gives its value there.
    readsCompletedCurves: true,
    // W&B's controller re-runs the check on every poll, so a run may be stopped at any step once past
    // its first band, as the band's threshold moves with other runs. Deciding after each epoch from
    // the first band on is that poll, taken whenever the trial has something new.
    decidesAfter: (_trial, epoch, maxEpochs) => epoch >= bands[0] && epoch < maxEpochs,
    decide: (input): Decision => {
      // `for band, threshold in zip(bands, thresholds): if band <= len(history): closest_band = band else: break`.
      let rung = -1;
      for (const [k, b] of bands.entries()) {
        if (b > input.epoch) break;
        rung = k;
      }
      const band = bands[rung];
      // W&B negates a maximized metric so that lower is always better; `sign` does the same.
      const sign = input.direction === 'maximize' ? -1 : 1;
      // `band_values = [h[band - 1] for h in all_run_histories if len(h) >= band]`: every run of the
      // sweep that got that far, this one included. Another trial's value at the band is the one
      // recorded with its decision after that epoch; a completed trial whose last epoch is the band
      // got no decision there (none comes after a last epoch), so its curve gives it. Longer completed
      // curves are not read again: their decision at the band is already among the recorded ones.
      // `metric_history(filter_invalid=True)` drops values that are not finite numbers, so we do too.
      const atBand = [
        input.values[band - 1],
        ...input.decisions.filter((d) => d.epoch === band).map((d) => d.value),
        ...input.completed.filter((curve) => curve.length === band).map((curve) => curve[band - 1]),
      ].filter(Number.isFinite);
      // `threshold = sorted(band_values)[int(r * len(band_values))]` with r = 1.0 / eta: the same float
      // arithmetic (r·n, not n/η), on the sign-adjusted values, so `compared` lists them best first.
      const ranked = atBand.map((v) => sign * v).sort((a, b) => a - b);
      const threshold = ranked.length > 0 ? sign * ranked[Math.trunc((1 / o.eta) * ranked.length)] : null;
      // `condition_val = min(history)`, or `history[closest_band - 1]` when strict: the best value so
      // far, or the value at the band. A run whose values are all non-finite has an empty history in
      // W&B and is never judged; a non-finite value at the band is invisible to W&B in the same way.
      const finite = input.values.filter(Number.isFinite).map((v) => sign * v);
      const value = o.strict ? input.values[band - 1] : finite.length > 0 ? sign * Math.min(...finite) : NaN;
      // `if condition_val > closest_threshold: terminate` (with no band values the threshold is +inf).
      const stop = threshold !== null && Number.isFinite(value) && sign * value > sign * threshold;
      return {
        verdict: stop ? 'prune' : 'continue', rung, bracket: null, value, threshold,
        compared: ranked.map((v) => sign * v),
      };
    },
  };
}

/**
 * `earlyStopping: {type: wandb-hyperband, minIter | maxIter with s, eta, strict}`, what a W&B file's
 * `early_terminate: {type: hyperband}` becomes; eta 3 and strict true are W&B's schema.json defaults.
 */
export const wandbHyperbandRule: EarlyStoppingRule<WandbHyperbandOptions & { type: 'wandb-hyperband' }> = {
  type: 'wandb-hyperband',
  schema: z.strictObject({
    type: z.literal('wandb-hyperband'),
    minIter: positiveInt(1000).optional(),
    maxIter: positiveInt(1000).optional(),
    eta: factor.default(3),
    s: count.optional(),
    strict: z.boolean().default(true),
  }).refine((w) => (w.minIter === undefined) !== (w.maxIter === undefined), 'needs exactly one of minIter and maxIter')
    .refine((w) => w.maxIter === undefined || (w.s ?? 0) >= 1, 'maxIter needs s, how many bands below it (at least 1)')
    .transform((w) => ({ ...w, s: w.s ?? 0 })),
  make: (o) => wandbHyperband(o),
};

/** The epochs W&B judges at, ascending: min_iter·η^k (k < 100), or ⌊max_iter/η^i⌋ for i = 1…s while at least 1. */
export function wandbBands(o: WandbHyperbandOptions): number[] {
  const bands: number[] = [];
  if (o.maxIter !== undefined) {
    // `band = max_iter; for i in range(s): band /= eta; if band < 1: break; bands.append(int(band))`, then sorted.
    let band = o.maxIter;
    for (let i = 0; i < o.s; i++) {
      band /= o.eta;
      if (band < 1) break;
      bands.push(Math.trunc(band));
    }
    bands.sort((a, b) => a - b);
  } else if (o.minIter !== undefined) {
    // `band = min_iter; for i in range(100): bands.append(int(band)); band *= eta`.
    let band = o.minIter;
    for (let i = 0; i < 100; i++) {
      bands.push(Math.trunc(band));
      band *= o.eta;
    }
  } else {
    throw new UserError('wandb-hyperband needs minIter or maxIter');
  }
  // W&B raises "Bands must be an array of length at least 1" on every check; we say so once, up front.
  if (bands.length === 0) {
    throw new UserError(`wandb-hyperband with maxIter ${o.maxIter}, eta ${o.eta} and s ${o.s} has no band to stop at: raise s or maxIter`);
  }
  return bands;
}
