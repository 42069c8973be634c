import { describe, expect, it } from 'vitest';
import { patience, type PatienceOptions } from '../../src/early-stop/patience.js';
import type { Direction } from '../../src/early-stop/scheduler.js';

/** The verdict after each epoch the rule judges, for a trial whose metric took `values`. */
function verdicts(values: readonly number[], o: Partial<PatienceOptions>, direction: Direction = 'maximize', maxEpochs = 100) {
  const s = patience({ patience: 0, minDelta: 0, startFromEpoch: 0, ...o });
  return values.map((_, i) => i + 1).filter((e) => s.decidesAfter({ number: 0, sweep: 's' }, e, maxEpochs)).map((epoch) =>
    [epoch, s.decide({ trialId: 1, number: 0, epoch, values: values.slice(0, epoch), maxEpochs, direction, sweep: 's', decisions: [], completed: [] }).verdict]);
}

// Each case is Keras's EarlyStopping.on_epoch_end replayed by hand (keras/src/callbacks/early_stopping.py):
// wait += 1; an improvement (current - min_delta beats best) resets it; else stop once wait >= patience and epoch > 0.
describe('patience (Keras\'s EarlyStopping)', () => {
  it('stops after `patience` epochs without improvement, counting from the last one that improved', () => {
    expect(verdicts([0.5, 0.6, 0.6, 0.59, 0.58], { patience: 2 })).toEqual([[1, 'continue'], [2, 'continue'], [3, 'continue'], [4, 'prune'], [5, 'prune']]);
    // Patience 0, Keras's default: the first epoch that does not improve.
    expect(verdicts([0.5, 0.6, 0.6], {})).toEqual([[1, 'continue'], [2, 'continue'], [3, 'prune']]);
    // An improvement in between resets the count.
    expect(verdicts([0.5, 0.4, 0.55, 0.5, 0.45], { patience: 2 }).map(([, v]) => v)).toEqual(['continue', 'continue', 'continue', 'continue', 'prune']);
  });

  it('goes the metric\'s way: lower is better for a loss', () => {
    expect(verdicts([0.5, 0.4, 0.45], {}, 'minimize')).toEqual([[1, 'continue'], [2, 'continue'], [3, 'prune']]);
    expect(verdicts([0.5, 0.4, 0.35], {}, 'minimize').map(([, v]) => v)).toEqual(['continue', 'continue', 'continue']);
  });

  it('counts a gain of no more than minDelta as none', () => {
    expect(verdicts([0.5, 0.505, 0.51], { patience: 1, minDelta: 0.01 })).toEqual([[1, 'continue'], [2, 'prune'], [3, 'prune']]);
    expect(verdicts([0.5, 0.52], { patience: 0, minDelta: 0.01 })).toEqual([[1, 'continue'], [2, 'continue']]);
  });

  it('watches from startFromEpoch (Keras counts epochs from 0), and never judges a trial\'s last epoch', () => {
    expect(verdicts([0.9, 0.1, 0.2, 0.1], { startFromEpoch: 2 })).toEqual([[3, 'continue'], [4, 'prune']]);
    expect(verdicts([0.5, 0.4, 0.3], {}, 'maximize', 3)).toEqual([[1, 'continue'], [2, 'prune']]);
  });

  it('counts NaN as no improvement, but never stops after the first epoch (Keras\'s `epoch > 0`)', () => {
    expect(verdicts([NaN, NaN, 0.5], {})).toEqual([[1, 'continue'], [2, 'prune'], [3, 'continue']]);
  });
});
