import { describe, expect, it } from 'vitest';
import { median } from '../../src/early-stop/median.js';
import type { DecisionInput, Direction } from '../../src/early-stop/scheduler.js';

/** A trial after epoch values.length, with completed trials' curves. */
const input = (values: readonly number[], completed: readonly (readonly number[])[], direction: Direction = 'minimize'): DecisionInput => ({
  trialId: 1, number: 6, epoch: values.length, values, maxEpochs: 10, direction, sweep: 's', decisions: [], completed,
});

/** Completed curves whose value at epoch 2 is each of `v` (epoch 1 is a distractor 0). */
const atEpoch2 = (...v: number[]) => v.map((x) => [0, x, 0]);

const rule = median({ startupTrials: 0, warmupEpochs: 0 });

describe('median: when it decides', () => {
  // Optuna skips steps < n_warmup_steps with steps from 0; epoch e is step e−1, so epochs 1…warmup are
  // never judged. Never after the last epoch (10 here).
  it.each([
    [0, [1, 2, 3, 4, 5, 6, 7, 8, 9]],
    [2, [3, 4, 5, 6, 7, 8, 9]],
    [9, []],
  ])('with warmupEpochs %i decides after %j', (warmupEpochs, epochs) => {
    const m = median({ startupTrials: 5, warmupEpochs });
    expect(Array.from({ length: 10 }, (_, i) => i + 1).filter((e) => m.decidesAfter({ number: 0, sweep: 's' }, e, 10))).toEqual(epochs);
  });

  // With startupTrials 3 a trial far worse than the median (9 against 0.5) is kept while fewer than 3
  // trials completed, and pruned from the third on. With no completed trial at all nothing is judged,
  // even with startupTrials 0 (Optuna: `if n_trials == 0: return False`).
  it.each([
    [3, 2, 'continue', null],
    [3, 3, 'prune', 0.5],
    [0, 0, 'continue', null],
  ])('startupTrials %i with %i completed: %s', (startupTrials, n, verdict, threshold) => {
    const d = median({ startupTrials, warmupEpochs: 0 }).decide(input([9, 9], atEpoch2(0.4, 0.5, 0.6).slice(0, n)));
    expect([d.verdict, d.threshold]).toEqual([verdict, threshold]);
  });

  it('keeps even an all-NaN trial while no trial has completed', () => {
    // The n_trials == 0 check comes before the NaN check, so with startupTrials 0 nothing is pruned yet.
    expect(rule.decide(input([NaN, NaN], [])).verdict).toBe('continue');
  });
});

describe('median: the rule', () => {
  // Odd count: [0.3, 0.5, 0.9] → the middle, 0.5. A best of 0.6 is worse (prune); 0.5 ties (kept: Optuna prunes on >).
  // Even count: [0.2, 0.4, 0.6, 0.8] → (0.4 + 0.6)/2 = 0.5: 0.55 pruned, 0.45 kept.
  // numpy's lerp: [0.1, 0.5] → 0.5 − 0.4·0.5 = 0.3 exactly (0.1 + 0.4·0.5 would be 0.30000000000000004),
  //   so 0.30000000000000004 is worse than the median and pruned; `np.nanpercentile([0.1, 0.5], 50)` prints 0.3.
  // Best so far, not the latest value: [0.3, 0.7] has best 0.3, kept though 0.7 > 0.5.
  // Maximize: [0.5, 0.7, 0.9] → 0.7; best of [0.2, 0.6] is 0.6 < 0.7, pruned; best of [0.75, 0.1] is 0.75, kept.
  it.each([
    [[0.6, 0.6], [0.5, 0.3, 0.9], 'minimize', 'prune', 0.5],
    [[0.5, 0.5], [0.5, 0.3, 0.9], 'minimize', 'continue', 0.5],
    [[0.55, 0.55], [0.2, 0.8, 0.4, 0.6], 'minimize', 'prune', 0.5],
    [[0.45, 0.45], [0.2, 0.8, 0.4, 0.6], 'minimize', 'continue', 0.5],
    [[0.30000000000000004, 0.9], [0.1, 0.5], 'minimize', 'prune', 0.3],
    [[0.3, 0.7], [0.4, 0.5, 0.6], 'minimize', 'continue', 0.5],
    [[0.2, 0.6], [0.5, 0.7, 0.9], 'maximize', 'prune', 0.7],
    [[0.75, 0.1], [0.5, 0.7, 0.9], 'maximize', 'continue', 0.7],
  ] as const)('%j against %j (%s): %s at median %f', (values, others, direction, verdict, threshold) => {
    const d = rule.decide(input(values, atEpoch2(...others), direction));
    expect(d).toEqual({
      verdict, rung: null, bracket: null, value: direction === 'maximize' ? Math.max(...values) : Math.min(...values),
      threshold, compared: [...others].sort((a, b) => a - b),
    });
  });

  it('takes only completed trials that reached this epoch, and leaves their NaNs out', () => {
    // At epoch 2: [0.4, 0.6] from the long curves (NaN left out, the 1-epoch curve has no epoch 2) → 0.5.
    // Counting the 1-epoch curve's 0.1 would make it [0.1, 0.4, 0.6] → 0.4, and prune 0.45.
    const d = rule.decide(input([0.45, 0.45], [[0.1], [0, 0.4], [0, NaN], [0, 0.6]]));
    expect(d).toMatchObject({ verdict: 'continue', threshold: 0.5, compared: [0.4, 0.6] });
  });

  it('keeps a trial when no completed trial has this epoch, and prunes one with only NaNs', () => {
    // The only completed trial ran 2 epochs; at epoch 3 there is nothing to compare with.
    expect(rule.decide(input([9, 9, 9], [[0.1, 0.1]]))).toMatchObject({ verdict: 'continue', threshold: null, compared: [] });
    // nanmin of [NaN, NaN] is NaN, and Optuna prunes a NaN best; a NaN among numbers is skipped instead.
    expect(rule.decide(input([NaN, NaN], atEpoch2(0.5))).verdict).toBe('prune');
    expect(rule.decide(input([0.4, NaN], atEpoch2(0.5)))).toMatchObject({ verdict: 'continue', value: 0.4 });
  });

  it("keeps a trial where numpy's median is NaN because of an infinite value", () => {
    // np.nanpercentile([1, 2, inf], 50) is NaN (it blends 2 with ∞·0), and Optuna keeps the trial then.
    expect(rule.decide(input([5, 5], atEpoch2(1, 2, Infinity)))).toMatchObject({ verdict: 'continue', threshold: NaN });
    // np.nanpercentile([-inf, 1, 2], 50) is 1: a best of 5 is worse.
    expect(rule.decide(input([5, 5], atEpoch2(-Infinity, 1, 2)))).toMatchObject({ verdict: 'prune', threshold: 1 });
  });
});
