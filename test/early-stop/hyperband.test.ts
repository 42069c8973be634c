import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bracketBudgets, bracketOf, hyperband } from '../../src/early-stop/hyperband.js';
import type { DecisionInput, RecordedDecision, Scheduler } from '../../src/early-stop/scheduler.js';

const o27 = { minEpochs: 1, maxEpochs: 27, reductionFactor: 3 };

const decidingEpochs = (s: Scheduler, number: number, maxEpochs: number) =>
  Array.from({ length: maxEpochs }, (_, i) => i + 1).filter((e) => s.decidesAfter({ number, sweep: 'study' }, e, maxEpochs));

describe('hyperband brackets', () => {
  // N = ⌊log_η(max/min)⌋ + 1 brackets; bracket b gets ⌈N·η^s/(s+1)⌉ with s = N−1−b.
  // (1,27,3): N=4: ⌈4·27/4⌉=27, ⌈4·9/3⌉=12, ⌈4·3/2⌉=6, ⌈4·1/1⌉=4. (2,54,3) has the same ratio.
  // (1,81,3): N=5: ⌈5·81/5⌉=81, ⌈5·27/4⌉=⌈33.75⌉=34, ⌈5·9/3⌉=15, ⌈5·3/2⌉=⌈7.5⌉=8, 5. (1,100,3): log₃100 = 4.19, N=5 too.
  // (1,10,2): log₂10 = 3.32, N=4: ⌈4·8/4⌉=8, ⌈4·4/3⌉=6, ⌈4·2/2⌉=4, 4.
  // (1,243,3): N=6: 243, ⌈97.2⌉=98, ⌈40.5⌉=41, 18, 9, 6 (CPython's float log gives 4.999…, so Optuna there has 5).
  // (5,4,3): max < min, no bracket at all.
  // Each row also agrees with Optuna's _calculate_trial_allocation_budget run in python3 (except 243, as said).
  it.each([
    [1, 27, 3, [27, 12, 6, 4]],
    [2, 54, 3, [27, 12, 6, 4]],
    [1, 81, 3, [81, 34, 15, 8, 5]],
    [1, 100, 3, [81, 34, 15, 8, 5]],
    [1, 10, 2, [8, 6, 4, 4]],
    [1, 243, 3, [243, 98, 41, 18, 9, 6]],
    [5, 4, 3, []],
  ])('min %i, max %i, η %i: budgets %j', (minEpochs, maxEpochs, reductionFactor, budgets) => {
    expect(bracketBudgets({ minEpochs, maxEpochs, reductionFactor })).toEqual(budgets);
  });

  it("hashes as Python's binascii.crc32 does", () => {
    // python3 -c 'import binascii;print(binascii.crc32(b"study_3"))' prints 2365204134.
    expect(crc32('study_3')).toBe(2365204134);
  });

  // (1,27,3): budgets [27, 12, 6, 4], total 49. n = crc32("study_{number}") % 49, then walk:
  // study_3: 2365204134 % 49 = 6 < 27 → 0. study_0: 368277276 % 49 = 38; 38−27 = 11 < 12 → 1.
  // study_10: 4191437144 % 49 = 27; 27−27 = 0 is not < 0, 0−12 < 0 → 1 (the boundary).
  // study_11: 2396221902 % 49 = 39; 39−27−12 = 0, 0−6 < 0 → 2. study_9: 1815072696 % 49 = 45; 45−27−12−6 = 0 → 3.
  // (Optuna's _get_bracket_id in python3 gives the same five.)
  it.each([
    [3, 0],
    [0, 1],
    [10, 1],
    [11, 2],
    [9, 3],
  ])('puts study_%i in bracket %i', (number, bracket) => {
    expect(bracketOf(o27, 'study', number)).toBe(bracket);
  });

  // Bracket b runs ASHA with s = b: rungs at η^(b+k), never at the last epoch (27).
  // Bracket 0: 1, 3, 9; bracket 1: 3, 9; bracket 2: 9; bracket 3: first rung 27, so never.
  it.each([
    [3, [1, 3, 9]],
    [0, [3, 9]],
    [11, [9]],
    [9, []],
  ])('study_%i decides after epochs %j', (number, epochs) => {
    expect(decidingEpochs(hyperband(o27), number, 27)).toEqual(epochs);
  });

  it('never decides without a bracket (maxEpochs below minEpochs), as Optuna never prunes then', () => {
    expect(decidingEpochs(hyperband({ minEpochs: 5, maxEpochs: 4, reductionFactor: 3 }), 3, 20)).toEqual([]);
  });
});

describe('hyperband decisions', () => {
  const other = (bracket: number, rung: number, value: number): RecordedDecision =>
    ({ trialId: 100, number: 100, epoch: 3, rung, bracket, value });

  it('compares only with decisions of its own bracket', () => {
    // study_0 is in bracket 1, whose rung 0 ends at epoch 3. Its 0.6 faces bracket 1's 0.5 alone:
    // n=2 < η, it must be the best, threshold 0.5: pruned. Bracket 0's rung 1 also ends at epoch 3;
    // had its four values (0.7…0.95) counted, n=6, idx ⌊6/3⌋−1 = 1, threshold 0.6, and 0.6 would go on.
    const input: DecisionInput = {
      trialId: 1, number: 0, epoch: 3, values: [0.9, 0.8, 0.6], maxEpochs: 27, direction: 'minimize', sweep: 'study',
      decisions: [other(1, 0, 0.5), other(0, 1, 0.7), other(0, 1, 0.8), other(0, 1, 0.9), other(0, 1, 0.95)],
      completed: [],
    };
    expect(hyperband(o27).decide(input)).toEqual(
      { verdict: 'prune', rung: 0, bracket: 1, value: 0.6, threshold: 0.5, compared: [0.5, 0.6] });
  });
});
