import { describe, expect, it } from 'vitest';
import { asha, rungAt } from '../../src/early-stop/asha.js';
import type { DecisionInput, Direction, RecordedDecision } from '../../src/early-stop/scheduler.js';

/** Another trial's decision at `rung` (plain ASHA records bracket null). */
const at = (rung: number, value: number, bracket: number | null = null): RecordedDecision =>
  ({ trialId: 50 + rung, number: 7, epoch: 3 ** rung, rung, bracket, value });

/** Trial 9 after its last epoch, whose metric is `value`, among `others` decided at the same rung. */
const input = (value: number, others: readonly number[], direction: Direction = 'minimize', rung = 0): DecisionInput => {
  const epoch = 3 ** rung;
  return {
    trialId: 9, number: 9, epoch, values: [...Array<number>(epoch - 1).fill(0.99), value], maxEpochs: 100, direction,
    sweep: 's', decisions: others.map((v) => at(rung, v)), completed: [],
  };
};

const eta3 = asha({ minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 });
const decidingEpochs = (o: Parameters<typeof asha>[0], maxEpochs: number) =>
  Array.from({ length: maxEpochs }, (_, i) => i + 1).filter((e) => asha(o).decidesAfter({ number: 0, sweep: 's' }, e, maxEpochs));

describe('asha rungs', () => {
  // Rung k ends at r·η^(s+k): (1,3,0) → 1, 3, 9, 27, 81; (1,4,0) → 1, 4, 16, 64; (2,2,1) → 2·2^1 = 4, 8, 16, 32, 64;
  // (5,3,0) → 5, 15, 45. Never after the last epoch: with 27 epochs the rung at 27 is the end, not a decision.
  it.each([
    [1, 3, 0, 100, [1, 3, 9, 27, 81]],
    [1, 4, 0, 100, [1, 4, 16, 64]],
    [2, 2, 1, 100, [4, 8, 16, 32, 64]],
    [5, 3, 0, 100, [5, 15, 45]],
    [1, 3, 0, 27, [1, 3, 9]],
    [1, 3, 2, 27, [9]],
  ])('r=%i η=%i s=%i over %i epochs decides after %j', (minEpochs, reductionFactor, minEarlyStoppingRate, maxEpochs, epochs) => {
    expect(decidingEpochs({ minEpochs, reductionFactor, minEarlyStoppingRate }, maxEpochs)).toEqual(epochs);
  });

  // The rung is k, not the epoch: (2,2,1) puts rung 2 at 2·2^(1+2) = 16; (1,3,0) rung 3 at 27; 10 is no rung.
  it.each([
    [{ minEpochs: 2, reductionFactor: 2, minEarlyStoppingRate: 1 }, 16, 2],
    [{ minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 }, 27, 3],
    [{ minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 }, 10, null],
  ])('%j: epoch %i is rung %j', (o, epoch, rung) => {
    expect(rungAt(o, epoch)).toBe(rung);
  });
});

describe('asha promotion (minimize, η = 3)', () => {
  // promotable_idx = ⌊n/η⌋ − 1, raised to 0 when −1; continue iff value <= sorted[idx].
  // n=1: only itself, idx 0 → it is its own threshold (Optuna: "not activated at a first trial").
  // n=2 < η: idx 0, so it must be the best so far: 0.4 beats 0.5; 0.6 does not.
  // n=3 = η: idx ⌊3/3⌋−1 = 0, still the best only: 0.6 among 0.5, 0.7 loses to 0.5.
  // n=6 = 2η: idx 1, the two best pass: 0.2 is second of [0.1, 0.2, 0.3, 0.5, 0.6, 0.7].
  // n=7 = 2η+1: idx ⌊7/3⌋−1 = 1: 0.25 is third of [0.1, 0.2, 0.25, 0.3, 0.5, 0.6, 0.7], pruned, though a
  //   median rule (median 0.3) would keep it; 0.15 is second and passes.
  // Ties pass: 0.5 among [0.5, 0.5] has threshold 0.5 and 0.5 <= 0.5.
  it.each([
    [0.4, [], 'continue', 0.4, [0.4]],
    [0.4, [0.5], 'continue', 0.4, [0.4, 0.5]],
    [0.6, [0.5], 'prune', 0.5, [0.5, 0.6]],
    [0.6, [0.5, 0.7], 'prune', 0.5, [0.5, 0.6, 0.7]],
    [0.4, [0.5, 0.7], 'continue', 0.4, [0.4, 0.5, 0.7]],
    [0.2, [0.1, 0.3, 0.5, 0.6, 0.7], 'continue', 0.2, [0.1, 0.2, 0.3, 0.5, 0.6, 0.7]],
    [0.25, [0.1, 0.2, 0.3, 0.5, 0.6, 0.7], 'prune', 0.2, [0.1, 0.2, 0.25, 0.3, 0.5, 0.6, 0.7]],
    [0.15, [0.1, 0.2, 0.3, 0.5, 0.6, 0.7], 'continue', 0.15, [0.1, 0.15, 0.2, 0.3, 0.5, 0.6, 0.7]],
    [0.5, [0.5, 0.5], 'continue', 0.5, [0.5, 0.5, 0.5]],
  ])('%f among %j: %s (threshold %f)', (value, others, verdict, threshold, compared) => {
    expect(eta3.decide(input(value, others))).toEqual({ verdict, rung: 0, bracket: null, value, threshold, compared });
  });
});

describe('asha promotion (maximize, η = 3)', () => {
  // maximize: continue iff value >= sorted[−(idx+1)]. n=7, idx 1: the second largest passes.
  // 0.85 among [0.3, 0.4, 0.5, 0.7, 0.8, 0.9] sorts to [.., 0.8, 0.85, 0.9]: sorted[−2] = 0.85, passes.
  // 0.75 sorts to [.., 0.75, 0.8, 0.9]: sorted[−2] = 0.8 > 0.75, pruned. n=2: must be the largest.
  it.each([
    [0.85, [0.9, 0.8, 0.7, 0.5, 0.4, 0.3], 'continue', 0.85],
    [0.75, [0.9, 0.8, 0.7, 0.5, 0.4, 0.3], 'prune', 0.8],
    [0.6, [0.5], 'continue', 0.6],
    [0.4, [0.5], 'prune', 0.5],
  ])('%f among %j: %s (threshold %f)', (value, others, verdict, threshold) => {
    const d = eta3.decide(input(value, others, 'maximize'));
    expect([d.verdict, d.threshold]).toEqual([verdict, threshold]);
  });
});

describe('asha competitors', () => {
  // Optuna's test_successive_halving_pruner_rung_check, η = 2: seven trials stored 0.1…0.7 at rung 0.
  // 0.75 makes n = 8, idx ⌊8/2⌋−1 = 3, threshold sorted[3] = 0.4: pruned. 0.25 sorts fourth, under 0.3: continues.
  it.each([
    [0.75, 'prune', 0.4],
    [0.25, 'continue', 0.3],
  ])("Optuna's rung check: %f → %s at %f", (value, verdict, threshold) => {
    const eta2 = asha({ minEpochs: 1, reductionFactor: 2, minEarlyStoppingRate: 0 });
    const d = eta2.decide(input(value, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]));
    expect([d.verdict, d.threshold]).toEqual([verdict, threshold]);
  });

  it('compares only values recorded at the same rung and with no bracket', () => {
    // At rung 1 (epoch 3) 0.6 faces 0.5 alone: n=2, it must be the best, so the threshold is 0.5.
    // The 0.1 at rung 0 and the 0.2 in Hyperband's bracket 0 belong to other competitions; counted,
    // they would make n=4 and the threshold 0.1.
    const i = input(0.6, [0.5], 'minimize', 1);
    const d = eta3.decide({ ...i, decisions: [...i.decisions, at(0, 0.1), at(1, 0.2, 0)] });
    expect(d).toMatchObject({ verdict: 'prune', rung: 1, threshold: 0.5, compared: [0.5, 0.6] });
  });

  it('prunes a NaN at a rung and never counts a recorded NaN', () => {
    // Optuna returns "prune" for NaN before storing it, so no NaN ever competes: 0.6 against [NaN, 0.5]
    // is against 0.5 alone.
    expect(eta3.decide(input(NaN, [0.5]))).toEqual({ verdict: 'prune', rung: 0, bracket: null, value: NaN, threshold: null, compared: [] });
    expect(eta3.decide(input(0.6, [NaN, 0.5])).compared).toEqual([0.5, 0.6]);
  });

  it('judges the metric at this epoch, not an earlier better one', () => {
    // Epoch 3 is rung 1; the trial had 0.1 at epoch 1 but 0.6 now, against 0.5: pruned.
    const i = input(0.6, [0.5], 'minimize', 1);
    expect(eta3.decide({ ...i, values: [0.1, 0.1, 0.6] }).verdict).toBe('prune');
  });
});
