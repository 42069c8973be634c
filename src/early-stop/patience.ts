import { z } from 'zod';
import { count } from './options.js';
import type { Decision, EarlyStoppingRule, Scheduler } from './scheduler.js';

/**
 * Keras's EarlyStopping callback as a sweep rule: a trial stops once its metric has not improved
 * for `patience` epochs, judged against its own history only (keras-team/keras
 * `keras/src/callbacks/early_stopping.py`, commit 040582f, `on_epoch_end` and `_is_improvement`).
 * Keras's `baseline` and `restore_best_weights` are not taken: a pruned trial keeps the weights of
 * the epoch it stopped after, and the sweep ranks it by that epoch's metric.
 */
export type PatienceOptions = {
  /** Epochs without improvement before the trial stops (Keras's default, 0: the first one that does not improve). */
  readonly patience: number;
  /** How much better than the best so far a value must be to count as an improvement. */
  readonly minDelta: number;
  /** Epochs not watched at the start: Keras's start_from_epoch, whose epochs count from 0, so epoch e here is Keras's e − 1. */
  readonly startFromEpoch: number;
};

/** Patience: after each watched epoch, stop if the last `patience` epochs brought no improvement of more than `minDelta`. */
export function patience(o: PatienceOptions): Scheduler {
  return {
    name: 'patience',
    readsCompletedCurves: false,
    decidesAfter: (_trial, epoch, maxEpochs) => epoch < maxEpochs && epoch - 1 >= o.startFromEpoch,
    decide: (input): Decision => {
      const maximize = input.direction === 'maximize';
      // `_is_improvement`: monitor_op(current - min_delta, best), min_delta negated for `less`.
      const improves = (v: number, best: number) => (maximize ? v - o.minDelta > best : v + o.minDelta < best);
      let best = maximize ? -Infinity : Infinity;
      let wait = 0;
      let before = best;
      let stop = false;
      // Replays `on_epoch_end` over the trial's values so far: a pure function of its history.
      for (let k = 0; k < input.epoch; k++) {
        if (k < o.startFromEpoch) continue;
        before = best;
        wait++;
        if (improves(input.values[k], best)) {
          best = input.values[k];
          wait = 0;
          stop = false;
          continue;
        }
        stop = wait >= o.patience && k > 0;
      }
      const value = input.values[input.epoch - 1];
      return {
        verdict: stop ? 'prune' : 'continue', rung: null, bracket: null, value,
        threshold: Number.isFinite(before) ? before : null, compared: Number.isFinite(before) ? [before] : [],
      };
    },
  };
}

/** `earlyStopping: {type: patience, patience, minDelta, startFromEpoch}`, Keras's defaults. */
export const patienceRule: EarlyStoppingRule<PatienceOptions & { type: 'patience' }> = {
  type: 'patience',
  schema: z.strictObject({
    type: z.literal('patience'),
    patience: count.default(0),
    minDelta: z.number().gte(0, 'must be at least 0').default(0),
    startFromEpoch: count.default(0),
  }),
  make: (o) => patience(o),
};
