/**
 * W&B's metric.impute (wandb/sweeps bayes_search.py `impute`): the value a failed trial counts as.
 */
import { describe, expect, it } from 'vitest';
import { imputedValue, type MetricSpan } from '../../src/search/impute.js';

const span = (min: number, max: number, last: number): MetricSpan => ({ min, max, last });
// Three ended trials' histories of val_loss: lowest 0.2 (trial a), highest 2.5 (trial c).
const ENDED = [span(0.2, 0.9, 0.2), span(0.4, 1.1, 0.5), undefined, span(0.8, 2.5, 0.8)];

describe('imputedValue', () => {
  it.each([
    // worst: the worst value any ended trial recorded (highest loss, lowest accuracy), whatever the failed trial did.
    ['worst', 'minimize', span(0.3, 0.6, 0.6), 2.5],
    ['worst', 'maximize', span(0.3, 0.6, 0.6), 0.2],
    // best: the failed trial's own best; latest: its own last.
    ['best', 'minimize', span(0.3, 0.6, 0.6), 0.3],
    ['best', 'maximize', span(0.3, 0.6, 0.6), 0.6],
    ['latest', 'minimize', span(0.3, 0.6, 0.45), 0.45],
    // Nothing recorded: W&B's failed_val, 0.
    ['best', 'minimize', undefined, 0],
    ['latest', 'maximize', undefined, 0],
  ] as const)('%s of a %sd metric: %j gives %s', (how, goal, own, expected) => {
    expect(imputedValue(how, goal, own, ENDED)).toBe(expected);
  });

  it('worst with no ended trial that recorded anything is 0', () => {
    expect(imputedValue('worst', 'minimize', span(1, 2, 2), [undefined])).toBe(0);
    expect(imputedValue('worst', 'maximize', undefined, [])).toBe(0);
  });
});
