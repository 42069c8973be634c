/**
 * The judge of a sweep's epochs: it records each finished epoch, and where the trial awaits a
 * verdict it first asks the sweep's early-stopping rule, from what the sweep has recorded, so the
 * epoch and its decision are written together. The rule only advises; the judge never names one.
 */
import type { Scheduler, DecisionInput } from '../early-stop/scheduler.js';
import { failpoint } from '../failpoint.js';
import { epochValue, type Objective } from '../metrics/registry.js';
import { plannedSteps } from '../spec/labels.js';
import type { Claim, EpochDecision, Store } from '../store/store.js';
import type { DecisionRecord, EpochMetrics, TrialRecord } from '../trial/types.js';

export type Judge = {
  /** Whether `trial` waits for a verdict after an epoch: never without a rule, nor after its last. */
  decidesAfter(trial: TrialRecord): (epoch: number) => boolean;
  /** The sweep's metric in an epoch's record (NaN where it has none). */
  valueOf(m: EpochMetrics): number;
  /**
   * Records `epochs` (one or more, in order, in one write) for the claimed trial, with the rule's
   * decision on the last when `awaitsVerdict`: `at` is the last epoch's, and `values` the trial's
   * metric after each epoch so far, the last included. `kept` is false when the claim no longer
   * held (nothing was written).
   */
  record(
    claim: Claim, epochs: readonly EpochMetrics[], at: { backend: string; checkpoint: Uint8Array | null; awaitsVerdict: boolean }, values: readonly number[],
  ): Promise<{ kept: boolean; decision?: EpochDecision }>;
};

/**
 * The judge of a sweep's epochs by `rule` (none: every epoch recorded, none judged). `steps`: how
 * many steps a trial of the user's code reports, where its spec says (see plannedSteps).
 */
export function makeJudge(
  rule: Scheduler | undefined, o: { store: Store; sweepId: number; sweep: string; metric: Objective; steps?: number },
): Judge {
  const { store, sweepId } = o;
  // A trial of the user's code whose length nothing says has no last epoch to spare.
  const lastEpoch = (trial: TrialRecord) => plannedSteps(trial.config, o.steps) ?? Infinity;
  /** The rule's verdict on a trial after `epoch`, from what the sweep has recorded now. */
  const decide = async (s: Scheduler, claim: Claim, epoch: number, values: readonly number[]): Promise<EpochDecision> => {
    const { id, number } = claim.trial;
    const recorded = await store.decisions(sweepId);
    // Completed trials' curves are a larger read: only for a rule that asks for them.
    const completed = s.readsCompletedCurves
      ? (await store.snapshot(sweepId)).filter((t) => t.status === 'completed').map((t) => t.epochs.map((m) => epochValue(o.metric.name, m)))
      : [];
    const input: DecisionInput = {
      trialId: id, number, epoch, values, maxEpochs: lastEpoch(claim.trial), sweep: o.sweep, direction: o.metric.goal,
      decisions: recorded.filter((d) => d.trialId !== id && d.scheduler === s.name).map(asRecorded),
      completed,
    };
    const d = s.decide(input);
    return { scheduler: s.name, rung: d.rung, bracket: d.bracket, value: d.value, threshold: d.threshold, compared: d.compared, verdict: d.verdict };
  };
  return {
    decidesAfter: (trial) => {
      const last = lastEpoch(trial);
      return (epoch) => rule !== undefined && rule.decidesAfter({ number: trial.number, sweep: o.sweep }, epoch, last);
    },
    valueOf: (m) => epochValue(o.metric.name, m),
    record: async (claim, epochs, at, values) => {
      let decision: EpochDecision | undefined;
      if (at.awaitsVerdict && rule) {
        decision = await decide(rule, claim, epochs[epochs.length - 1].epoch, values);
        // Crash point between an epoch's metrics and its decision: neither is recorded yet.
        failpoint('before-decision');
      }
      const kept = await store.recordEpochs(claim, epochs, at.backend, at.checkpoint, decision);
      return { kept, decision };
    },
  };
}

/** A recorded decision as the rules compare with it: the metric at its epoch. */
function asRecorded(d: DecisionRecord) {
  return { trialId: d.trialId, number: d.number, epoch: d.epoch, rung: d.rung, bracket: d.bracket, value: d.metricAtEpoch };
}
