import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EARLY_STOPPING, makeScheduler, registerRule, ruleTypes } from '../../src/early-stop/registry.js';
import type { Scheduler } from '../../src/early-stop/scheduler.js';
import { parseSpec } from '../../src/spec/load-spec.js';

const decidingEpochs = (s: Scheduler, number: number, maxEpochs: number) =>
  Array.from({ length: maxEpochs }, (_, i) => i + 1).filter((e) => s.decidesAfter({ number, sweep: 'study' }, e, maxEpochs));

describe('the early-stopping registry', () => {
  // study_9 is in bracket 3 of (1,27,3), which never stops a 27-epoch trial; with maxEpochs 81 the
  // budgets are [81, 34, 15, 8, 5] (total 143), 1815072696 % 143 = 8 → bracket 0: rungs 1, 3, 9.
  it.each([
    [undefined, []],
    [81, [1, 3, 9]],
  ])("gives Hyperband the space's longest trial unless maxEpochs is %s", (maxEpochs, epochs) => {
    const s = makeScheduler({ type: 'hyperband', minEpochs: 1, reductionFactor: 3, ...(maxEpochs ? { maxEpochs } : {}) }, { maxEpochs: 27 });
    expect(decidingEpochs(s, 9, 27)).toEqual(epochs);
  });

  it.each([
    [{ type: 'asha', minEpochs: 2, reductionFactor: 2, minEarlyStoppingRate: 0 }, 'asha', [2, 4, 8]],
    [{ type: 'median', startupTrials: 5, warmupEpochs: 7 }, 'median', [8, 9]],
    [{ type: 'patience', patience: 2, minDelta: 0, startFromEpoch: 3 }, 'patience', [4, 5, 6, 7, 8, 9]],
    [{ type: 'wandb-hyperband', minIter: 3, eta: 3, s: 0, strict: false }, 'wandb-hyperband', [3, 4, 5, 6, 7, 8, 9]],
  ])('builds %j as %s with its options', (spec, name, epochs) => {
    const s = makeScheduler(spec, { maxEpochs: 10 });
    expect([s.name, decidingEpochs(s, 0, 10)]).toEqual([name, epochs]);
  });

  it('gives the spec every registered rule, each with its own keys and defaults', () => {
    expect(ruleTypes()).toEqual(['asha', 'hyperband', 'median', 'patience', 'wandb-hyperband']);
    const schema = EARLY_STOPPING;
    expect(schema.parse({ type: 'patience' })).toEqual({ type: 'patience', patience: 0, minDelta: 0, startFromEpoch: 0 });
    expect(schema.parse({ type: 'asha' })).toEqual({ type: 'asha', minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 });
    expect(schema.safeParse({ type: 'asha', patience: 2 }).success).toBe(false);
    expect(() => parseSpec('name: t\nsearch: {earlyStopping: {type: sha}}\n', 'x.yaml'))
      .toThrow('x.yaml:2:32 search.earlyStopping.type: must be one of asha, hyperband, median, patience, wandb-hyperband');
  });

  // A new rule is one place: a rule object registered, and specs take it and the controller runs it.
  it('takes a rule registered at run time: the spec accepts its type and the registry makes its scheduler', () => {
    registerRule({
      type: 'test-floor',
      schema: z.strictObject({ type: z.literal('test-floor'), floor: z.number() }),
      make: (o) => ({
        name: 'test-floor', readsCompletedCurves: false,
        decidesAfter: (_t, epoch, max) => epoch < max,
        decide: (input) => {
          const value = input.values[input.epoch - 1];
          return { verdict: value < o.floor ? 'prune' : 'continue', rung: null, bracket: null, value, threshold: o.floor, compared: [] };
        },
      }),
    });
    const spec = parseSpec('name: t\nsearch: {earlyStopping: {type: test-floor, floor: 0.5}}\n', 'x.yaml');
    expect(spec.search.earlyStopping).toEqual({ type: 'test-floor', floor: 0.5 });
    const s = makeScheduler(spec.search.earlyStopping!, { maxEpochs: 3 });
    const input = { trialId: 1, number: 0, epoch: 1, values: [0.25], maxEpochs: 3, direction: 'maximize', sweep: 't', decisions: [], completed: [] } as const;
    expect(s.decide(input)).toMatchObject({ verdict: 'prune', threshold: 0.5 });
    expect(() => parseSpec('name: t\nsearch: {earlyStopping: {type: test-floor}}\n', 'x.yaml')).toThrow('search.earlyStopping.floor');
    expect(() => registerRule({ type: 'asha', schema: z.strictObject({ type: z.literal('asha') }), make: () => { throw new Error(); } }))
      .toThrow('an early-stopping rule of type "asha" is registered already');
  });
});
