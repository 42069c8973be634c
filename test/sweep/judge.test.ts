import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeScheduler } from '../../src/early-stop/registry.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { makeJudge } from '../../src/sweep/judge.js';
import { Wakeup } from '../../src/sweep/wakeup.js';
import type { EpochMetrics } from '../../src/trial/types.js';
import { tempDir } from '../temp-dir.js';

const epoch = (n: number, valLoss: number): EpochMetrics => ({ epoch: n, loss: 1, accuracy: 0.5, valLoss, valAccuracy: 1 - valLoss, seconds: 1 });

async function setup() {
  const store = await SqliteStore.open(join(tempDir('sweep-judge-'), 'sweeps.db'));
  const spec = parseSpec('name: j\ngrid:\n  epochs: [4]\n  dropout: [0.1, 0.2]\n', 'j.yaml');
  const sweepId = await store.upsertSweep({ name: 'j', metric: 'val_loss', goal: 'minimize', seed: spec.seed, specPath: null, specYaml: '' });
  const trials = expandGrid(spec);
  await store.addTrials(sweepId, spec.seed, spec.data, trials);
  const claim = (await store.claimNext(sweepId, 'me', trials.map((t) => t.configId)))!;
  return { store, sweepId, claim };
}

describe('the judge', () => {
  it('records an epoch; where the trial awaits a verdict it asks the rule first and writes the decision with the epoch', async () => {
    const { store, sweepId, claim } = await setup();
    const rule = makeScheduler({ type: 'patience', patience: 0, minDelta: 0, startFromEpoch: 0 }, { maxEpochs: 4 });
    const judge = makeJudge(rule, { store, sweepId, sweep: 'j', metric: { name: 'val_loss', goal: 'minimize' } });
    expect([1, 2, 3, 4].filter(judge.decidesAfter(claim.trial))).toEqual([1, 2, 3]);
    expect(judge.valueOf(epoch(1, 0.5))).toBe(0.5);
    const at = { backend: 'wasm', checkpoint: null, awaitsVerdict: true };
    expect(await judge.record(claim, [epoch(1, 0.5)], at, [0.5])).toMatchObject({ kept: true, decision: { scheduler: 'patience', verdict: 'continue' } });
    // An epoch that awaits nothing is recorded without asking.
    expect(await judge.record(claim, [epoch(2, 0.25)], { ...at, awaitsVerdict: false }, [0.5, 0.25])).toEqual({ kept: true, decision: undefined });
    // The loss went up: patience 0 prunes, and the store ends the trial with the epoch.
    const third = await judge.record(claim, [epoch(3, 0.375)], at, [0.5, 0.25, 0.375]);
    expect(third).toMatchObject({ kept: true, decision: { verdict: 'prune', threshold: 0.25 } });
    expect(await store.trial(claim.trial.id)).toMatchObject({ status: 'pruned', epochsDone: 3, metricValue: 0.375 });
    expect((await store.decisions(sweepId)).map((d) => [d.epoch, d.verdict])).toEqual([[1, 'continue'], [3, 'prune']]);
    // The claim is over: nothing more is written.
    expect((await judge.record(claim, [epoch(4, 0.1)], at, [0.5, 0.25, 0.375, 0.1])).kept).toBe(false);
    await store.close();
  });

  it('reads completed trials\' curves only for a rule that asks for them, and with no rule decides nothing', async () => {
    const { store, sweepId, claim } = await setup();
    let snapshots = 0;
    const counting = Object.assign(Object.create(store) as typeof store, { snapshot: (id: number) => { snapshots++; return store.snapshot(id); } });
    const metric = { name: 'val_loss', goal: 'minimize' } as const;
    const at = { backend: 'wasm', checkpoint: null, awaitsVerdict: true };
    await makeJudge(makeScheduler({ type: 'asha', minEpochs: 1, reductionFactor: 2, minEarlyStoppingRate: 0 }, { maxEpochs: 4 }),
      { store: counting, sweepId, sweep: 'j', metric }).record(claim, [epoch(1, 0.5)], at, [0.5]);
    expect(snapshots).toBe(0);
    await makeJudge(makeScheduler({ type: 'median', startupTrials: 0, warmupEpochs: 0 }, { maxEpochs: 4 }),
      { store: counting, sweepId, sweep: 'j', metric }).record(claim, [epoch(2, 0.4)], at, [0.5, 0.4]);
    expect(snapshots).toBe(1);
    const none = makeJudge(undefined, { store, sweepId, sweep: 'j', metric });
    expect([1, 2, 3, 4].filter(none.decidesAfter(claim.trial))).toEqual([]);
    expect(await none.record(claim, [epoch(3, 0.3)], at, [0.5, 0.4, 0.3])).toEqual({ kept: true, decision: undefined });
    await store.close();
  });

  it('a deterministic verdict that must give way writes the epochs before it in the same batch, and not the one it was to judge', async () => {
    const { store, sweepId, claim } = await setup();
    const spec = parseSpec('name: j\ngrid:\n  epochs: [4]\n  dropout: [0.1, 0.2]\n', 'j.yaml');
    // Trial 1 is judged against trial 0, which nobody runs (interrupted, queued again), so trial 1 gives way.
    expect(await store.interruptTrial(claim)).toBe(true);
    const second = (await store.claimNext(sweepId, 'me', [expandGrid(spec)[1].configId]))!;
    const rule = makeScheduler({ type: 'asha', minEpochs: 1, reductionFactor: 2, minEarlyStoppingRate: 0 }, { maxEpochs: 4 });
    const judge = makeJudge(rule, {
      store, sweepId, sweep: 'j', metric: { name: 'val_loss', goal: 'minimize' }, deterministic: { wakeup: new Wakeup(1), stop: new AbortController().signal },
    });
    const at = { backend: 'wasm', checkpoint: null, awaitsVerdict: true };
    expect(await judge.record(second, [epoch(1, 0.5), epoch(2, 0.4)], at, [0.5, 0.4])).toEqual({ kept: true, gaveWay: true });
    expect((await store.epochs(second.trial.id)).map((m) => m.epoch)).toEqual([1]);
    expect(await store.decisions(sweepId)).toEqual([]);
    await store.close();
  });
});
