/**
 * A model-based proposal that keeps repeating a configuration already tried (a space of lists
 * alone, where TPE converges on one point) falls back to random search's draw of an untried
 * one, so the sweep runs its planned trials; only an exhausted space ends it early.
 */
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/load-spec.js';
import { makeStrategy } from '../../src/search/strategy.js';
import type { Trial, TrialRecord } from '../../src/trial/types.js';

/** A proposed trial as the store records it once it completed, with `value` as its metric and objectives. */
function completed(t: Trial, number: number, value: number, values?: number[]): TrialRecord {
  return {
    id: number + 1, sweepId: 1, configId: t.configId, config: t.config, data: { validationSplit: 0.1 }, seed: 42, number,
    search: t.search ?? null, status: 'completed', backend: 'program', startedAt: null, finishedAt: null, epochsDone: 1, attempts: 1,
    owner: null, resumedFrom: null, valAccuracy: null, valLoss: null, testAccuracy: null, testLoss: null, params: null, seconds: 1, latencyMs: null,
    error: null, metricValue: value, weightsSha256: null, environment: null, reproOf: null,
    ...(values ? { objectiveValues: values, front: 1, violation: 0 } : {}),
  };
}

/** Runs the strategy's proposals one after another, each completed at once; the trials it proposed. */
function runAll(text: string, score: (p: Record<string, unknown>) => number[], max = 50): TrialRecord[] {
  const strategy = makeStrategy(parseSpec(text, 's.yaml'));
  const records: TrialRecord[] = [];
  for (let number = 0; number < max; number++) {
    const t = strategy.propose!(records, number);
    if (t === 'wait') throw new Error(`trial ${number}'s proposal waits, though every earlier trial completed`);
    if (!t) break;
    const params = (t.config as { params: Record<string, unknown> }).params;
    const [value, ...rest] = score(params);
    records.push(completed(t, number, value, rest.length > 0 ? [value, ...rest] : undefined));
  }
  return records;
}

// 3 × 2 = 6 configurations; the best (a = 3, b = y) is where TPE converges.
const SPACE = 'grid:\n  a: [1, 2, 3]\n  b: [x, y]\n';
const score = (p: Record<string, unknown>) => [Number(p.a) + (p.b === 'y' ? 1 : 0)];

describe('proposals that repeat fall back to an untried random draw', () => {
  it('TPE over lists alone runs every planned trial, each configuration once', () => {
    const records = runAll(`name: t\nprogram: p.py\nmetric: {name: s, goal: maximize}\nsearch: {method: tpe, trials: 6}\n${SPACE}`, score);
    expect(records).toHaveLength(6);
    expect(new Set(records.map((r) => r.configId)).size).toBe(6);
    expect(records.every((r) => r.search?.method === 'tpe')).toBe(true);
  });

  it('past the space\'s size it proposes nothing: the space is exhausted', () => {
    const records = runAll(`name: t\nprogram: p.py\nmetric: {name: s, goal: maximize}\nsearch: {method: tpe, trials: 9}\n${SPACE}`, score);
    expect(records).toHaveLength(6);
  });

  it('TPE after its random start: a repeat is replaced by an untried draw, recorded as such', () => {
    // 4 × 4 × 2 = 32 configurations, 24 trials: TPE (from trial 10) converges and repeats.
    const records = runAll(`name: t\nprogram: p.py\nmetric: {name: s, goal: maximize}\nsearch: {method: tpe, trials: 24}\ngrid:\n  a: [1, 2, 3, 4]\n  c: [1, 2, 3, 4]\n  b: [x, y]\n`,
      (p) => [Number(p.a) + Number(p.c) + (p.b === 'y' ? 1 : 0)]);
    expect(records).toHaveLength(24);
    expect(new Set(records.map((r) => r.configId)).size).toBe(24);
    expect(records.some((r) => r.search?.fallback === 'random')).toBe(true);
  });

  it('NSGA-II too, keeping the generation it breeds', () => {
    // Free-running, so that each proposal sees every trial before it complete: a generation of 2 fills after 2 trials.
    const records = runAll(`name: t\nprogram: p.py\nmetrics: [{name: s, goal: maximize}, {name: c, goal: minimize}]\nsearch: {method: nsga2, trials: 6, population: 2, deterministic: false}\n${SPACE}`,
      (p) => [Number(p.a), p.b === 'y' ? 2 : 1]);
    expect(records).toHaveLength(6);
    expect(new Set(records.map((r) => r.configId)).size).toBe(6);
    expect(records.map((r) => r.search?.generation)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});
