import { describe, expect, it } from 'vitest';
import type { SweepEvent } from '../../src/sweep/events.js';
import { Tally } from '../../src/sweep/tally.js';
import type { TrialConfig, TrialOutcome, TrialRecord } from '../../src/trial/types.js';

const config = { model: 'ann', epochs: 2 } as TrialConfig;
const trial = (id: number) => ({ id, configId: `c${id}`, config }) as TrialRecord;
const outcome = { backend: 'wasm', epochs: [] } as unknown as TrialOutcome;

describe('Tally', () => {
  it('counts how trials ended and keeps the best by the sweep\'s goal, lower being better for a loss', () => {
    const events: SweepEvent[] = [];
    const tally = new Tally({ name: 'val_loss', goal: 'minimize' }, (e) => events.push(e), {
      sweep: 's', skipped: 2, notInGrid: 1, best: { trialId: 9, value: 0.3, config },
    });
    tally.started(trial(1));
    tally.epoch(trial(1), 'wasm', { epoch: 1, loss: 1, accuracy: 0.5, valLoss: 0.4, valAccuracy: 0.5, seconds: 1 });
    tally.ended(trial(1), { status: 'completed', outcome, value: 0.4 });
    tally.ended(trial(2), { status: 'completed', outcome, value: 0.2 });
    tally.ended(trial(3), { status: 'pruned' });
    tally.ended(trial(4), { status: 'failed', error: 'boom' });
    tally.ended(trial(5), { status: 'interrupted', lost: true });
    const result = tally.finish(1.5);
    expect(result).toMatchObject({ sweep: 's', completed: 2, pruned: 1, failed: 1, interrupted: 1, epochsTrained: 1, skipped: 2, notInGrid: 1, seconds: 1.5 });
    // 0.4 is worse than the earlier run's 0.3; 0.2 is better.
    expect(result.best).toEqual({ trialId: 2, value: 0.2, score: -0.2, config });
    expect(events.map((e) => e.type)).toEqual(['trial-start', 'epoch', 'trial-end', 'trial-end', 'trial-end', 'trial-end', 'trial-end', 'end']);
    const ends = events.filter((e): e is Extract<SweepEvent, { type: 'trial-end' }> => e.type === 'trial-end');
    expect(ends.map((e) => e.best?.trialId)).toEqual([9, 2, 2, 2, 2]);
    expect(ends[4]).toMatchObject({ status: 'interrupted', lost: true });
  });
});
