/**
 * Where a worker's next trial comes from: a queued one of the sweep's (pending, interrupted, or
 * running on an expired lease), else a new proposal of a strategy that proposes as it goes (TPE),
 * made under the store's proposal lock.
 */
import type { SearchStrategy } from '../search/strategy.js';
import type { DataSettings } from '../spec/schema.js';
import type { Claim, Store } from '../store/store.js';
import type { TrialRecord } from '../trial/types.js';
import type { Wakeup } from './wakeup.js';

export type NextTrialOptions = {
  readonly store: Store;
  readonly sweepId: number;
  readonly owner: string;
  readonly strategy: SearchStrategy;
  readonly seed: number;
  readonly data: DataSettings;
  /** The config ids this run may claim; proposals and other processes' trials join it. */
  readonly eligible: string[];
  /** A proposal its parameters made infeasible: recorded, never claimed, and the search goes on. */
  readonly onInfeasible?: (trial: TrialRecord) => void;
  /** Where a deterministic proposal waits for an earlier trial's result (src/sweep/wakeup.ts). */
  readonly wakeup: Wakeup;
  /** The sweep's stop: a waiting worker gives up at once. */
  readonly stop?: AbortSignal;
};

/** A function that claims the next trial for `owner`, or resolves undefined when there is none. */
export function nextTrial(o: NextTrialOptions): () => Promise<Claim | undefined> {
  const { store, sweepId, owner, strategy, eligible } = o;
  /** Makes every trial of the sweep claimable by this run (another process's proposals). */
  const joinAll = (all: readonly TrialRecord[]) => {
    const known = new Set(eligible);
    eligible.push(...all.map((r) => r.configId).filter((id) => !known.has(id)));
  };
  return async () => {
    // Each turn adds a trial to the sweep, or waits for a trial to end, so this ends: with a
    // claim, or once the sweep has all its trials.
    for (;;) {
      // Another process's proposals are this run's to claim too: one whose process died may be
      // what a deterministic verdict or proposal here waits for.
      if (strategy.propose) joinAll(await store.trials(sweepId));
      const queued = await store.claimNext(sweepId, owner, eligible);
      if (queued || !strategy.propose) return queued;
      const added = await store.proposeTrial(sweepId, o.seed, o.data, (t, n) => strategy.propose!(t, n), { spans: strategy.spans });
      if (added === 'wait') {
        // A result the next proposal needs is not in: look again (a queued trial first) once something changed.
        if (o.stop?.aborted) return undefined;
        await o.wakeup.wait(o.stop);
        continue;
      }
      if (!added) {
        // The sweep has all its trials; another process's unfinished ones may still be claimable.
        joinAll(await store.trials(sweepId));
        return store.claimNext(sweepId, owner, eligible);
      }
      // Another process may claim the new trial before this one does (it is pending to all):
      // then this one proposes again rather than ending its worker with trials still to propose.
      eligible.push(added.configId);
      o.wakeup.notify();
      if (added.status === 'infeasible') o.onInfeasible?.(added);
    }
  };
}
