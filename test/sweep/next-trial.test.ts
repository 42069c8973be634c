/**
 * Where a worker's next trial comes from (src/sweep/next-trial.ts), with a store whose other
 * process takes a proposal before this one can claim it.
 */
import { describe, expect, it } from 'vitest';
import type { SearchStrategy } from '../../src/search/strategy.js';
import type { Claim, Store } from '../../src/store/store.js';
import type { TrialRecord } from '../../src/trial/types.js';
import { nextTrial } from '../../src/sweep/next-trial.js';
import { Wakeup } from '../../src/sweep/wakeup.js';

/** A store of proposals, each pending until claimed; `steal` proposals are claimed by another process first. */
function storeOf(planned: number, steal: number) {
  const trials: { configId: string; claimedBy: string | null }[] = [];
  let stolen = 0;
  const store = {
    async claimNext(_s: number, owner: string, eligible: readonly string[]) {
      const t = trials.find((x) => x.claimedBy === null && eligible.includes(x.configId));
      if (!t) return undefined;
      t.claimedBy = owner;
      return { trial: { configId: t.configId } as TrialRecord, attempt: 1 } as Claim;
    },
    async proposeTrial() {
      if (trials.length >= planned) return undefined;
      const t = { configId: `c${trials.length}`, claimedBy: null as string | null };
      trials.push(t);
      // The other process's claim lands between this proposal and this process's claim.
      if (stolen < steal) {
        stolen++;
        t.claimedBy = 'other';
      }
      return { configId: t.configId } as TrialRecord;
    },
    async trials() {
      return trials.map((t) => ({ configId: t.configId }) as TrialRecord);
    },
  } as unknown as Store;
  return { store, trials };
}

const PROPOSING = { keys: [], planned: 10, initial: () => [], propose: () => undefined } as unknown as SearchStrategy;

describe('nextTrial', () => {
  it('proposes again when another process claimed its proposal first, instead of ending the worker', async () => {
    const { store, trials } = storeOf(10, 2);
    const next = nextTrial({ store, sweepId: 1, owner: 'me', strategy: PROPOSING, seed: 1, data: { validationSplit: 0.1 }, eligible: [], wakeup: new Wakeup() });
    const claim = await next();
    expect(claim?.trial.configId).toBe('c2');
    expect(trials.map((t) => t.claimedBy)).toEqual(['other', 'other', 'me']);
  });

  it('ends once the sweep has all its trials and none is left to claim', async () => {
    const { store } = storeOf(2, 2);
    const next = nextTrial({ store, sweepId: 1, owner: 'me', strategy: PROPOSING, seed: 1, data: { validationSplit: 0.1 }, eligible: [], wakeup: new Wakeup() });
    expect(await next()).toBeUndefined();
  });
});
