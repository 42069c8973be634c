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
import type { Wakeup } from './wakeup.js';

export type Judge = {
  /** Whether `trial` waits for a verdict after an epoch: never without a rule, nor after its last. */
  decidesAfter(trial: TrialRecord): (epoch: number) => boolean;
  /** The sweep's metric in an epoch's record (NaN where it has none). */
  valueOf(m: EpochMetrics): number;
  /**
   * Records `epochs` (one or more, in order, in one write) for the claimed trial, with the rule's
   * decision on the last when `awaitsVerdict`: `at` is the last epoch's, and `values` the trial's
   * metric after each epoch so far, the last included. `kept` is false when the claim no longer
   * held (nothing was written). `gaveWay`: a deterministic verdict cannot be made now; the last
   * epoch was not written, those before it were (where `kept`).
   */
  record(
    claim: Claim, epochs: readonly EpochMetrics[], at: { backend: string; checkpoint: Uint8Array | null; awaitsVerdict: boolean }, values: readonly number[],
  ): Promise<{ kept: boolean; decision?: EpochDecision; gaveWay?: true }>;
};

/** How a deterministic judge waits (docs/search.md, "Deterministic sweeps"). */
export type Determinism = {
  readonly wakeup: Wakeup;
  /** The sweep's stop: a waiting verdict gives up at once. */
  readonly stop: AbortSignal;
};

/**
 * The judge of a sweep's epochs by `rule` (none: every epoch recorded, none judged). `steps`: how
 * many steps a trial of the user's code reports, where its spec says (see plannedSteps).
 */
export function makeJudge(
  rule: Scheduler | undefined,
  o: { store: Store; sweepId: number; sweep: string; metric: Objective; steps?: number; deterministic?: Determinism },
): Judge {
  const { store, sweepId } = o;
  // A trial of the user's code whose length nothing says has no last epoch to spare.
  const lastEpoch = (trial: TrialRecord) => plannedSteps(trial.config, o.steps) ?? Infinity;
  const curve = (epochs: readonly EpochMetrics[]) => epochs.map((m) => epochValue(o.metric.name, m));
  /** What the rule compares with, free-running: whatever the sweep has recorded now. */
  const now = async (s: Scheduler) => ({
    recorded: await store.decisions(sweepId),
    // Completed trials' curves are a larger read: only for a rule that asks for them.
    completed: s.readsCompletedCurves
      ? (await store.snapshot(sweepId)).filter((t) => t.status === 'completed').map((t) => curve(t.epochs))
      : [],
  });
  /**
   * What the rule compares with, deterministic: the trials numbered below this one alone, once
   * each has reached `epoch` or finished (ASHA's and Hyperband's decisions at the rung; for the
   * median rule, the curves of those that reached `epoch`, completed or not). Waits for the rest;
   * 'give way' where one of them is queued, not running (a process that ran it died): this trial
   * holds a worker that one needs.
   */
  const earlier = async (s: Scheduler, d: Determinism, claim: Claim, epoch: number) => {
    let queuedLooks = 0;
    for (;;) {
      const e = await store.earlierTrials(sweepId, claim.trial.number, epoch, s.readsCompletedCurves);
      if (e.unfinished.length === 0) {
        return { recorded: e.decisions, completed: [...e.epochs.values()].filter((es) => es.length >= epoch).map(curve) };
      }
      if (d.stop.aborted) return 'give way' as const;
      // Twice in a row, so that a worker of this process about to claim it may do so first.
      queuedLooks = e.unfinished.some((t) => t.status !== 'running') ? queuedLooks + 1 : 0;
      if (queuedLooks >= 2) return 'give way' as const;
      await d.wakeup.wait(d.stop);
      // A trial whose process died is running no more once its lease is over: queued, as above.
      await store.releaseExpired(sweepId);
    }
  };
  /** The rule's verdict on a trial after `epoch`; 'give way' where a deterministic one cannot be made now. */
  const decide = async (s: Scheduler, claim: Claim, epoch: number, values: readonly number[]): Promise<EpochDecision | 'give way'> => {
    const { id, number } = claim.trial;
    const seen = o.deterministic ? await earlier(s, o.deterministic, claim, epoch) : await now(s);
    if (seen === 'give way') return seen;
    const { recorded, completed } = seen;
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
        const d = await decide(rule, claim, epochs[epochs.length - 1].epoch, values);
        if (d === 'give way') {
          // Nothing of the last epoch is written: the trial goes back to the queue, to resume from its
          // last checkpoint. Those before it in the same write are kept, as if each had been written alone.
          const kept = epochs.length === 1 || await store.recordEpochs(claim, epochs.slice(0, -1), at.backend);
          if (kept) o.deterministic?.wakeup.notify();
          return { kept, gaveWay: true };
        }
        decision = d;
        // Crash point between an epoch's metrics and its decision: neither is recorded yet.
        failpoint('before-decision');
      }
      const kept = await store.recordEpochs(claim, epochs, at.backend, at.checkpoint, decision);
      if (kept) o.deterministic?.wakeup.notify();
      return { kept, decision };
    },
  };
}

/** A recorded decision as the rules compare with it: the metric at its epoch. */
function asRecorded(d: DecisionRecord) {
  return { trialId: d.trialId, number: d.number, epoch: d.epoch, rung: d.rung, bracket: d.bracket, value: d.metricAtEpoch };
}
