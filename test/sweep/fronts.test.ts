/**
 * How a sweep of several objectives or with constraints ranks its completed trials into fronts
 * (src/sweep/fronts.ts): each objective its own way, constraints on objectives and on other
 * values, a missing value.
 */
import { describe, expect, it } from 'vitest';
import type { Objective } from '../../src/metrics/registry.js';
import { parseConstraint, type Constraint } from '../../src/spec/constraints.js';
import { hasFronts, rankTrials } from '../../src/sweep/fronts.js';

const ACC_VS_TIME: Objective[] = [{ name: 'val_accuracy', goal: 'maximize' }, { name: 'train_seconds', goal: 'minimize' }];
const bound = (text: string) => parseConstraint(text) as Constraint;
const trial = (trialId: number, values: (number | null)[], named: Record<string, number> = {}) => ({ trialId, number: trialId - 1, values, named });

describe('rankTrials', () => {
  it('ranks accuracy up against seconds down: the front is what nothing beats in both', () => {
    // (acc, s): 1 (0.9, 30), 2 (0.8, 10), 3 (0.7, 20) — 2 beats 3 in both; 4 (0.9, 40) is beaten by 1; 5 equals 2.
    const rows = rankTrials(ACC_VS_TIME, [], [trial(1, [0.9, 30]), trial(2, [0.8, 10]), trial(3, [0.7, 20]), trial(4, [0.9, 40]), trial(5, [0.8, 10])]);
    expect(rows.map((r) => [r.trialId, r.front])).toEqual([[1, 1], [2, 1], [3, 2], [4, 2], [5, 1]]);
    expect(rows.every((r) => r.violation === 0 && r.broken.length === 0)).toBe(true);
  });

  it('turned round, the goals give the other fronts', () => {
    const rows = rankTrials([{ name: 'val_accuracy', goal: 'minimize' }, { name: 'train_seconds', goal: 'maximize' }], [],
      [trial(1, [0.9, 30]), trial(2, [0.8, 10]), trial(3, [0.7, 20])]);
    // Now 3 (lowest accuracy, 20 s) beats 2; 1 has the most seconds.
    expect(rows.map((r) => r.front)).toEqual([1, 2, 1]);
  });

  it('an infeasible trial never enters the first front, whatever its values, and says what it broke', () => {
    const rows = rankTrials(ACC_VS_TIME, [bound('params <= 100000'), bound('train_seconds <= 35')],
      [trial(1, [0.99, 5], { params: 250000 }), trial(2, [0.8, 10], { params: 90000 }), trial(3, [0.7, 20], { params: 90000 }), trial(4, [0.95, 40], { params: 1000 })]);
    expect(rows).toEqual([
      { trialId: 1, front: 4, violation: 150000, broken: [{ text: 'params <= 100000', by: 150000 }] },
      { trialId: 2, front: 1, violation: 0, broken: [] },
      { trialId: 3, front: 2, violation: 0, broken: [] },
      // The bound on an objective reads the objective's value.
      { trialId: 4, front: 3, violation: 5, broken: [{ text: 'train_seconds <= 35', by: 5 }] },
    ]);
  });

  it('a value missing from a bound breaks it without limit; a missing objective ranks worst', () => {
    const rows = rankTrials(ACC_VS_TIME, [bound('latency_ms <= 1')], [trial(1, [0.9, 30], { latency_ms: 0.5 }), trial(2, [0.95, 5])]);
    expect(rows[1]).toEqual({ trialId: 2, front: 2, violation: Infinity, broken: [{ text: 'latency_ms <= 1', by: Infinity }] });
    const missing = rankTrials(ACC_VS_TIME, [], [trial(1, [0.5, 30]), trial(2, [null, 1]), trial(3, [0.9, null])]);
    expect(missing.map((r) => r.front)).toEqual([1, 1, 1]);
    // Missing in both is beaten by anything.
    expect(rankTrials(ACC_VS_TIME, [], [trial(1, [0.5, 30]), trial(2, [null, null])]).map((r) => r.front)).toEqual([1, 2]);
  });

  it('one objective with constraints: the best feasible trial alone is the first front', () => {
    const rows = rankTrials([{ name: 'val_accuracy', goal: 'maximize' }], [bound('dropout >= 0.2')],
      [trial(1, [0.9], { dropout: 0.1 }), trial(2, [0.8], { dropout: 0.3 }), trial(3, [0.85], { dropout: 0.2 })]);
    expect(rows.map((r) => r.front)).toEqual([3, 2, 1]);
  });
});

describe('a bound on a conditional parameter', () => {
  it('holds where the parameter exists: a trial under another choice meets it, a missing metric still breaks its own', () => {
    // momentum exists only where optimizer is sgd; trial 2 is adam's, trial 3 breaks the bound.
    const rows = rankTrials([{ name: 'val_accuracy', goal: 'maximize' }], [bound('momentum <= 0.5')],
      [trial(1, [0.8], { momentum: 0.2 }), trial(2, [0.9], {}), trial(3, [0.95], { momentum: 0.9 })], new Set(['momentum']));
    expect(rows.map((r) => [r.front, r.violation])).toEqual([[2, 0], [1, 0], [3, 0.4]].map(([f, v]) => [f, expect.closeTo(v, 12)]));
    // Unmarked, a missing value breaks the bound without limit, as for a metric a trial never reported.
    expect(rankTrials([{ name: 'val_accuracy', goal: 'maximize' }], [bound('momentum <= 0.5')], [trial(2, [0.9], {})])[0].violation).toBe(Infinity);
  });
});

describe('hasFronts', () => {
  it('is for several objectives or constraints, not for one metric alone', () => {
    expect(hasFronts({ objectives: ACC_VS_TIME, constraints: [] })).toBe(true);
    expect(hasFronts({ objectives: ACC_VS_TIME.slice(0, 1), constraints: [bound('params <= 1')] })).toBe(true);
    expect(hasFronts({ objectives: ACC_VS_TIME.slice(0, 1), constraints: [] })).toBe(false);
  });
});
