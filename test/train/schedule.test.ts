import { describe, expect, it } from 'vitest';
import { learningRateAt } from '../../src/train/schedule.js';

// 10 epochs of 100 steps: 1,000 steps in all.
const at = (step: number) => ({ step, epoch: Math.floor(step / 100), stepsPerEpoch: 100, epochs: 10 });

describe('learningRateAt', () => {
  it.each([
    ['constant', 0, 0.01],
    ['constant', 999, 0.01],
    // Keras CosineDecay (alpha 0): ½(1 + cos(π·t/T)).
    ['cosine', 0, 0.01],
    ['cosine', 500, 0.005],
    ['cosine', 250, 0.01 * 0.5 * (1 + Math.SQRT1_2)],
    // MultiStepLR with milestones at epochs ⌊E/2⌋ = 5 and ⌊3E/4⌋ = 7, gamma 0.1.
    ['step', 499, 0.01],
    ['step', 500, 0.001],
    ['step', 699, 0.001],
    ['step', 700, 0.0001],
    // OneCycleLR defaults: from max/25 up to max at step 0.3·T − 1 = 299, down to max/25/1e4 at T − 1.
    ['onecycle', 0, 0.01 / 25],
    ['onecycle', 299, 0.01],
    ['onecycle', 999, 0.01 / 25 / 1e4],
    ['onecycle', 149.5, (0.01 + 0.01 / 25) / 2],
    ['onecycle', 649, (0.01 + 0.01 / 25 / 1e4) / 2],
  ] as const)('%s at step %d: %f', (schedule, step, expected) => {
    expect(learningRateAt(schedule, 0.01, at(step))).toBeCloseTo(expected, 12);
  });

  it('cosine and onecycle fall monotonically after their peak; nothing goes negative', () => {
    for (const schedule of ['cosine', 'onecycle', 'step'] as const) {
      const rates = Array.from({ length: 1000 }, (_, s) => learningRateAt(schedule, 0.01, at(s)));
      const peak = rates.indexOf(Math.max(...rates));
      for (let s = peak + 1; s < rates.length; s++) expect(rates[s]).toBeLessThanOrEqual(rates[s - 1]);
      expect(Math.min(...rates)).toBeGreaterThanOrEqual(0);
    }
  });
});
