import { describe, expect, it } from 'vitest';
import type { DecisionInput, Direction } from '../../src/early-stop/scheduler.js';
import { wandbBands, wandbHyperband, type WandbHyperbandOptions } from '../../src/early-stop/wandb-hyperband.js';

/**
 * A trial after epoch values.length; `others` are other trials' decisions as [epoch, metric at that epoch].
 * Every expected verdict and threshold below was also checked by running the core lines of W&B's
 * hyperband_stop_runs (bands, thresholds, closest band, condition) in python3 on the same runs.
 */
const input = (
  values: readonly number[], others: readonly (readonly [number, number])[],
  completed: readonly (readonly number[])[] = [], direction: Direction = 'minimize',
): DecisionInput => ({
  trialId: 1, number: 1, epoch: values.length, values, maxEpochs: 20, direction, sweep: 's', completed,
  decisions: others.map(([epoch, value], i) => ({ trialId: 10 + i, number: 10 + i, epoch, rung: 0, bracket: null, value })),
});

const opts = (o: Partial<WandbHyperbandOptions>): WandbHyperbandOptions => ({ eta: 3, s: 0, strict: false, ...o });

describe('wandb bands', () => {
  // max_iter: divide by η s times, keep int(band) while band >= 1, sort.
  // 81/3 = 27, 9, 3 → [3, 9, 27]; 18/3 = 6, 2 → [2, 6] (W&B's test_init_from_max_iter);
  // 100/3 = 33.3, 11.1, 3.7 → [3, 11, 33]; 5/2 = 2.5, 1.25 → [1, 2]; 9/3 = 3, 1, then 0.33 < 1 stops → [1, 3].
  // min_iter: min_iter·η^k for k < 100: 3 → 3, 9, 27, 81, 243 …; 2 with η 2 → 2, 4, 8, 16, 32 ….
  it.each([
    [{ maxIter: 81, s: 3 }, [3, 9, 27]],
    [{ maxIter: 18, s: 2 }, [2, 6]],
    [{ maxIter: 100, s: 3 }, [3, 11, 33]],
    [{ maxIter: 5, eta: 2, s: 2 }, [1, 2]],
    [{ maxIter: 9, s: 5 }, [1, 3]],
    [{ minIter: 3 }, [3, 9, 27, 81, 243]],
    [{ minIter: 2, eta: 2 }, [2, 4, 8, 16, 32]],
  ])('%j → %j', (o, bands) => {
    expect(wandbBands(opts(o)).slice(0, 5)).toEqual(bands);
  });

  it('makes 100 bands from min_iter, as W&B does', () => {
    expect(wandbBands(opts({ minIter: 1, eta: 2 }))).toHaveLength(100);
  });

  // W&B raises "Bands must be an array of length at least 1": s = 0 divides no time; 2/3 < 1 at once.
  it.each([
    [{ maxIter: 81, s: 0 }],
    [{ maxIter: 2, s: 1 }],
  ])('refuses %j, which has no band', (o) => {
    expect(() => wandbHyperband(opts(o))).toThrow(/no band to stop at/);
  });

  // Every epoch from the first band on is judged (W&B polls runs continuously), never after the last.
  it.each([
    [{ maxIter: 18, s: 2 }, [2, 3, 4, 5, 6, 7, 8, 9]],
    [{ minIter: 3 }, [3, 4, 5, 6, 7, 8, 9]],
  ])('%j decides after %j of 10 epochs', (o, epochs) => {
    const w = wandbHyperband(opts(o));
    expect(Array.from({ length: 10 }, (_, i) => i + 1).filter((e) => w.decidesAfter({ number: 0, sweep: 's' }, e, 10))).toEqual(epochs);
  });
});

describe('wandb thresholds', () => {
  // W&B's own test_5runs_band1_stop_2 (max_iter 5, η 2, s 2 → bands [1, 2]; loss, minimize), read with
  // today's `h[band - 1]`: a finished [10, 9], b [10, 10], c [10, 8, 8], d [10, 7, 7], e finished [10, 6, 6].
  // Band 2 values (epoch 2): 9, 10, 8, 7, 6 → sorted [6, 7, 8, 9, 10], index int(0.5·5) = 2 → threshold 8.
  // b: best 10 > 8, stopped. c: best 8, not > 8, kept; ASHA's top ⌊5/2⌋ = 2 (threshold 7) would prune it.
  // Here c, d and e recorded their epoch-2 values with decisions; a completed at epoch 2, so only its
  // curve has it; e's curve is longer and is not counted again.
  const band2 = [[1, 10], [1, 10], [1, 10], [2, 8], [2, 7], [2, 6]] as const;
  const finished = [[10, 9], [10, 6, 6]];
  const fiveRuns = wandbHyperband(opts({ maxIter: 5, eta: 2, s: 2 }));

  it('stops b, which is below the top half at band 2', () => {
    expect(fiveRuns.decide(input([10, 10], band2, finished)))
      .toEqual({ verdict: 'prune', rung: 1, bracket: null, value: 10, threshold: 8, compared: [6, 7, 8, 9, 10] });
  });

  it('keeps c, whose value ties the threshold', () => {
    const others = [...band2.filter(([e]) => e === 1), [2, 10], [2, 7], [2, 6]] as const;
    expect(fiveRuns.decide(input([10, 8, 8], others, finished)))
      .toEqual({ verdict: 'continue', rung: 1, bracket: null, value: 8, threshold: 8, compared: [6, 7, 8, 9, 10] });
  });

  // min_iter 1, η 3 → bands 1, 3, 9…; at band 3 others have 5, 6, 7, 8 and this trial 9 (its epochs: 3, 9, 9).
  // Sorted [5, 6, 7, 8, 9], index int(5/3) = 1 → threshold 6. Strict judges the value at the band (9): stopped.
  // Not strict judges the best so far (3): kept.
  it.each([
    [true, 'prune', 9],
    [false, 'continue', 3],
  ])('strict %s: %s, judging %i against 6', (strict, verdict, value) => {
    const w = wandbHyperband(opts({ minIter: 1, strict }));
    expect(w.decide(input([3, 9, 9], [[3, 5], [3, 6], [3, 7], [3, 8]])))
      .toEqual({ verdict, rung: 1, bracket: null, value, threshold: 6, compared: [5, 6, 7, 8, 9] });
  });

  // Maximize (W&B negates): bands [1, 3] (max_iter 9, η 3, s 2); at epoch 4 the last band reached is 3.
  // Band-3 values 0.5, 0.6, 0.7, 0.8 and this trial's 0.65; best first [0.8, 0.7, 0.65, 0.6, 0.5],
  // index int(5/3) = 1 → 0.7. Strict: 0.65 < 0.7, stopped. Not strict: best so far 0.9, kept.
  // The 0.99 another trial recorded after epoch 4 is no band value.
  it.each([
    [true, 'prune', 0.65],
    [false, 'continue', 0.9],
  ])('maximize, strict %s: %s', (strict, verdict, value) => {
    const w = wandbHyperband(opts({ maxIter: 9, s: 2, strict }));
    const others = [[3, 0.5], [3, 0.6], [3, 0.7], [3, 0.8], [4, 0.99]] as const;
    expect(w.decide(input([0.6, 0.62, 0.65, 0.9], others, [], 'maximize')))
      .toEqual({ verdict, rung: 1, bracket: null, value, threshold: 0.7, compared: [0.8, 0.7, 0.65, 0.6, 0.5] });
  });

  // Index int((1/3)·3) = 1, not 0: of [1, 1.5, 2] the threshold is 1.5, so 1.5 is kept (with index 0 it
  // would be 1 and 1.5 stopped). Alone, a trial is its own threshold and always kept.
  it.each([
    [1.5, [1, 2], 'continue', 1.5],
    [3, [1, 2], 'prune', 2],
    [7, [], 'continue', 7],
  ])('%f at band 1 among %j: %s', (value, others, verdict, threshold) => {
    const w = wandbHyperband(opts({ minIter: 1, strict: true }));
    const d = w.decide(input([value], others.map((v) => [1, v] as const)));
    expect([d.verdict, d.threshold]).toEqual([verdict, threshold]);
  });
});

describe('wandb non-finite values', () => {
  // metric_history(filter_invalid=True) drops what is not a finite number. Band-1 values NaN, ∞, 5 and
  // this trial's 6 leave [5, 6]: index int(2/3) = 0 → 5, and 6 > 5 is stopped.
  it('leaves NaN and infinite values out of a band', () => {
    const w = wandbHyperband(opts({ minIter: 1, strict: true }));
    expect(w.decide(input([6], [[1, NaN], [1, Infinity], [1, 5]]))).toMatchObject({ verdict: 'prune', threshold: 5, compared: [5, 6] });
  });

  // W&B never sees a NaN: a strict trial with NaN at band 1, or one with nothing but NaNs by band 3, is
  // kept, though another trial's 5 at that band sets the threshold.
  it.each([
    [true, [NaN], 0],
    [false, [NaN, NaN, NaN], 1],
  ])('strict %s keeps %j', (strict, values, rung) => {
    const w = wandbHyperband(opts({ minIter: 1, strict }));
    expect(w.decide(input(values, [[values.length, 5]])))
      .toEqual({ verdict: 'continue', rung, bracket: null, value: NaN, threshold: 5, compared: [5] });
  });
});
